"""DetectorResponse: true energy deposits -> voxelised charge, at the detector values the throws
set in ``events.attrs`` (nominal where none is set); and its two stages, ChargeCollection
(deterministic) and Readout (channels, noise, threshold)."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor

from augment._base import Transform
from augment._checks import check_events, check_float_coords, check_param
from augment._events import Events
from augment._random import randint
from systematics.functional.chain import collect_charge, detector_response, read_out
from systematics.functional.readout import Voxels, voxel_centres
from systematics.functional.diffusion import DEFAULT_NSIGMA
from systematics.parameters import PARAMETERS, DetectorParams, DriftGeometry, ReadoutConfig

__all__ = ["DetectorResponse", "ChargeCollection", "Readout", "DEPOSIT_FEATURES", "COLLECTED_FEATURES",
           "CHARGE_FEATURES", "check_deposits", "check_collected", "voxel_indices"]

DEPOSIT_FEATURES = ("dE", "dx")  # MeV, cm
COLLECTED_FEATURES = ("collected",)  # electrons reaching the anode, before channels, noise and threshold
CHARGE_FEATURES = ("charge",)  # electrons
_SEED_RANGE = 2 ** 52  # noise seeds are uniform integers in [0, 2^52)


class _ResponseStage(Transform):
    """What the response and its two stages share: the detector configuration, the per-event
    detector values and the noise seed. Acts on every event (p = 1)."""

    def __init__(self, params: DetectorParams | None = None, geometry: DriftGeometry | None = None,
                 readout: ReadoutConfig | None = None) -> None:
        super().__init__(1.0)
        for name, value, cls in (("params", params, DetectorParams), ("geometry", geometry, DriftGeometry),
                                 ("readout", readout, ReadoutConfig)):
            if value is not None and not isinstance(value, cls):
                raise TypeError(f"{name}: expected a {cls.__name__}, got {type(value).__name__}")
        self.params = DetectorParams.nominal() if params is None else params
        self.geometry = DriftGeometry() if geometry is None else geometry
        self.readout = ReadoutConfig() if readout is None else readout

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

    @staticmethod
    def _noise_seed(events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        seed_high = torch.full((events.num_events,), _SEED_RANGE, dtype=torch.int64, device=events.device)
        return {"noise_seed": randint(seed_high, generator)}


    def _charge_events(self, events: Events, voxels: Voxels, feature_names: tuple[str, ...],
                       values: dict[str, Tensor]) -> Events:
        """``events`` replaced by ``voxels`` (at their centres, cm) with their charge as the one feature."""
        r = self.readout
        return events.replace(coords=voxel_centres(voxels.voxel, r.pitch, r.origin, events.coords.dtype),
                              feats=voxels.charge[:, None], batch=voxels.batch, feature_names=feature_names,
                              attrs={**events.attrs, **values})


class _DepositStage(_ResponseStage):
    """A stage that takes true deposits: the diffusion clouds are cut at ``nsigma`` sigma."""

    def __init__(self, params: DetectorParams | None = None, geometry: DriftGeometry | None = None,
                 readout: ReadoutConfig | None = None, nsigma: float = DEFAULT_NSIGMA) -> None:
        super().__init__(params, geometry, readout)
        if isinstance(nsigma, bool) or not isinstance(nsigma, (int, float)) or not 1.0 <= nsigma <= 10.0:
            raise ValueError(f"nsigma: expected a number of sigma in [1, 10] where diffusion clouds are cut, "
                             f"got {nsigma!r}")
        self.nsigma = float(nsigma)


class DetectorResponse(_DepositStage):
    """The LArTPC response: recombination -> ionisation -> drift -> lifetime -> diffusion onto the
    voxel grid -> readout (docs/physics.md sections 1.2-1.8), each event simulated once. The
    same, bit for bit, as ``Compose([ChargeCollection(...), Readout(...)])`` with the same
    configuration and generator.

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

    def sample_params(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        check_deposits(events)
        return self._noise_seed(events, generator)

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        check_deposits(events)
        values = self.values(events)
        seed = check_param(params, "noise_seed", (events.num_events,), events)
        out = detector_response(events.coords, events.feats, events.batch, events.num_events, values,
                                self.params.recombination, self.geometry, self.readout, seed, self.nsigma)
        return events.replace(coords=out.coords, feats=out.charge[:, None], batch=out.batch,
                              feature_names=CHARGE_FEATURES, attrs={**events.attrs, **values})


class ChargeCollection(_DepositStage):
    """The deterministic first stage of :class:`DetectorResponse`: true deposits -> the charge
    collected per voxel before the channels, the noise and the threshold (docs/physics.md sections
    1.2-1.7). No random draw, so a study can apply it once to a data set and draw only the
    :class:`Readout` per step (``deterministic = True`` says so).

    Input as :class:`DetectorResponse`. Output: voxel centres (cm, input dtype), feats
    ("collected",) in electrons, ``attrs`` the detector values used (finite, (B,)), which
    :class:`Readout` reads for the channel parameters."""

    deterministic = True

    def sample_params(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        check_deposits(events)
        return {}

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        check_deposits(events)
        values = self.values(events)
        voxels = collect_charge(events.coords, events.feats, events.batch, events.num_events, values,
                                self.params.recombination, self.geometry, self.readout, self.nsigma)
        return self._charge_events(events, voxels, COLLECTED_FEATURES, values)


class Readout(_ResponseStage):
    """The random second stage of :class:`DetectorResponse`: collected charge (the output of
    :class:`ChargeCollection`, feats ("collected",) electrons at voxel centres of the ``readout``
    grid) -> read-out charge: per-channel gain spread, dead and noisy channels (the channel
    parameters from ``attrs``, else ``params``; docs/physics.md section 1.8), noise and threshold
    (section 1.6). Draws the per-event ``noise_seed`` (B,) int64 as :class:`DetectorResponse` does.
    Output: feats ("charge",) in electrons; events may end up empty (threshold)."""

    def sample_params(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        check_collected(events)
        return self._noise_seed(events, generator)

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        check_collected(events)
        values = self.values(events)
        seed = check_param(params, "noise_seed", (events.num_events,), events)
        r = self.readout
        voxel = voxel_indices(events.coords, r.pitch, r.origin)
        voxels = read_out(Voxels(voxel, events.feats[:, 0], events.batch,
                                 torch.zeros(events.num_events, dtype=torch.int64, device=events.device)),
                          values, seed, self.geometry, r)
        return self._charge_events(events, voxels, CHARGE_FEATURES, values)


def voxel_indices(centres: Tensor, pitch: float | Sequence[float], origin: Sequence[float]) -> Tensor:
    """(V, 3) int64 indices of the voxels whose centres (cm) are ``centres`` (V, 3) on the grid of
    ``pitch`` cm from ``origin`` cm; ValueError naming coords if a point is not such a centre."""
    pitch_t = torch.as_tensor(pitch, dtype=centres.dtype, device=centres.device)
    origin_t = torch.as_tensor(origin, dtype=centres.dtype, device=centres.device)
    voxel = torch.floor((centres - origin_t) / pitch_t).long()
    if not torch.equal(voxel_centres(voxel, pitch, origin, centres.dtype), centres):
        raise ValueError("coords: expected the voxel centres of the readout grid (ChargeCollection's output with "
                         "the same ReadoutConfig), got points off the grid's centres")
    return voxel


def check_collected(events: Events) -> None:
    """Collected charge only: floating (x, y, z) coords and feats ("collected",)."""
    check_events(events)
    if events.feature_names != COLLECTED_FEATURES:
        raise ValueError(f"feature_names: expected {COLLECTED_FEATURES} (ChargeCollection's output, electrons), got "
                         f"{events.feature_names}")
    check_float_coords(events, dims=(3,))


def check_deposits(events: Events) -> None:
    """True deposits only: floating (x, y, z) coords and feats ("dE", "dx")."""
    check_events(events)
    if events.feature_names != DEPOSIT_FEATURES:
        raise ValueError(f"feature_names: expected {DEPOSIT_FEATURES} (true deposits, MeV and cm), got "
                         f"{events.feature_names} (a detector response applies once, to true deposits; "
                         "throws come before it)")
    check_float_coords(events, dims=(3,))
