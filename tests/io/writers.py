"""Files in the public datasets' layouts, written by the writers those datasets use:
pandas ``DataFrame.to_hdf`` (top tagging), uproot (JetClass), h5py variable-length arrays
(PILArNet-M). Jets are built from known (pT, eta, phi) so readers can be checked against
them."""

from __future__ import annotations

import numpy as np


def massless(pt, eta, phi):
    """Four-momenta (px, py, pz, E) of massless constituents."""
    return pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta), pt * np.cosh(eta)


def jets(num_jets, max_constituents, seed):
    """Per-jet (pt, eta, phi) arrays with 1..max_constituents constituents, pT-descending."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(num_jets):
        n = int(rng.integers(1, max_constituents + 1))
        pt = np.sort(rng.uniform(1.0, 100.0, n))[::-1]
        out.append((pt, rng.uniform(-2.0, 2.0, n), rng.uniform(-np.pi, np.pi, n)))
    return out


def write_top_tagging(path, constituents, labels, layout):
    """The top-tagging layout: columns E_i, PX_i, PY_i, PZ_i (interleaved per constituent,
    zero-padded), truth columns, ttv and is_signal_new, key "table"."""
    import pandas as pd

    n_max = max(len(pt) for pt, _, _ in constituents) + 1  # at least one padded slot per jet
    data = {}
    for i in range(n_max):
        for q in ("E", "PX", "PY", "PZ"):
            data[f"{q}_{i}"] = np.zeros(len(constituents))
    for j, (pt, eta, phi) in enumerate(constituents):
        px, py, pz, e = massless(pt, eta, phi)
        for i in range(len(pt)):
            data[f"E_{i}"][j], data[f"PX_{i}"][j], data[f"PY_{i}"][j], data[f"PZ_{i}"][j] = e[i], px[i], py[i], pz[i]
    for q in ("truthE", "truthPX", "truthPY", "truthPZ"):
        data[q] = np.ones(len(constituents))
    data["ttv"] = np.zeros(len(constituents), dtype=np.int64)
    data["is_signal_new"] = np.asarray(labels, dtype=np.int64)
    pd.DataFrame(data).to_hdf(path, key="table", format=layout)
    return path


def write_jetclass(path, constituents, labels):
    """The JetClass layout: TTree "tree", jagged part_* branches, one-hot label_* branches."""
    import awkward as ak
    import uproot

    from augment.io.jetclass import LABEL_NAMES

    four = [massless(*c) for c in constituents]
    branches = {name: ak.Array([f[k] for f in four]) for k, name in
                enumerate(("part_px", "part_py", "part_pz", "part_energy"))}
    branches["part_deta"] = ak.Array([c[1] for c in constituents])
    for k, name in enumerate(LABEL_NAMES):
        branches[f"label_{name}"] = (np.asarray(labels) == k).astype(np.float32)
    branches["jet_pt"] = np.array([c[0].sum() for c in constituents])
    with uproot.recreate(path) as f:
        f["tree"] = branches
    return path


def write_pilarnet(path, events, cluster_columns=6):
    """The PILArNet-M layout: per event a variable-length float32 ``point`` row (8 values per
    point: x, y, z, E, then 4 more) and an int ``cluster`` row (size, ..., semantic at 4).
    ``events``: list of (points (n, 8), clusters (m, cluster_columns))."""
    import h5py

    with h5py.File(path, "w") as f:
        point = f.create_dataset("point", (len(events),), dtype=h5py.vlen_dtype(np.float32))
        cluster = f.create_dataset("cluster", (len(events),), dtype=h5py.vlen_dtype(np.int64))
        for i, (p, c) in enumerate(events):
            point[i] = np.asarray(p, np.float32).ravel()
            cluster[i] = np.asarray(c, np.int64).ravel()
    return path


def pilarnet_events(num_events, seed, cluster_columns=6):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(num_events):
        sizes = rng.integers(1, 6, int(rng.integers(1, 4)))
        semantic = rng.integers(0, 5, len(sizes))
        clusters = np.full((len(sizes), cluster_columns), -1, dtype=np.int64)
        clusters[:, 0], clusters[:, 4] = sizes, semantic
        points = rng.uniform(0, 768, (int(sizes.sum()), 8)).astype(np.float32)
        points[:, 3] = rng.uniform(0.01, 5.0, len(points))
        out.append((points, clusters))
    return out
