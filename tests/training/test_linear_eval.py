import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from training.linear_eval import (confusion_matrix, extract_features, fit_linear, linear_probe, rejection_at, roc_auc,
                                  train_test_split)
from tests.training.toy import SumPoolEncoder, toy_events


def test_rejection_on_hand_computed_toy():
    # signal 1, 3, 3, 3; background 0, 0, 3, 5. ROC points (fpr, tpr): (0, 0), (.25, 0)
    # at t = 5, (.5, .75) at t = 3 (tie), ... At eps_s = .5: eps_b = .25 + .25 * (.5 / .75) = 5/12.
    scores = torch.tensor([1.0, 3, 3, 3, 0, 0, 3, 5])
    labels = torch.tensor([1, 1, 1, 1, 0, 0, 0, 0])
    assert rejection_at(scores, labels, 0.5) == pytest.approx(12 / 5)
    assert rejection_at(scores, labels, 0.75) == pytest.approx(2.0)  # exactly on a ROC point
    assert rejection_at(torch.tensor([1.0, 0.0]), torch.tensor([1, 0])) == math.inf


def test_uniform_toy_analytic():
    # signal ~ U(0.25, 1.25), background ~ U(0, 1) on fine grids: eps_s = 0.5 at cut 0.75,
    # eps_b = 0.25 -> rejection 4.
    s = torch.linspace(0.25, 1.25, 20001, dtype=torch.float64)
    b = torch.linspace(0.0, 1.0, 20001, dtype=torch.float64)
    scores, labels = torch.cat([s, b]), torch.cat([torch.ones(20001), torch.zeros(20001)]).long()
    assert rejection_at(scores, labels) == pytest.approx(4.0, rel=1e-3)


def test_confusion_matrix_rows_are_true_class():
    cm = confusion_matrix(torch.tensor([0, 2, 2, 1]), torch.tensor([0, 0, 2, 1]), 3)
    assert cm.tolist() == [[1, 0, 1], [0, 1, 0], [0, 0, 1]]


def test_linear_probe_separable_binary_and_multiclass():
    g = torch.Generator().manual_seed(0)
    centres = torch.tensor([[0.0, 0.0, 0.0], [6.0, 0.0, 0.0], [0.0, 6.0, 0.0]])
    y = torch.randint(0, 3, (300,), generator=g)
    x = centres[y] + torch.randn(300, 3, generator=g)
    train, test = train_test_split(300, 0.5, seed=1)
    assert len(set(train.tolist()) & set(test.tolist())) == 0 and len(train) + len(test) == 300
    res = linear_probe(x[train], y[train], x[test], y[test], l2=1e-3)
    assert res["accuracy"] > 0.97 and res["confusion"].sum() == len(test)
    assert torch.equal(res["confusion"].sum(1), torch.bincount(y[test], minlength=3))
    binary = (y == 1).long()
    res = linear_probe(x[train], binary[train], x[test], binary[test], l2=1e-3)
    assert res["auc"] > 0.99 and res["rejection_at_0.5"] > 50 and set(res) == {"accuracy", "confusion", "auc",
                                                                               "rejection_at_0.5"}
    # Pure-noise features: chance level.
    noise = torch.randn(300, 3, generator=g)
    assert abs(linear_probe(noise[train], binary[train], noise[test], binary[test])["auc"] - 0.5) < 0.15


def test_standardisation_fitted_on_train_only_and_l2_shrinks():
    x = torch.tensor([[0.0, 5.0], [2.0, 5.0], [4.0, 5.0], [1.0, 5.0]])
    y = torch.tensor([0, 0, 1, 1])
    clf = fit_linear(x, y, l2=1.0)
    scaler, logistic = clf.model[0], clf.model[-1]
    assert scaler.mean_.tolist() == [1.75, 5.0] and scaler.scale_[1] == 1.0  # constant column left unscaled
    assert clf.logits(x).shape == (4, 2) and torch.isfinite(clf.logits(x)).all()
    # The penalty l2/2 |W|^2 on the mean loss is scikit-learn's C = 1 / (l2 M).
    assert logistic.C == pytest.approx(1 / 4)
    assert abs(fit_linear(x, y, l2=100.0).model[-1].coef_).sum() < abs(logistic.coef_).sum()


def test_logits_cover_classes_absent_from_training():
    x = torch.tensor([[0.0], [1.0], [2.0], [3.0]])
    logits = fit_linear(x, torch.tensor([0, 0, 2, 2]), num_classes=3).logits(x)
    assert logits.shape == (4, 3) and bool((logits[:, 1] == -math.inf).all())


def test_extract_features_chunks_and_restores_mode():
    torch.manual_seed(0)
    enc = SumPoolEncoder(3, 5).train()
    ev = toy_events(10)
    feats = extract_features(enc, ev, batch_size=3)
    assert feats.shape == (10, 5) and enc.training
    with torch.no_grad():
        torch.testing.assert_close(feats, enc(ev))


def test_bad_input():
    s, y = torch.tensor([0.1, 0.2]), torch.tensor([1, 1])
    with pytest.raises(ValueError, match="labels: expected both signal"):
        rejection_at(s, y)
    with pytest.raises(ValueError, match="labels: expected 0 .background. and 1"):
        rejection_at(s, torch.tensor([0, 2]))
    with pytest.raises(ValueError, match="scores: expected finite"):
        rejection_at(torch.tensor([0.1, float("nan")]), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="signal_efficiency: expected a number in"):
        rejection_at(s, torch.tensor([0, 1]), 0.0)
    with pytest.raises(ValueError, match="train_labels: expected an int64"):
        linear_probe(torch.randn(4, 2), torch.zeros(3).long(), torch.randn(4, 2), torch.zeros(4).long())
    with pytest.raises(ValueError, match="test_feats: expected 2 columns"):
        linear_probe(torch.randn(4, 2), torch.tensor([0, 1, 0, 1]), torch.randn(4, 3), torch.zeros(4).long())
    with pytest.raises(ValueError, match="num_classes: expected at least 2"):
        linear_probe(torch.randn(4, 2), torch.zeros(4).long(), torch.randn(4, 2), torch.zeros(4).long())
    with pytest.raises(ValueError, match="true: expected class indices in"):
        confusion_matrix(torch.tensor([0]), torch.tensor([3]), 2)
    with pytest.raises(ValueError, match="test_fraction"):
        train_test_split(10, 1.0)
    with pytest.raises(ValueError, match="batch_size: expected an int >= 1"):
        extract_features(SumPoolEncoder(3), toy_events(2), 0)


@given(st.integers(2, 300), st.integers(0, 2 ** 31 - 1), st.sampled_from([None, 3, 50]))
def test_roc_auc_equals_scikit_learn_with_and_without_ties(n, seed, levels):
    """Regression (issue 12): the bootstrap called sklearn's roc_auc_score 72k times per jets table
    (~5 minutes); the rank statistic is the same number."""
    from sklearn.metrics import roc_auc_score

    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 2  # both classes
    scores = torch.randn(n, generator=g, dtype=torch.float64) + 0.5 * labels
    if levels is not None:  # coarse scores: many ties
        scores = torch.round(scores * levels / 4) / levels
    assert roc_auc(scores, labels) == pytest.approx(roc_auc_score(labels.numpy(), scores.numpy()), abs=1e-12)
