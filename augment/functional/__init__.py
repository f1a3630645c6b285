"""Pure kernels: (tensors, explicit parameters) -> tensors. No randomness, no state,
no in-place edits of inputs. Transforms sample parameters and call these."""

from augment.functional.geometric import translate
from augment.functional.geometric import rotate, jitter, inside_box, inside_sphere
from augment.functional.energy import scale_features
from augment.functional.reduce import event_sum, event_mean
from augment.functional.sampling import select_points, keep_one_per_event, restore_emptied

__all__ = ["translate"]
__all__ += ["rotate", "jitter", "inside_box", "inside_sphere", "scale_features", "event_sum", "event_mean",
            "select_points", "keep_one_per_event", "restore_emptied"]
