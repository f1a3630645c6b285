"""Datasets: generators and loaders of the ragged h5 files."""
