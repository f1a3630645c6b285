import math

import pytest
import torch

from training.linear_eval import roc_auc
from training.studies.statistics import Difference, paired_difference, verdict


def mean_metric(scores, labels):
    return float(scores.double().mean())


def test_interval_covers_a_known_difference_at_its_level():
    """Rows a and b are right on each event with probability 0.8 and 0.7 (independently): the
    true paired difference of accuracy is 0.1; a 90% interval must cover it in at least ~90% of
    trials. Here all the noise is per (seed, event), so resampling the seeds on top of the events
    counts part of it twice: the interval is conservative, but no more than 1.7 times as wide as
    the exact normal one, 2 x 1.645 x sqrt((0.8 x 0.2 + 0.7 x 0.3) / 1200) = 0.058."""
    g = torch.Generator().manual_seed(0)
    trials, covered, width = 200, 0, 0.0
    for t in range(trials):
        a = (torch.rand(3, 400, generator=g) < 0.8).double()
        b = (torch.rand(3, 400, generator=g) < 0.7).double()
        d = paired_difference(mean_metric, a, b, torch.zeros(400), n_boot=200, level=0.9, seed=t)
        covered += d.low <= 0.1 <= d.high
        width += (d.high - d.low) / trials
    assert covered / trials >= 0.86
    assert 0.058 < width < 1.7 * 0.058


def test_auc_difference_of_gaussian_scores_has_the_analytic_value():
    """Signal ~ N(d, 1), background ~ N(0, 1): AUC = Phi(d / sqrt 2). d = 2 against d = 1:
    0.9214 - 0.7602 = 0.1612."""
    g = torch.Generator().manual_seed(1)
    labels = torch.arange(2000) % 2
    noise = torch.randn(2, 3, 2000, generator=g, dtype=torch.float64)
    a, b = noise[0] + 2.0 * labels, noise[1] + 1.0 * labels
    phi = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    truth = phi(2 / math.sqrt(2)) - phi(1 / math.sqrt(2))
    d = paired_difference(roc_auc, a, b, labels, n_boot=300)
    assert d.low <= truth <= d.high and abs(d.mean - truth) < 0.02
    assert d.resolved() and verdict(d) == "better"
    assert verdict(paired_difference(roc_auc, b, a, labels, n_boot=300)) == "worse"


def test_identical_rows_give_zero_and_are_not_resolved():
    scores = torch.randn(3, 100, generator=torch.Generator().manual_seed(2))
    d = paired_difference(mean_metric, scores, scores.clone(), torch.zeros(100), n_boot=50)
    assert d == Difference(0.0, 0.0, 0.0, 0.95) and not d.resolved() and verdict(d) == "not resolved"


def test_seeds_are_resampled():
    """Same events, per-seed offsets 0, 0.3, 0.6: mean 0.3, and resampled seed sets range from
    all-0 to all-0.6, so a 95% interval spans well beyond the event noise (which is zero here)."""
    b = torch.zeros(3, 50, dtype=torch.float64)
    a = b + torch.tensor([0.0, 0.3, 0.6], dtype=torch.float64)[:, None]
    d = paired_difference(mean_metric, a, b, torch.zeros(50), n_boot=500)
    assert d.mean == pytest.approx(0.3) and d.low <= 0.1 and d.high >= 0.5


def test_pairing_cancels_shared_event_noise():
    """b = a - 0.01 on every event: the paired difference is exactly 0.01 whatever the events' spread."""
    a = torch.randn(3, 200, generator=torch.Generator().manual_seed(3), dtype=torch.float64) * 10
    d = paired_difference(mean_metric, a, a - 0.01, torch.zeros(200), n_boot=100)
    assert d.low == pytest.approx(0.01) and d.high == pytest.approx(0.01) and verdict(d) == "better"


def test_same_seed_same_interval_and_bad_input():
    a, b = torch.rand(2, 3, 60, generator=torch.Generator().manual_seed(4))
    assert paired_difference(mean_metric, a, b, torch.zeros(60), seed=5) == paired_difference(
        mean_metric, a, b, torch.zeros(60), seed=5)
    with pytest.raises(ValueError, match="scores_b"):
        paired_difference(mean_metric, a, b[:2], torch.zeros(60))
    with pytest.raises(ValueError, match="labels"):
        paired_difference(mean_metric, a, b, torch.zeros(59))
    with pytest.raises(ValueError, match="scores_a"):
        paired_difference(mean_metric, a[0], b, torch.zeros(60))
    with pytest.raises(ValueError, match="level"):
        paired_difference(mean_metric, a, b, torch.zeros(60), level=1.0)


def test_event_draw_keeps_the_class_counts():
    """AUC needs both classes in every replicate: with 2 + 2 test events an unstratified draw would
    often take one class only; the stratified one never does."""
    labels = torch.tensor([0, 1, 0, 1])
    scores = torch.tensor([[0.1, 0.9, 0.4, 0.3]] * 2, dtype=torch.float64)
    d = paired_difference(roc_auc, scores, scores.flip(1), labels, n_boot=200)
    assert d.low <= d.mean <= d.high
