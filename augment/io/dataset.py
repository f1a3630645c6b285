"""Streaming events from many files into a ``DataLoader``.

:class:`EventsDataset` is map-style (``ds[i] -> (coords, feats, label)``, label None for
unlabelled files) over any number of files in any of :data:`augment.io.FORMATS`. Nothing
is read up front but each file's event count (and, for ragged files, its offsets, checked
against the points table); events are read in chunks of ``chunk_events`` consecutive
events, and the ``cache_chunks`` chunks used last are kept.

:func:`event_loader` is the reproducible way to iterate: a :class:`SeededBatchSampler`
fixes each epoch's order and gives every batch its own seed, derived from (seed, epoch,
batch number), and the optional batch ``transform`` draws from a generator seeded with
it. Shuffling is by blocks, so that a batch needs few chunk reads: the chunks are taken in
a random order, ``shuffle_window`` at a time, and the events of those chunks are shuffled
together. Batches and their augmentations therefore depend only on the seed, whatever
``num_workers`` (each worker builds whole batches, so no worker-dependent stream is ever
used). :func:`seed_worker` seeds numpy and ``random`` in each worker for code of the
user's own that draws from their global state.
"""

from __future__ import annotations

import os
import random
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import numpy as np
import torch
from torch import Tensor

from augment._base import Transform
from augment._checks import check_int
from augment._events import Events
from augment._random import derive_seed
from augment.io._read import open_source

__all__ = ["EventsDataset", "collate_events", "concat_events", "SeededBatchSampler", "BatchRequest",
           "event_loader", "seed_worker"]

Item = tuple[Tensor, Tensor, int | None]


class EventsDataset(torch.utils.data.Dataset):
    """Single events of one or many files: ``ds[i] -> (coords (n, D), feats (n, C), label)``.

    ``paths``: a file or a sequence of files, all of one kind of events (same coords,
    feature and label names: ValueError naming the first file that differs). ``format``
    and ``options`` as :func:`augment.io.read`. Metadata (``coord_names``,
    ``feature_names``, ``feature_units``, ``label_names``, ``settings``) are the first
    file's; ``sources`` lists the open files."""

    def __init__(self, paths: str | os.PathLike | Sequence[str | os.PathLike], format: str | None = None,
                 chunk_events: int = 1024, cache_chunks: int = 16, **options: Any) -> None:
        paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
        if not paths:
            raise ValueError("paths: expected at least one file, got an empty sequence")
        self.chunk_events = check_int("chunk_events", chunk_events, 1)
        self.cache_chunks = check_int("cache_chunks", cache_chunks, 1)
        self.sources = [open_source(p, format, **options) for p in paths]
        first = self.sources[0].info
        for s in self.sources[1:]:
            for name in ("coord_names", "feature_names", "label_names"):
                if getattr(s.info, name) != getattr(first, name):
                    raise ValueError(f"paths: {s.path} has {name} {getattr(s.info, name)}, expected "
                                     f"{getattr(first, name)} like {self.sources[0].path}")
        self.info = first
        self.coord_names, self.coord_units = first.coord_names, first.coord_units
        self.feature_names, self.feature_units = first.feature_names, first.feature_units
        self.label_names, self.settings = first.label_names, first.settings
        self._ends = np.cumsum([s.num_events for s in self.sources])
        self._chunks: OrderedDict[tuple[int, int], tuple[Events, list[int]]] = OrderedDict()

    def __len__(self) -> int:
        return int(self._ends[-1])

    def _locate(self, i: int) -> tuple[int, int]:
        if not isinstance(i, (int, np.integer)) or isinstance(i, bool):
            raise TypeError(f"i: expected an int event index, got {type(i).__name__}")
        if not -len(self) <= i < len(self):
            raise IndexError(f"i: expected an event index in [0, {len(self)}), got {i}")
        i = int(i) % len(self)
        f = int(np.searchsorted(self._ends, i, side="right"))
        return f, i - (int(self._ends[f - 1]) if f else 0)

    def chunks(self) -> list[tuple[int, int]]:
        """The (start, stop) dataset index ranges of the chunks, file after file."""
        out, first = [], 0
        for s in self.sources:
            out += [(first + lo, first + min(lo + self.chunk_events, s.num_events))
                    for lo in range(0, s.num_events, self.chunk_events)]
            first += s.num_events
        return out

    def __getitem__(self, i: int) -> Item:
        f, j = self._locate(i)
        key = (f, j // self.chunk_events)
        cached = self._chunks.get(key)
        if cached is None:
            source, lo = self.sources[f], key[1] * self.chunk_events
            events = source.read(lo, min(lo + self.chunk_events, source.num_events))
            cached = self._chunks[key] = (events, events.offsets().tolist())
            if len(self._chunks) > self.cache_chunks:
                self._chunks.popitem(last=False)
        else:
            self._chunks.move_to_end(key)
        events, offsets = cached
        k = j - key[1] * self.chunk_events
        label = None if events.labels is None else int(events.labels[k])
        return events.coords[offsets[k]:offsets[k + 1]], events.feats[offsets[k]:offsets[k + 1]], label

    def collate(self, items: Sequence[Item]) -> Events:
        """Batch items into Events carrying the files' feature names."""
        return collate_events(items, feature_names=self.feature_names)

    def all_events(self) -> Events:
        """Every event of every file as one batch."""
        return concat_events([s.read() for s in self.sources])


def collate_events(items: Sequence[Item | tuple[Tensor, Tensor]],
                   feature_names: Sequence[str] | None = None) -> Events:
    """``DataLoader`` collate function: (coords, feats, label) or (coords, feats) items ->
    Events, with labels when every item has one and without when none has."""
    if len(items) == 0:
        raise ValueError("items: expected at least one event to collate")
    labels = [item[2] if len(item) > 2 else None for item in items]
    unlabelled = [y is None for y in labels]
    if any(unlabelled) and not all(unlabelled):
        raise ValueError(f"items: expected all events labelled or none, got {sum(unlabelled)} unlabelled "
                         f"of {len(items)}")
    return Events.from_list([item[0] for item in items], [item[1] for item in items],
                            None if all(unlabelled) else torch.tensor(labels, dtype=torch.int64), feature_names)


def concat_events(parts: Sequence[Events]) -> Events:
    """The events of ``parts`` one after another as one batch (labels kept when all have them,
    per-event ``attrs`` concatenated)."""
    if not parts:
        raise ValueError("parts: expected at least one Events batch")
    shifts = np.cumsum([0] + [p.num_events for p in parts[:-1]])
    labels = None if any(p.labels is None for p in parts) else torch.cat([p.labels for p in parts])
    keys = set(parts[0].attrs)
    if any(set(p.attrs) != keys for p in parts):
        raise ValueError(f"parts: expected the same attrs keys in every batch, got {[sorted(p.attrs) for p in parts]}")
    return parts[0].replace(coords=torch.cat([p.coords for p in parts]), feats=torch.cat([p.feats for p in parts]),
                            batch=torch.cat([p.batch + int(s) for p, s in zip(parts, shifts)]),
                            num_events=sum(p.num_events for p in parts), labels=labels,
                            attrs={k: torch.cat([p.attrs[k] for p in parts]) for k in keys}, validate=True)


@dataclass(frozen=True)
class BatchRequest:
    """One batch to build: its dataset indices and the seed of its random transforms."""

    indices: list[int]
    seed: int


class SeededBatchSampler(torch.utils.data.Sampler):
    """Batches of indices over ``num_items``: epoch e's order is seeded by (seed, e) (0, 1,
    2, ... with ``shuffle=False``), batch b's seed is derived from (seed, e, b). With
    ``blocks`` ((start, stop) ranges covering the items, e.g. :meth:`EventsDataset.chunks`)
    the shuffle takes the blocks in a random order, ``shuffle_window`` at a time, and shuffles
    the items of each such group together; without, it is a full permutation. The epoch
    counts up at each iteration; :meth:`set_epoch` sets it."""

    def __init__(self, num_items: int, batch_size: int, *, seed: int, shuffle: bool = True,
                 drop_last: bool = False, blocks: Sequence[tuple[int, int]] | None = None,
                 shuffle_window: int = 8) -> None:
        self.num_items = check_int("num_items", num_items, 0)
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.seed = check_int("seed", seed, 0)
        self.shuffle_window = check_int("shuffle_window", shuffle_window, 1)
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self.blocks = [(0, self.num_items)] if blocks is None else [(int(a), int(b)) for a, b in blocks]
        if blocks is not None and sorted(i for a, b in self.blocks for i in range(a, b)) != list(range(num_items)):
            raise ValueError(f"blocks: expected (start, stop) ranges covering 0 .. {num_items - 1} once each")
        self.full_shuffle = blocks is None
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = check_int("epoch", epoch, 0)

    def __len__(self) -> int:
        full, rest = divmod(self.num_items, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def _order(self, epoch: int) -> list[int]:
        if not self.shuffle:
            return list(range(self.num_items))
        g = torch.Generator().manual_seed(derive_seed(self.seed, epoch))
        if self.full_shuffle:
            return torch.randperm(self.num_items, generator=g).tolist()
        blocks = [self.blocks[k] for k in torch.randperm(len(self.blocks), generator=g).tolist()]
        order: list[int] = []
        for w in range(0, len(blocks), self.shuffle_window):
            group = torch.cat([torch.arange(a, b) for a, b in blocks[w:w + self.shuffle_window]])
            order += group[torch.randperm(len(group), generator=g)].tolist()
        return order

    def __iter__(self) -> Iterator[BatchRequest]:
        epoch, self.epoch = self.epoch, self.epoch + 1
        order = self._order(epoch)
        for b in range(len(self)):
            yield BatchRequest(order[b * self.batch_size:(b + 1) * self.batch_size], derive_seed(self.seed, epoch, b))


class _Batches(torch.utils.data.Dataset):
    """``ds[BatchRequest]`` -> the collated, optionally transformed batch."""

    def __init__(self, dataset: EventsDataset, transform: Transform | None) -> None:
        self.dataset, self.transform = dataset, transform

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, request: BatchRequest) -> Events:
        events = self.dataset.collate([self.dataset[i] for i in request.indices])
        if self.transform is not None:
            events = self.transform(events, torch.Generator().manual_seed(request.seed))
        return events


def _as_is(batch: Events) -> Events:
    return batch


def seed_worker(worker_id: int) -> None:
    """``worker_init_fn`` seeding numpy's and Python's global generators in each worker from
    torch's per-worker seed (itself fixed by the DataLoader's ``generator``)."""
    seed = torch.initial_seed() % 2 ** 32
    np.random.seed(seed)
    random.seed(seed)


def event_loader(dataset: EventsDataset, batch_size: int, *, seed: int, shuffle: bool = True,
                 drop_last: bool = False, transform: Transform | None = None, num_workers: int = 0,
                 shuffle_window: int = 8, **loader_options: Any) -> torch.utils.data.DataLoader:
    """A ``DataLoader`` of :class:`augment.Events` batches of ``dataset``, identical for a
    given ``seed`` whatever ``num_workers``. ``transform`` (an augment transform) is applied
    to each batch in the worker with a generator seeded per batch; to augment on a GPU,
    leave it None and apply the transform after moving the batch. ``shuffle_window`` chunks are
    shuffled together (at most the dataset's ``cache_chunks``). ``loader_options`` go to
    ``DataLoader`` (``pin_memory``, ``persistent_workers``, ``prefetch_factor``...)."""
    if check_int("shuffle_window", shuffle_window, 1) > dataset.cache_chunks:
        raise ValueError(f"shuffle_window: expected at most the dataset's cache_chunks = {dataset.cache_chunks}, "
                         f"got {shuffle_window}")
    sampler = SeededBatchSampler(len(dataset), batch_size, seed=seed, shuffle=shuffle, drop_last=drop_last,
                                 blocks=dataset.chunks(), shuffle_window=shuffle_window)
    return torch.utils.data.DataLoader(
        _Batches(dataset, transform), sampler=sampler, batch_size=None, collate_fn=_as_is,
        num_workers=check_int("num_workers", num_workers, 0), worker_init_fn=seed_worker,
        generator=torch.Generator().manual_seed(derive_seed(seed)), **loader_options)
