import pytest
import torch
from torch import nn

from augment import Events, Rotate, Translate
from augment.functional import event_mean
from tests.training.toy import SumPoolEncoder, toy_events
from training.invariance import invariance_score, score_change, true_class_score


class RadialEncoder(nn.Module):
    """Per event: mean distance of the points from the origin and mean feature. Rotations about the
    origin leave both exactly unchanged."""

    def forward(self, events: Events) -> torch.Tensor:
        r = events.coords.norm(dim=1, keepdim=True)
        return event_mean(torch.cat([r, events.feats], 1), events.batch, events.num_events)


class CentroidEncoder(nn.Module):
    """Per event: the mean position (moves with every translation)."""

    def forward(self, events: Events) -> torch.Tensor:
        return event_mean(events.coords, events.batch, events.num_events)


def unrelated(events: Events, generator: torch.Generator) -> Events:
    """A transform whose output does not depend on its input: fresh random events."""
    return toy_events(events.num_events, seed=int(torch.randint(2**31, (1,), generator=generator)))


def centred(n: int, seed: int = 0) -> Events:
    ev = toy_events(n, seed=seed)
    return ev.replace(coords=ev.coords - 0.5)


def test_exactly_invariant_encoder_scores_one():
    score = invariance_score(RadialEncoder(), centred(300), Rotate(centre="origin"), torch.Generator().manual_seed(0))
    assert score == pytest.approx(1.0, abs=1e-6)


def test_unrelated_views_score_zero():
    torch.manual_seed(0)
    score = invariance_score(SumPoolEncoder(3), toy_events(2000), unrelated, torch.Generator().manual_seed(1))
    assert abs(score) < 0.05


def test_partial_invariance_lies_between_and_falls_with_strength():
    ev, enc = centred(500), CentroidEncoder()
    small = invariance_score(enc, ev, Translate(0.05), torch.Generator().manual_seed(2))
    large = invariance_score(enc, ev, Translate(2.0), torch.Generator().manual_seed(2))
    assert 0.0 < large < small < 1.0


def test_reference_view_and_reproducibility():
    ev, enc = centred(100), CentroidEncoder()
    t = Translate(0.3)
    a = invariance_score(enc, ev, t, torch.Generator().manual_seed(3))
    assert a == invariance_score(enc, ev, t, torch.Generator().manual_seed(3))
    assert invariance_score(enc, ev, t, 3) == a  # an int seed is a seeded generator
    # x = T(events) and T(x) = T(events) with the same draws: identical features, score 1
    same = invariance_score(enc, ev, lambda e, g: t(e, torch.Generator().manual_seed(9)), 4,
                            reference=lambda e, g: t(e, torch.Generator().manual_seed(9)))
    assert same == pytest.approx(1.0)


def test_invariance_bad_input():
    with pytest.raises(ValueError, match="at least 2 events"):
        invariance_score(CentroidEncoder(), toy_events(1), Translate(0.1), 0)
    with pytest.raises(ValueError, match="keep the number of events"):
        invariance_score(CentroidEncoder(), toy_events(4), lambda e, g: toy_events(3), 0)


def test_score_change_hand_computed():
    labels = torch.tensor([0, 1])
    ref = torch.zeros(2, 2)  # p_true = 0.5 for both events
    logits = torch.tensor([[0.0, 0.0], [0.0, torch.log(torch.tensor(3.0))]])  # p_true = 0.5, 0.75
    torch.testing.assert_close(true_class_score(logits, labels), torch.tensor([0.5, 0.75], dtype=torch.float64))
    torch.testing.assert_close(score_change(logits, ref, labels), torch.tensor([0.0, 0.25], dtype=torch.float64))
    with pytest.raises(ValueError, match="reference"):
        score_change(logits, ref[:1], labels)
    with pytest.raises(ValueError, match="labels"):
        true_class_score(logits, labels.float())
