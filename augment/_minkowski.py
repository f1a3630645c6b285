"""The one module that imports MinkowskiEngine (optional extra ``hep-augment[minkowski]``)."""

from __future__ import annotations

import collections
import collections.abc

import torch

# MinkowskiEngine 0.5.4 uses ``collections.Sequence``, removed in Python 3.10. The fix is
# upstream but was never released, so restore the alias before importing it.
collections.Sequence = collections.abc.Sequence  # type: ignore[attr-defined]


def import_minkowski():
    """Return the MinkowskiEngine module, or raise ImportError saying how to install it."""
    try:
        import MinkowskiEngine as ME
    except ImportError as err:
        raise ImportError(
            "MinkowskiEngine is not installed: it is an optional backend. Install it with "
            "`pip install --no-build-isolation MinkowskiEngine==0.5.4 "
            "--config-settings=\"--global-option=--blas=openblas\"` (see README), or use the "
            "default pure-PyTorch backend."
        ) from err
    return ME


def events_to_sparse_tensor(events, **kwargs):
    """A ``MinkowskiEngine.SparseTensor`` with coordinates ``[batch, i, j, k]``.

    ``events`` must be voxelised (int64 coords, see ``Events.voxelize``)."""
    ME = import_minkowski()
    if events.coords.dtype != torch.int64:
        raise TypeError("events.coords: expected int64 voxel indices; call events.voxelize(pitch) first")
    coordinates = torch.cat([events.batch[:, None], events.coords], dim=1).int()
    return ME.SparseTensor(features=events.feats, coordinates=coordinates, **kwargs)
