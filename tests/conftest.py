"""Hypothesis profiles: `ci` (200 examples per property, used by `./dev test`) and `dev`.

Tests run torch on one thread: their tensors are small, and on a shared 2-core machine
intra-op threads contend and make them several times slower."""

import os

import torch
from hypothesis import HealthCheck, settings

torch.set_num_threads(1)

settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
