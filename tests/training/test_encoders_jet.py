import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from augment import Events
from tests.strategies import events_strategy
from training.encoders import JetTransformer

jets = events_strategy(dims=2, channels=1, min_points=1, max_points=12, scale=1.0)


def model(**kwargs) -> JetTransformer:
    torch.manual_seed(0)
    return JetTransformer(embed_dim=16, num_heads=2, num_layers=2, ff_dim=32, head_dims=(16, 8), **kwargs).double().eval()


MODELS = {"default": model(), "irc_safe": model(irc_safe=True),
          "log_mean": model(log_pt=True, coord_scale=0.25, pooling="mean")}


def add_constituent(ev: Events, event: int, coords: torch.Tensor, feats: torch.Tensor) -> Events:
    """``ev`` with one more constituent appended to jet ``event``."""
    parts = ev.to_list()
    c, f = parts[event]
    parts[event] = (torch.cat([c, coords[None]]), torch.cat([f, feats[None]]))
    return Events.from_list([p[0] for p in parts], [p[1] for p in parts])


@pytest.mark.parametrize("name", MODELS)
@given(ev=jets, seed=st.integers(0, 2**31 - 1))
def test_permutation_invariance_within_jets(name, ev, seed):
    g = torch.Generator().manual_seed(seed)
    # Shuffle the rows of each jet: sort by (event, random key).
    perm = torch.argsort(ev.batch.double() + torch.rand(ev.num_points, generator=g, dtype=torch.float64) * 0.5)
    assert torch.equal(ev.batch[perm], ev.batch)
    shuffled = ev.replace(coords=ev.coords[perm], feats=ev.feats[perm])
    torch.testing.assert_close(MODELS[name](shuffled), MODELS[name](ev), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", MODELS)
@given(ev=jets)
def test_jet_alone_equals_jet_in_batch(name, ev):
    full = MODELS[name](ev)
    for i in range(ev.num_events):
        alone = MODELS[name](ev.index_select_events(torch.tensor([i])))
        torch.testing.assert_close(alone, full[i:i + 1], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", MODELS)
@given(ev=jets, eta_phi=st.tuples(st.floats(-1, 1), st.floats(-1, 1)), where=st.integers(0, 5))
def test_zero_pt_constituent_changes_nothing(name, ev, eta_phi, where):
    event = where % ev.num_events
    extra = add_constituent(ev, event, torch.tensor(eta_phi, dtype=ev.coords.dtype), ev.feats.new_zeros(1))
    torch.testing.assert_close(MODELS[name](extra), MODELS[name](ev), rtol=1e-10, atol=1e-10)


@given(ev=jets, r=st.floats(0.01, 0.99), where=st.integers(0, 100))
def test_collinear_split_changes_nothing_in_irc_safe_mode(ev, r, where):
    row = where % ev.num_points
    feats = ev.feats.clone()
    feats[row] *= r
    split = add_constituent(ev.replace(feats=feats), int(ev.batch[row]), ev.coords[row], ev.feats[row] * (1 - r))
    torch.testing.assert_close(MODELS["irc_safe"](split), MODELS["irc_safe"](ev), rtol=1e-9, atol=1e-9)


def test_default_mode_is_not_collinear_safe():
    ev = Events.from_list([torch.tensor([[0.1, 0.2], [-0.3, 0.1]], dtype=torch.float64)],
                          [torch.tensor([[100.0], [50.0]], dtype=torch.float64)])
    split = add_constituent(ev.replace(feats=ev.feats * torch.tensor([[0.5], [1.0]], dtype=torch.float64)),
                            0, ev.coords[0], ev.feats[0] * 0.5)
    assert (MODELS["default"](split) - MODELS["default"](ev)).abs().max() > 1e-4


def test_zero_pt_masking_is_what_makes_it_ir_safe():
    ev = Events.from_list([torch.tensor([[0.1, 0.2], [-0.3, 0.1]], dtype=torch.float64)],
                          [torch.tensor([[100.0], [50.0]], dtype=torch.float64)])
    extra = add_constituent(ev, 0, torch.tensor([0.5, 0.5], dtype=torch.float64), ev.feats.new_zeros(1))
    unmasked = model(mask_zero_pt=False)
    assert (unmasked(extra) - unmasked(ev)).abs().max() > 1e-6


@pytest.mark.parametrize("irc_safe", [False, True])
def test_inference_path_equals_autograd_path(irc_safe):
    # Under no_grad in eval mode nn.TransformerEncoderLayer may take a fused path.
    torch.manual_seed(0)
    m = JetTransformer(irc_safe=irc_safe).eval()
    ev = Events.from_list([torch.randn(6, 2), torch.randn(2, 2)], [torch.rand(6, 1) * 50, torch.tensor([[3.0], [0.0]])])
    with torch.no_grad():
        fast = m(ev)
    assert torch.isfinite(fast).all()
    torch.testing.assert_close(fast, m(ev), rtol=1e-5, atol=1e-5)


def test_eval_determinism_and_dropout_in_training():
    ev = Events.from_list(
        [torch.randn(8, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))],
        [torch.rand(8, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(2))])
    m = model(dropout=0.5)
    assert torch.equal(m(ev), m(ev))
    m.train()
    assert not torch.equal(m(ev), m(ev))


def test_output_shape_dtype_gradients_and_empty_jet():
    ev = Events(torch.rand(5, 2), torch.rand(5, 1) * 50, torch.tensor([0, 0, 0, 2, 2]), 4)
    m = JetTransformer()
    out = m(ev)
    assert out.shape == (4, m.out_features) == (4, 64) and out.dtype == torch.float32
    # Jets 1 and 3 are empty: the pooled vector is 0 and there is no head.
    assert (out[1] == 0).all() and (out[3] == 0).all()
    out.square().sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    assert 50_000 < sum(p.numel() for p in m.parameters()) < 100_000
    assert JetTransformer(max_constituents=2)(ev).shape == (4, 64)
    nothing = Events(torch.zeros(0, 2), torch.zeros(0, 1), torch.zeros(0, dtype=torch.int64), 2)
    assert torch.equal(m(nothing), torch.zeros(2, 64))


def test_bad_input():
    with pytest.raises(ValueError, match="embed_dim: expected a multiple of num_heads"):
        JetTransformer(embed_dim=10, num_heads=4)
    with pytest.raises(ValueError, match="max_constituents"):
        JetTransformer(max_constituents=0)
    ev = Events(torch.rand(3, 3), torch.rand(3, 1), torch.tensor([0, 0, 0]), 1)
    with pytest.raises(ValueError, match=r"events.coords: expected float \(eta, phi\)"):
        JetTransformer()(ev)
    ev2 = Events(torch.rand(3, 2), -torch.rand(3, 1), torch.tensor([0, 0, 0]), 1)
    with pytest.raises(ValueError, match="events.feats: expected pT >= 0"):
        JetTransformer()(ev2)
    with pytest.raises(ValueError, match="pt_column"):
        JetTransformer(pt_column=2)(ev2)
    with pytest.raises(TypeError, match="events: expected augment.Events"):
        JetTransformer()(ev2.coords)


def test_log_pt_coord_scale_and_mean_pooling_by_hand():
    """log_pt feeds log z, coord_scale divides (eta, phi), mean pooling averages the constituents with
    z > 0: with identity-like layers checked against the formula through the embedding's input."""
    torch.manual_seed(0)
    m = JetTransformer(embed_dim=4, num_heads=1, num_layers=1, ff_dim=4, log_pt=True, coord_scale=0.5,
                       pooling="mean").double().eval()
    seen = []
    m.embed.register_forward_hook(lambda mod, inp, out: seen.append(inp[0]))
    coords = torch.tensor([[0.1, 0.2], [-0.3, 0.1], [0.2, 0.0]], dtype=torch.float64)
    ev = Events.from_list([coords], [torch.tensor([[30.0], [10.0], [0.0]], dtype=torch.float64)])
    out = m(ev)
    x = seen[0][0]
    torch.testing.assert_close(x[:2, 0], torch.log(torch.tensor([0.75, 0.25], dtype=torch.float64)))
    torch.testing.assert_close(x[:, 1:], coords / 0.5)
    h = m.encoder(m.embed(x[None]), src_key_padding_mask=torch.tensor([[False, False, True]]))
    torch.testing.assert_close(out, h[:, :2].mean(1))


def test_new_options_bad_input():
    with pytest.raises(ValueError, match="pooling"):
        JetTransformer(pooling="max")
    with pytest.raises(ValueError, match="coord_scale"):
        JetTransformer(coord_scale=0.0)
    with pytest.raises(ValueError, match="irc_safe"):
        JetTransformer(irc_safe=True, log_pt=True)
