"""Training: datasets, encoders, contrastive training and evaluation."""
