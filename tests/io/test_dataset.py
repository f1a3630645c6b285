import numpy as np
import pytest
import torch

from augment import Compose, Jitter, Rotate
from augment.io import EventsDataset, collate_events, event_loader, read
from augment.io._source import Source
from tests.io.writers import jets, pilarnet_events, write_jetclass, write_pilarnet, write_top_tagging


@pytest.fixture
def jet_files(tmp_path):
    a = write_top_tagging(tmp_path / "a.h5", jets(9, 4, seed=1), [0, 1] * 4 + [1], "fixed")
    b = write_top_tagging(tmp_path / "b.h5", jets(5, 4, seed=2), [1, 0, 0, 1, 0], "table")
    return [a, b]


def same(x, y):
    return all(torch.equal(getattr(x, k), getattr(y, k)) for k in ("coords", "feats", "batch")) and \
        x.num_events == y.num_events and (x.labels is None) == (y.labels is None) and \
        (x.labels is None or torch.equal(x.labels, y.labels))


def test_many_files_read_lazily_in_chunks(jet_files, monkeypatch):
    reads = []
    original = Source.read

    def spy(self, start=0, stop=None):
        reads.append((self.path.name, start, stop))
        return original(self, start, stop)

    monkeypatch.setattr(Source, "read", spy)
    ds = EventsDataset(jet_files, chunk_events=4)
    assert reads == [] and len(ds) == 14 and ds.label_names == ["QCD", "top"]
    whole = [read(p) for p in jet_files]
    reads.clear()
    for i in range(len(ds)):
        f, j = (0, i) if i < 9 else (1, i - 9)
        c, x, y = ds[i]
        lo, hi = whole[f].offsets()[j], whole[f].offsets()[j + 1]
        assert torch.equal(c, whole[f].coords[lo:hi]) and torch.equal(x, whole[f].feats[lo:hi])
        assert y == int(whole[f].labels[j])
    # Sequential access reads each chunk once, never a whole file.
    assert reads == [("a.h5", 0, 4), ("a.h5", 4, 8), ("a.h5", 8, 9), ("b.h5", 0, 4), ("b.h5", 4, 5)]
    assert ds[-1][2] == 0
    with pytest.raises(IndexError, match=r"i: expected an event index in \[0, 14\)"):
        ds[14]


def test_files_of_different_kinds_are_refused(tmp_path, jet_files):
    p = write_pilarnet(tmp_path / "p.h5", pilarnet_events(2, seed=0))
    with pytest.raises(ValueError, match=r"paths: .*p\.h5 has coord_names \['x', 'y', 'z'\], expected"):
        EventsDataset([jet_files[0], p])


def test_unlabelled_events_collate_and_mixed_are_refused(tmp_path):
    ds = EventsDataset(write_pilarnet(tmp_path / "p.h5", pilarnet_events(3, seed=0)))
    batch = ds.collate([ds[0], ds[2]])
    assert batch.labels is None and batch.num_events == 2 and batch.feature_names == ("E", "semantic")
    assert collate_events([ds[1][:2]]).labels is None
    with pytest.raises(ValueError, match="items: expected all events labelled or none, got 1 unlabelled of 2"):
        collate_events([ds[0], (ds[1][0], ds[1][1], 1)])


def test_all_events_spans_files(jet_files):
    ev = EventsDataset(jet_files).all_events()
    assert ev.num_events == 14 and ev.labels.tolist() == [0, 1] * 4 + [1] + [1, 0, 0, 1, 0]


def batches(ds, num_workers, seed, epochs=2):
    transform = Compose([Rotate(), Jitter(0.01)])
    loader = event_loader(ds, 4, seed=seed, shuffle=True, transform=transform, num_workers=num_workers)
    return [[b for b in loader] for _ in range(epochs)]


def test_loader_batches_depend_on_the_seed_not_on_num_workers(tmp_path):
    # Regression: batches differed between num_workers = 0, 1 and 2 and repeated only
    # when the caller seeded torch globally.
    path = write_jetclass(tmp_path / "j.root", jets(10, 5, seed=3), np.arange(10) % 10)
    ds = EventsDataset(path, chunk_events=3)
    runs = {}
    for workers in (0, 1, 2):
        torch.manual_seed(workers)  # the global state must not matter
        runs[workers] = batches(ds, workers, seed=7)
    ref = runs[0]
    assert [b.num_events for b in ref[0]] == [4, 4, 2]
    for workers in (1, 2):
        assert all(same(x, y) for e in range(2) for x, y in zip(ref[e], runs[workers][e]))
    # Epochs differ (order and augmentation), and so does another seed.
    assert not same(ref[0][0], ref[1][0])
    assert not same(ref[0][0], batches(ds, 0, seed=8, epochs=1)[0][0])
    # Without the transform the batches are the events themselves, in the sampled order.
    plain = next(iter(event_loader(ds, 10, seed=7, shuffle=False)))
    assert same(plain, read(path))


def test_concat_events_keeps_per_event_attrs():
    from augment import Events
    from augment.io.dataset import concat_events

    a = Events.from_counts(np.zeros((2, 2), np.float32), np.ones((2, 1), np.float32), np.array([2]))
    b = Events.from_counts(np.zeros((1, 2), np.float32), np.ones((1, 1), np.float32), np.array([0, 1]))
    out = concat_events([a.replace(attrs={"t": torch.tensor([1.0])}), b.replace(attrs={"t": torch.tensor([2.0, 3.0])})])
    assert out.num_events == 3 and out.counts().tolist() == [2, 0, 1] and out.attrs["t"].tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="parts: expected the same attrs keys"):
        concat_events([a.replace(attrs={"t": torch.tensor([1.0])}), b])


def test_events_pickle_for_workers():
    # Regression: Events with its read-only attrs mapping could not be pickled, so a DataLoader
    # worker's batch never arrived (the loader waited forever).
    import pickle

    from augment import Events

    ev = Events.from_counts(np.zeros((3, 2), np.float32), np.ones((3, 1), np.float32), np.array([1, 2]),
                            labels=np.array([0, 1]), feature_names=("pT",)).replace(attrs={"t": torch.tensor([1., 2.])})
    back = pickle.loads(pickle.dumps(ev))
    assert same(back, ev) and back.feature_names == ("pT",) and back.attrs["t"].tolist() == [1.0, 2.0]


def test_block_shuffle_reads_each_chunk_once_per_epoch(tmp_path, monkeypatch):
    # A full permutation read a chunk per event (1488x one whole read in bench.io); block shuffling
    # takes chunks in a random order, shuffle_window at a time.
    path = write_jetclass(tmp_path / "j.root", jets(40, 3, seed=4), np.arange(40) % 10)
    ds = EventsDataset(path, chunk_events=5, cache_chunks=2)
    reads = []
    original = Source.read
    monkeypatch.setattr(Source, "read", lambda self, a=0, b=None: reads.append((a, b)) or original(self, a, b))
    loader = event_loader(ds, 4, seed=1, shuffle_window=2)
    order = [i for request in loader.sampler for i in request.indices]
    assert sorted(order) == list(range(40)) and order != list(range(40))
    groups = [sorted({i // 5 for i in order[k:k + 10]}) for k in range(0, 40, 10)]
    assert all(len(g) == 2 for g in groups) and sorted(c for g in groups for c in g) == list(range(8))
    assert sum(b.num_events for b in loader) == 40
    assert len(reads) == 8 and sorted(reads) == [(lo, lo + 5) for lo in range(0, 40, 5)]
    with pytest.raises(ValueError, match="shuffle_window: expected at most the dataset's cache_chunks = 2"):
        event_loader(ds, 4, seed=1, shuffle_window=3)
