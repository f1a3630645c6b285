"""Pure kernels: (tensors, explicit parameters) -> tensors. No randomness, no state,
no in-place edits of inputs. Transforms sample parameters and call these."""

from augment.functional.energy import scale_features
from augment.functional.geometric import (affine, inside_box, inside_sphere, jitter, rotate, rotation_offsets,
                                          translate)
from augment.functional.jets import (centre_jets, collinear_split, jet_axis, jet_four_momentum, keep_hardest,
                                     normalise_pt, rank_within_events, soft_smear, sort_within_events, wrap_phi)
from augment.functional.reduce import event_mean, event_sum, to_points, unique_rows
from augment.functional.sampling import keep_one_per_event, restore_emptied, select_points

__all__ = [
    "translate", "rotate", "affine", "rotation_offsets", "jitter", "inside_box", "inside_sphere", "scale_features", "event_sum", "event_mean", "unique_rows",
    "select_points", "keep_one_per_event", "restore_emptied",
    "wrap_phi", "jet_four_momentum", "jet_axis", "centre_jets", "normalise_pt", "sort_within_events",
    "rank_within_events", "keep_hardest", "collinear_split", "soft_smear",
    "to_points",
]
