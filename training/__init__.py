"""Training: SimCLR pre-training, encoders, datasets and the linear classifier test."""
