"""The ragged HDF5 format under its first name; it lives in :mod:`augment.io` (see
:mod:`augment.io.ragged` for the layout). Kept so that ``from augment.h5 import ...`` works."""

from augment.io.dataset import EventsDataset, collate_events
from augment.io.ragged import FORMAT, read_events, write_events

__all__ = ["write_events", "read_events", "EventsDataset", "collate_events", "FORMAT"]
