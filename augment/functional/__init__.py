"""Pure kernels: (tensors, explicit parameters) -> tensors. No randomness, no state,
no in-place edits of inputs. Transforms sample parameters and call these."""

from augment.functional.geometric import translate

__all__ = ["translate"]
from augment.functional.jets import (centre_jets, collinear_split, jet_axis, jet_four_momentum, keep_hardest,
                                     normalise_pt, rank_within_events, soft_smear, sort_within_events, wrap_phi)

__all__ += ["wrap_phi", "jet_four_momentum", "jet_axis", "centre_jets", "normalise_pt", "sort_within_events",
            "rank_within_events", "keep_hardest", "collinear_split", "soft_smear"]
