"""Pure kernels: (tensors, explicit parameters) -> tensors. No randomness, no state,
no in-place edits of inputs. Transforms sample parameters and call these."""

from augment.functional.geometric import translate

__all__ = ["translate"]
