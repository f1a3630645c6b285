"""Pure kernels: (tensors, explicit parameters) -> tensors. No randomness, no state,
no in-place edits of inputs. Transforms sample parameters and call these."""

from augment.functional.crop import crop
from augment.functional.elastic import elastic_distort, elastic_grid, interpolate_grid, smooth_noise
from augment.functional.energy import scale_features
from augment.functional.features import mask_features
from augment.functional.geometric import (affine, compose_affine, inside_box, inside_sphere, jitter, rotate,
                                          rotation_offsets, translate)
from augment.functional.jets import (centre_jets, collinear_split, fill_splits, jet_axis, jet_four_momentum,
                                     jet_translation_bounds, keep_hardest, normalise_pt, rank_within_events,
                                     soft_smear, sort_within_events, wrap_phi)
from augment.functional.reduce import (accumulation_dtype, event_mean, event_min_max, event_sum, gather_rows, to_points,
                                       unique_rows)
from augment.functional.reflect import reflect
from augment.functional.sampling import keep_at_least, keep_one_per_event, restore_emptied, select_points

__all__ = [
    "translate", "rotate", "affine", "compose_affine", "rotation_offsets", "jitter", "inside_box", "inside_sphere",
    "reflect", "crop",
    "scale_features", "mask_features", "elastic_grid", "smooth_noise", "interpolate_grid", "elastic_distort",
    "event_sum", "event_mean", "event_min_max", "accumulation_dtype", "unique_rows",
    "select_points", "keep_at_least", "keep_one_per_event", "restore_emptied",
    "wrap_phi", "jet_four_momentum", "jet_axis", "centre_jets", "normalise_pt", "sort_within_events",
    "rank_within_events", "keep_hardest", "collinear_split", "fill_splits", "soft_smear", "jet_translation_bounds",
    "to_points", "gather_rows",
]
