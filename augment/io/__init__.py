"""Reading and writing events: the public datasets and this project's ragged format.

* :func:`read` -- one file (or a slice of its events) as :class:`augment.Events`, in any
  of :data:`FORMATS`, detected from the content.
* :class:`EventsDataset` -- a map-style ``torch.utils.data.Dataset`` over many files that
  reads lazily in chunks; :func:`event_loader` makes a ``DataLoader`` whose batches (and
  the random transforms applied to them) depend only on its seed, not on ``num_workers``.
* :func:`from_padded`, :func:`from_counts`, :func:`from_awkward` -- Events from arrays.
* :func:`write_events` -- the ragged format's atomic writer.
"""

from augment.io._read import FORMATS, detect_format, open_source, read
from augment.io._source import Source, SourceInfo
from augment.io.arrays import from_awkward, from_counts, from_padded
from augment.io.dataset import EventsDataset, collate_events, event_loader, seed_worker
from augment.io.ragged import FORMAT, write_events

__all__ = ["read", "detect_format", "open_source", "FORMATS", "Source", "SourceInfo", "EventsDataset",
           "collate_events", "event_loader", "seed_worker", "from_padded", "from_counts", "from_awkward",
           "write_events", "FORMAT"]
