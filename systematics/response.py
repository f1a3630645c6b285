"""DetectorResponse: true energy deposits -> voxelised charge, at the detector values the throws
set in ``events.attrs`` (nominal where none is set)."""

from __future__ import annotations

import torch
from torch import Tensor

from augment._base import Transform
from augment._checks import check_events, check_float_coords, check_param
from augment._events import Events
from augment._random import randint
from systematics.functional.chain import detector_response
from systematics.functional.diffusion import DEFAULT_NSIGMA
from systematics.parameters import PARAMETERS, DetectorParams, DriftGeometry, ReadoutConfig

__all__ = ["DetectorResponse", "DEPOSIT_FEATURES", "CHARGE_FEATURES", "check_deposits"]

DEPOSIT_FEATURES = ("dE", "dx")  # MeV, cm
CHARGE_FEATURES = ("charge",)  # electrons
_SEED_RANGE = 2 ** 52  # noise seeds are uniform integers in [0, 2^52)


class DetectorResponse(Transform):
    """The LArTPC response: recombination -> ionisation -> drift -> lifetime -> diffusion onto the
    voxel grid -> readout (docs/physics.md sections 1.2-1.6), each event simulated once.

    Input: true deposits, coords (x, y, z) cm inside the drift volume of ``geometry``, feats
    ("dE", "dx") in MeV and cm (``feature_names`` must say so). Output: voxel centres (cm, input
    dtype), feats ("charge",) in electrons, labels kept; events may end up empty (threshold).

    Detector values: ``events.attrs[name]`` (B,) where a throw set it (finite), ``params`` (the
    configured :class:`DetectorParams`, nominal by default) elsewhere: NaN or a missing key means
    "not thrown". So ``Compose([OneOf([LifetimeThrow(), EFieldThrow()]), DetectorResponse()])``
    simulates each event with the one value its throw drew and every other parameter nominal, and
    an event whose throw's gate is off is simulated at nominal. The output's ``attrs`` hold the
    values used, every one finite, for binning studies.

    Without noise the response is deterministic (diffusion is integrated analytically over the
    voxels, cut at ``nsigma`` sigma); its only random draw is the per-event ``noise_seed`` (B,)
    int64 of the readout noise. It acts on every event (p = 1): every event must come out as charge."""

    def __init__(self, params: DetectorParams | None = None, geometry: DriftGeometry | None = None,
                 readout: ReadoutConfig | None = None, nsigma: float = DEFAULT_NSIGMA) -> None:
        super().__init__(1.0)
        for name, value, cls in (("params", params, DetectorParams), ("geometry", geometry, DriftGeometry),
                                 ("readout", readout, ReadoutConfig)):
            if value is not None and not isinstance(value, cls):
                raise TypeError(f"{name}: expected a {cls.__name__}, got {type(value).__name__}")
        if isinstance(nsigma, bool) or not isinstance(nsigma, (int, float)) or not 1.0 <= nsigma <= 10.0:
            raise ValueError(f"nsigma: expected a number of sigma in [1, 10] where diffusion clouds are cut, "
                             f"got {nsigma!r}")
        self.params = DetectorParams.nominal() if params is None else params
        self.geometry = DriftGeometry() if geometry is None else geometry
        self.readout = ReadoutConfig() if readout is None else readout
        self.nsigma = float(nsigma)

    def sample_params(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        check_deposits(events)
        seed_high = torch.full((events.num_events,), _SEED_RANGE, dtype=torch.int64, device=events.device)
        return {"noise_seed": randint(seed_high, generator)}

    def values(self, events: Events) -> dict[str, Tensor]:
        """(B,) detector values per event (``coords`` dtype): ``attrs[name]`` where finite, the
        configured value elsewhere; validated (ValueError naming the parameter)."""
        base = self.params.as_tensors(events.num_events, events.device, events.coords.dtype)
        out = {}
        for name, value in base.items():
            thrown = events.attrs.get(name)
            if thrown is not None:
                if thrown.shape != (events.num_events,) or not thrown.is_floating_point():
                    raise ValueError(f"attrs['{name}']: expected a floating ({events.num_events},) tensor "
                                     f"(NaN = not thrown), got {thrown.dtype} {tuple(thrown.shape)}")
                # +inf is a value (an infinite lifetime); NaN means "not thrown".
                value = torch.where(thrown.isnan(), value, thrown.to(value.dtype))
                PARAMETERS[name].check(value, f"attrs['{name}']")
            out[name] = value
        return out

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        check_deposits(events)
        values = self.values(events)
        seed = check_param(params, "noise_seed", (events.num_events,), events)
        out = detector_response(events.coords, events.feats, events.batch, events.num_events, values,
                                self.params.recombination, self.geometry, self.readout, seed, self.nsigma)
        return events.replace(coords=out.coords, feats=out.charge[:, None], batch=out.batch,
                              feature_names=CHARGE_FEATURES, attrs={**events.attrs, **values})


def check_deposits(events: Events) -> None:
    """True deposits only: floating (x, y, z) coords and feats ("dE", "dx")."""
    check_events(events)
    if events.feature_names != DEPOSIT_FEATURES:
        raise ValueError(f"feature_names: expected {DEPOSIT_FEATURES} (true deposits, MeV and cm), got "
                         f"{events.feature_names} (a detector response applies once, to true deposits; "
                         "throws come before it)")
    check_float_coords(events, dims=(3,))
