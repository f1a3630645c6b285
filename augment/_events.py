"""The ragged batch type that flows through every transform.

A batch of B events is stored as one tensor of points plus a batch index, the
MinkowskiEngine coordinate layout:

* ``coords`` (N, D): positions. LArTPC deposits: (x, y, z) in cm. Jets: (eta, phi)
  relative to the jet axis. After :meth:`Events.voxelize`: int64 voxel indices.
* ``feats`` (N, C): per-point features; ``feature_names`` documents the columns
  (e.g. ``("dE", "dx")`` in MeV and cm for energy deposits, ``("pt",)`` in GeV for jets).
* ``batch`` (N,): int64, non-decreasing, the event each point belongs to.
* ``num_events``: B. An event may hold no points.
* ``labels``: optional (B,) per-event labels.
* ``attrs``: per-event data, a read-only mapping of name -> (B, ...) tensor on the events' device
  (e.g. the detector values a throw drew: ``attrs["lifetime"]`` (B,) in us). Carried by every
  transform, sliced by :meth:`Events.index_select_events`, moved by :meth:`Events.to`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping, Sequence

import numpy as np
import torch
from torch import Tensor

from augment.functional.cpu import check_values_cpu, use_cpu_kernel

__all__ = ["Events"]


@dataclass(frozen=True, eq=False)
class Events:
    coords: Tensor
    feats: Tensor
    batch: Tensor
    num_events: int
    labels: Tensor | None = None
    feature_names: tuple[str, ...] | None = None
    attrs: Mapping[str, Tensor] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("coords", "feats", "batch", "labels"):
            object.__setattr__(self, name, _from_numpy(name, getattr(self, name)))
        object.__setattr__(self, "attrs", _frozen({k: _from_numpy(f"attrs['{k}']", v) for k, v in
                                                   _frozen(self.attrs).items()}))
        _validate(self)

    def validate(self) -> "Events":
        """Check the invariants again (shapes, dtypes, devices, sorted batch, finite values), e.g. after
        the tensors were edited in place; ValueError/TypeError naming the field. Returns ``self``.
        Every top-level transform call runs it on its input (one host sync)."""
        _validate(self)
        return self

    def __reduce__(self) -> tuple:
        """Pickling (process pools, DataLoader workers): the read-only ``attrs`` travel as a dict."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return (_unpickle, (values | {"attrs": dict(self.attrs)},))

    # ------------------------------------------------------------------ build
    @classmethod
    def from_list(
        cls,
        coords: Sequence[Tensor] | Sequence[tuple[Tensor, Tensor]],
        feats: Sequence[Tensor] | None = None,
        labels: Tensor | Sequence[int] | None = None,
        feature_names: Sequence[str] | None = None,
    ) -> "Events":
        """Concatenate per-event ``(n_i, D)`` coords and ``(n_i, C)`` feats into one batch.

        Either two lists (``coords``, ``feats``) or one list of ``(coords, feats)`` pairs, as
        :meth:`to_list` returns them (``Events.from_list(ev.to_list())`` round-trips the points).
        Tensors or numpy arrays."""
        if feats is None:
            pairs = list(coords)
            if not all(isinstance(pair, (tuple, list)) and len(pair) == 2 for pair in pairs):
                raise ValueError("coords: expected a list of (coords, feats) pairs when feats is not given")
            coords, feats = [pair[0] for pair in pairs], [pair[1] for pair in pairs]
        if len(coords) != len(feats):
            raise ValueError(f"coords and feats: expected lists of equal length, got {len(coords)} and {len(feats)}")
        if len(coords) == 0:
            raise ValueError("coords: expected at least one event to infer D and C, got an empty list")
        coords = [_from_numpy(f"coords[{i}]", c) for i, c in enumerate(coords)]
        feats = [_from_numpy(f"feats[{i}]", f) for i, f in enumerate(feats)]
        counts = torch.tensor([len(c) for c in coords], dtype=torch.int64)
        device = coords[0].device
        batch = torch.repeat_interleave(torch.arange(len(coords)), counts).to(device)
        if labels is not None and not isinstance(labels, Tensor):
            labels = torch.as_tensor(np.asarray(labels) if isinstance(labels, np.ndarray) else list(labels),
                                     device=device)
        return cls(
            torch.cat(coords),
            torch.cat(feats),
            batch,
            len(coords),
            labels,
            None if feature_names is None else tuple(feature_names),
        )

    def replace(self, *, validate: bool = False, **changes) -> "Events":
        """A copy with some fields replaced. ``validate=False`` is for kernels whose
        outputs keep the invariants of an already validated input."""
        if validate:
            return dataclasses.replace(self, **changes)
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        fields.update(changes)
        fields["attrs"] = _frozen(fields["attrs"])
        new = object.__new__(Events)
        for name, value in fields.items():
            object.__setattr__(new, name, value)
        return new

    # ----------------------------------------------------------------- views
    @property
    def num_points(self) -> int:
        return self.coords.shape[0]

    @property
    def device(self) -> torch.device:
        return self.coords.device

    def counts(self) -> Tensor:
        """(B,) int64 number of points per event."""
        return self.offsets().diff()

    def offsets(self) -> Tensor:
        """(B + 1,) int64: event i is rows ``offsets[i]:offsets[i + 1]``."""
        from augment.functional.reduce import event_offsets

        return event_offsets(self.batch, self.num_events)

    def to_list(self) -> list[tuple[Tensor, Tensor]]:
        """Per-event ``(coords, feats)`` pairs (views, not copies)."""
        sizes = self.counts().tolist()
        return list(zip(torch.split(self.coords, sizes), torch.split(self.feats, sizes)))

    def index_select_events(self, index: Tensor) -> "Events":
        """The events ``index`` (a (K,) int64 tensor, any order) as a new batch."""
        index = torch.as_tensor(index, dtype=torch.int64, device=self.device)
        counts = self.counts()
        offsets = self.offsets()
        sel_counts = counts[index]
        new_batch = torch.repeat_interleave(torch.arange(len(index), device=self.device), sel_counts)
        starts = torch.repeat_interleave(offsets[index], sel_counts)
        first = torch.repeat_interleave(torch.cumsum(sel_counts, 0) - sel_counts, sel_counts)
        rows = starts + torch.arange(len(new_batch), device=self.device) - first
        return self.replace(
            coords=self.coords[rows],
            feats=self.feats[rows],
            batch=new_batch,
            num_events=len(index),
            labels=None if self.labels is None else self.labels[index],
            attrs={k: v.index_select(0, index) for k, v in self.attrs.items()},
        )

    def to(self, *args, **kwargs) -> "Events":
        """Move to a device and/or cast floating tensors, as ``Tensor.to``.

        A dtype applies to floating tensors only; ``batch`` stays int64."""
        def move(t: Tensor | None) -> Tensor | None:
            if t is None:
                return None
            return t.to(*args, **kwargs) if t.is_floating_point() else _to_device_only(t, *args, **kwargs)

        return self.replace(
            coords=move(self.coords), feats=move(self.feats),
            batch=_to_device_only(self.batch, *args, **kwargs), labels=move(self.labels),
            attrs={k: move(v) for k, v in self.attrs.items()},
        )

    def pin_memory(self) -> "Events":
        """A copy in page-locked host memory (for ``DataLoader(pin_memory=True)`` and asynchronous
        ``.to("cuda", non_blocking=True)``); needs a CUDA-enabled torch."""
        def pin(t: Tensor | None) -> Tensor | None:
            return None if t is None else t.pin_memory()

        return self.replace(coords=pin(self.coords), feats=pin(self.feats), batch=pin(self.batch),
                            labels=pin(self.labels), attrs={k: pin(v) for k, v in self.attrs.items()})

    def padded(self, max_points: int | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """Dense view for set/transformer encoders.

        Returns ``coords`` (B, n, D), ``feats`` (B, n, C) zero-padded and a boolean
        ``mask`` (B, n), True on real points. Events longer than ``max_points`` keep
        their first ``max_points`` points (for jets sorted by pT, the hardest)."""
        counts = self.counts()
        n = int(counts.max()) if self.num_events and self.num_points else 0
        if max_points is not None:
            if max_points < 0:
                raise ValueError(f"max_points: expected >= 0, got {max_points}")
            n = min(n, max_points)
        slot = torch.arange(self.num_points, device=self.device) - self.offsets()[self.batch]
        keep = slot < n
        B, D, C = self.num_events, self.coords.shape[1], self.feats.shape[1]
        coords = self.coords.new_zeros(B, n, D)
        feats = self.feats.new_zeros(B, n, C)
        mask = torch.zeros(B, n, dtype=torch.bool, device=self.device)
        b, s = self.batch[keep], slot[keep]
        coords[b, s] = self.coords[keep]
        feats[b, s] = self.feats[keep]
        mask[b, s] = True
        return coords, feats, mask

    def voxelize(self, pitch: float | Sequence[float], origin: Sequence[float] | Tensor | None = None) -> "Events":
        """Integer voxel indices ``floor((coords - origin) / pitch)``, duplicates merged.

        Points of one event that fall into the same voxel are merged by summing
        their features (energy and charge add). ``pitch`` is in the coords' units
        (cm for LArTPC events); ``origin`` defaults to 0. The result's coords are
        int64, sorted by event then voxel."""
        if not self.coords.is_floating_point():
            raise TypeError(f"coords: expected floating coordinates to voxelize, got {self.coords.dtype}")
        pitch_t = torch.as_tensor(pitch, dtype=self.coords.dtype, device=self.device)
        if (pitch_t <= 0).any() or not torch.isfinite(pitch_t).all():
            raise ValueError(f"pitch: expected finite values > 0, got {pitch}")
        origin_t = torch.zeros((), dtype=self.coords.dtype, device=self.device) if origin is None else \
            torch.as_tensor(origin, dtype=self.coords.dtype, device=self.device)
        scaled = torch.floor((self.coords - origin_t) / pitch_t)
        if scaled.numel() and not bool((scaled.abs() < 2.0 ** 62).all()):  # else the int64 cast wraps
            raise ValueError(f"coords: expected finite voxel indices floor((coords - origin) / pitch) with "
                             f"|index| < 2^62 (int64), got up to {float(scaled.abs().max()):.4g}; "
                             f"check the coords' units against pitch={pitch} and origin={origin}")
        index = scaled.to(torch.int64)
        keys = torch.cat([self.batch[:, None], index], dim=1)
        from augment.functional.reduce import unique_rows

        unique, inverse = unique_rows(keys)
        feats = self.feats.new_zeros(len(unique), self.feats.shape[1]).index_add_(0, inverse, self.feats)
        return self.replace(coords=unique[:, 1:].contiguous(), feats=feats, batch=unique[:, 0].contiguous())

    def to_minkowski(self, **kwargs):
        """A ``MinkowskiEngine.SparseTensor`` of voxelised events (integer coords).

        Raises ImportError naming MinkowskiEngine when it is not installed."""
        from augment._minkowski import events_to_sparse_tensor

        return events_to_sparse_tensor(self, **kwargs)

    def __repr__(self) -> str:
        return (f"Events(num_events={self.num_events}, num_points={self.num_points}, "
                f"D={self.coords.shape[1]}, C={self.feats.shape[1]}, features={self.feature_names}, "
                f"dtype={self.coords.dtype}, device={self.device})")

    # ------------------------------------------------------- from other layouts
    @classmethod
    def from_padded(cls, coords, feats, mask, labels=None, feature_names=None) -> "Events":
        """From padded (B, n, D) coords, (B, n, C) feats and a (B, n) bool mask (numpy or
        torch): :func:`augment.io.from_padded`, the inverse of :meth:`padded`."""
        from augment.io.arrays import from_padded

        return from_padded(coords, feats, mask, labels, feature_names)

    @classmethod
    def from_counts(cls, coords, feats, counts, labels=None, feature_names=None) -> "Events":
        """From flat (N, D) coords, (N, C) feats and per-event point counts (B,) (numpy or
        torch): :func:`augment.io.from_counts`."""
        from augment.io.arrays import from_counts

        return from_counts(coords, feats, counts, labels, feature_names)

    @classmethod
    def from_awkward(cls, array, coords, feats, labels=None, dtype=torch.float32) -> "Events":
        """From an awkward ``B * var * {fields}`` record array, naming the coords and feats
        fields: :func:`augment.io.from_awkward`."""
        from augment.io.arrays import from_awkward

        return from_awkward(array, coords, feats, labels, dtype)


def _to_device_only(t: Tensor, *args, **kwargs) -> Tensor:
    """``Tensor.to`` ignoring any dtype: keeps integer tensors integer."""
    device = kwargs.get("device")
    for a in args:
        if isinstance(a, (str, torch.device)):
            device = a
        elif isinstance(a, Tensor):
            device = a.device
    return t if device is None else t.to(device)


def _from_numpy(name: str, value):
    """A numpy array as a tensor (sharing its memory); integer arrays as int64 for ``batch``."""
    if not isinstance(value, np.ndarray):
        return value
    if value.dtype == object or not (np.issubdtype(value.dtype, np.number) or value.dtype == np.bool_):
        raise TypeError(f"{name}: expected a numeric numpy array or a torch.Tensor, got a numpy {value.dtype} array")
    tensor = torch.from_numpy(np.ascontiguousarray(value))
    return tensor.long() if name == "batch" and not tensor.is_floating_point() else tensor


def _unpickle(values: dict) -> Events:
    return Events(**values)


def _frozen(attrs: Mapping[str, Tensor] | None) -> Mapping[str, Tensor]:
    """``attrs`` as a read-only mapping (a copy, so later edits of the caller's dict do not leak in)."""
    if attrs is None:
        return MappingProxyType({})
    if not isinstance(attrs, Mapping):
        raise TypeError(f"attrs: expected a mapping of name -> (B, ...) tensor, got {type(attrs).__name__}")
    return attrs if isinstance(attrs, MappingProxyType) else MappingProxyType(dict(attrs))


def _sum(t: Tensor) -> Tensor:
    """Sum in the tensor's dtype (float32 for half precision, which overflows at 65504)."""
    return t.sum(dtype=torch.float32) if t.element_size() < 4 else t.sum()


def _validate(ev: Events) -> None:
    c, f, b = ev.coords, ev.feats, ev.batch
    for name, t in (("coords", c), ("feats", f), ("batch", b)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}: expected a torch.Tensor, got {type(t).__name__}")
    if not isinstance(ev.num_events, int) or isinstance(ev.num_events, bool) or ev.num_events < 0:
        raise ValueError(f"num_events: expected an int >= 0, got {ev.num_events!r}")
    if c.dim() != 2:
        raise ValueError(f"coords: expected shape (N, D), got {tuple(c.shape)}")
    if f.dim() != 2:
        raise ValueError(f"feats: expected shape (N, C), got {tuple(f.shape)}")
    if b.dim() != 1:
        raise ValueError(f"batch: expected shape (N,), got {tuple(b.shape)}")
    if not (c.shape[0] == f.shape[0] == b.shape[0]):
        raise ValueError(f"coords, feats, batch: expected the same number of points N, got "
                         f"{c.shape[0]}, {f.shape[0]}, {b.shape[0]}")
    if not (c.is_floating_point() or c.dtype == torch.int64):
        raise TypeError(f"coords: expected a floating dtype (or int64 voxel indices), got {c.dtype}")
    if not f.is_floating_point():
        raise TypeError(f"feats: expected a floating dtype, got {f.dtype}")
    if b.dtype != torch.int64:
        raise TypeError(f"batch: expected int64, got {b.dtype}")
    devices = {t.device for t in (c, f, b)}
    if ev.labels is not None:
        if not isinstance(ev.labels, Tensor):
            raise TypeError(f"labels: expected a torch.Tensor, got {type(ev.labels).__name__}")
        devices.add(ev.labels.device)
        if ev.labels.shape[:1] != (ev.num_events,):
            raise ValueError(f"labels: expected shape ({ev.num_events},), got {tuple(ev.labels.shape)}")
    for key, value in ev.attrs.items():
        if not isinstance(key, str) or not isinstance(value, Tensor):
            raise TypeError(f"attrs: expected str -> torch.Tensor, got {key!r} -> {type(value).__name__}")
        if value.dim() < 1 or value.shape[0] != ev.num_events:
            raise ValueError(f"attrs['{key}']: expected shape ({ev.num_events}, ...), got {tuple(value.shape)}")
        devices.add(value.device)
    if len(devices) > 1:
        raise ValueError(f"coords, feats, batch, labels, attrs: expected one device, got mixed devices "
                         f"{sorted(map(str, devices))}")
    if ev.feature_names is not None and len(ev.feature_names) != f.shape[1]:
        raise ValueError(f"feature_names: expected {f.shape[1]} names (one per feats column), got {ev.feature_names}")
    _check_values(ev)


def _check_values(ev: Events) -> None:
    """Sorted batch indices in [0, B) and finite coords and feats, with one host sync.

    On the CPU (float32 or float64 values, int64 coords included) one numba pass over each tensor
    decides (:func:`augment.functional.cpu.check_values_cpu`), ~4x faster than the reductions
    below. Elsewhere: a sum of finite values is finite unless it overflows, and NaN or inf make it
    non-finite: so a finite sum proves every value finite, and only a non-finite one needs the
    exact (slower) check."""
    c, f, b = ev.coords.detach(), ev.feats.detach(), ev.batch
    if use_cpu_kernel(c, f, b):
        feats_ok, coords_ok, unsorted, first, last = check_values_cpu(c, f, b)
    else:
        feats_ok, coords_ok, unsorted, first, last = _check_values_torch(c, f, b)
    if not feats_ok:
        raise ValueError("feats: expected finite values, found NaN or inf")
    if not coords_ok:
        raise ValueError("coords: expected finite values, found NaN or inf")
    if b.numel():
        if unsorted:
            raise ValueError("batch: expected non-decreasing event indices (points sorted by event)")
        if first < 0 or last >= ev.num_events:
            raise ValueError(f"batch: expected indices in [0, {ev.num_events}), got [{int(first)}, {int(last)}]")


def _check_values_torch(c: Tensor, f: Tensor, b: Tensor) -> tuple[bool, bool, bool, int, int]:
    """The values of :func:`augment.functional.cpu.check_values_cpu` from torch reductions (one host sync)."""
    with torch.no_grad():
        checks = [_sum(f)]
        if c.is_floating_point():
            checks.append(_sum(c))
        if b.numel():  # count_nonzero of the comparison: ~2x faster than .any() on CPU
            checks += [torch.count_nonzero(b[1:] < b[:-1]), b[0], b[-1]]
        values = torch.stack([v.double() for v in checks]).tolist()
    feats_ok = math.isfinite(values[0]) or bool(torch.isfinite(f).all())
    coords_ok = not c.is_floating_point() or math.isfinite(values[1]) or bool(torch.isfinite(c).all())
    unsorted, first, last = values[-3:] if b.numel() else (0.0, 0.0, 0.0)
    return feats_ok, coords_ok, bool(unsorted), int(first), int(last)
