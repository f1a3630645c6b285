"""training: SimCLR trainer, encoders, datasets, linear classifier test, ablation and robustness studies."""
