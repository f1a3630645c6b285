"""DetectorResponse: true energy deposits -> voxelised charge, as a replayable Transform."""

from __future__ import annotations

import torch
from torch import Tensor

from augment._base import Transform, check_probability
from augment._checks import check_events, check_float_coords, check_int, check_param
from augment._events import Events
from augment._random import bernoulli, normal, randint
from systematics.functional.chain import detector_response
from systematics.parameters import DetectorParams, DriftGeometry, ReadoutConfig

__all__ = ["DetectorResponse", "DEPOSIT_FEATURES", "CHARGE_FEATURES"]

DEPOSIT_FEATURES = ("dE", "dx")  # MeV, cm
CHARGE_FEATURES = ("charge",)  # electrons
_SEED_RANGE = 2 ** 52  # noise seeds are uniform integers in [0, 2^52)


class DetectorResponse(Transform):
    """The LArTPC response at fixed detector conditions ``params`` (nominal by default):
    recombination -> ionisation -> drift -> lifetime -> diffusion -> readout.

    Input: true deposits, coords (x, y, z) cm inside the drift volume of ``geometry``, feats
    ("dE", "dx") in MeV and cm (``feature_names`` must say so). Output: voxel centres (cm, input
    dtype), feats ("charge",) in electrons, labels kept; events may end up empty (threshold).

    Its only random draws are the diffusion offsets ``point_offsets`` (N, k, 3), k =
    ``diffusion_samples``, and the per-event ``noise_seed`` (B,) int64; the params dict also holds
    the per-event detector values used ("efield", "lifetime", "diffusion_t", "diffusion_l",
    "temperature" and the recombination constants), so ``apply(events, params)`` replays exactly.
    Subclasses (the throws) draw some of these values per event, on the events where the (B,) bool
    ``thrown`` (drawn with probability ``p``) is True; the other events get ``params`` (the
    configured values). The response itself acts on every event (its gate is always on), since
    every event must come out as charge."""

    def __init__(self, params: DetectorParams | None = None, geometry: DriftGeometry | None = None,
                 readout: ReadoutConfig | None = None, diffusion_samples: int = 8, p: float = 1.0) -> None:
        super().__init__(1.0)
        self.throw_p = check_probability("p", p)
        for name, value, cls in (("params", params, DetectorParams), ("geometry", geometry, DriftGeometry),
                                 ("readout", readout, ReadoutConfig)):
            if value is not None and not isinstance(value, cls):
                raise TypeError(f"{name}: expected a {cls.__name__}, got {type(value).__name__}")
        check_int("diffusion_samples", diffusion_samples, 1)
        self.params = DetectorParams.nominal() if params is None else params
        self.geometry = DriftGeometry() if geometry is None else geometry
        self.readout = ReadoutConfig() if readout is None else readout
        self.diffusion_samples = diffusion_samples

    # Detector values ----------------------------------------------------------
    def draw_detector(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        """(B,) detector values per event: the configured ones here; throws draw some."""
        return self.params.as_tensors(events.num_events, events.device, events.coords.dtype)

    # Transform protocol -------------------------------------------------------
    def sample_params(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        check_deposits(events)
        thrown = bernoulli((events.num_events,), self.throw_p, generator, events.device)
        base = self.params.as_tensors(events.num_events, events.device, events.coords.dtype)
        out = {key: torch.where(thrown, value, base[key]) for key, value in self.draw_detector(events, generator).items()}
        out["thrown"] = thrown
        seed_high = torch.full((events.num_events,), _SEED_RANGE, dtype=torch.int64, device=events.device)
        out["noise_seed"] = randint(seed_high, generator)
        out["point_offsets"] = normal((events.num_points, self.diffusion_samples, 3), generator, events.device,
                                      events.coords.dtype)
        return out

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        check_deposits(events)
        B, N = events.num_events, events.num_points
        values = {key: check_param(params, key, (B,), events).to(events.coords.dtype) for key in self.params.keys}
        DetectorParams(recombination=self.params.recombination, **values)  # validates replayed values
        offsets = check_param(params, "point_offsets", (N, self.diffusion_samples, 3), events)
        seed = check_param(params, "noise_seed", (B,), events)
        out = detector_response(events.coords, events.feats, events.batch, B, values, self.params.recombination,
                                self.geometry, self.readout, offsets.to(events.coords.dtype), seed)
        return events.replace(coords=out.coords, feats=out.charge[:, None], batch=out.batch,
                              feature_names=CHARGE_FEATURES)


def check_deposits(events: Events) -> None:
    """True deposits only: floating (x, y, z) coords and feats ("dE", "dx")."""
    check_events(events)
    if events.feature_names != DEPOSIT_FEATURES:
        raise ValueError(f"feature_names: expected {DEPOSIT_FEATURES} (true deposits, MeV and cm), got "
                         f"{events.feature_names} (a detector response applies once, to true deposits)")
    check_float_coords(events, dims=(3,))
