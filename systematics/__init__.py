"""LArTPC detector systematics: response emulator (recombination, drift, lifetime, diffusion, readout) and throws."""
