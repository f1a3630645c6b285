"""The studies built on the :mod:`training` library: tasks (data, encoders, augmentation sets),
the ablation, the robustness study, supervised baselines and their tables and plots.

The library part of :mod:`training` (trainer, losses, distributed, encoders, linear evaluation,
datasets) imports nothing from here.
"""
