"""The linear classifier test: frozen encoder features -> logistic regression -> metrics.

A representation is judged by how well a linear classifier separates the classes on
its frozen features (the "linear evaluation protocol" of SimCLR, arXiv:2002.05709
sec. 4). Features are standardised with the mean and standard deviation of the
training split only (scikit-learn ``StandardScaler``); the classifier is scikit-learn's
multinomial ``LogisticRegression`` (L-BFGS) with an optional L2 penalty on the weights.

Metrics: binary tasks get the ROC AUC (the Mann-Whitney statistic, equal to
``sklearn.metrics.roc_auc_score``) and the background rejection 1/eps_b at signal efficiency eps_s = 0.5 (the figure of merit of top
tagging, Kasieczka et al., "The Machine Learning Landscape of Top Taggers",
arXiv:1902.09914), read off ``sklearn.metrics.roc_curve``; every task gets the accuracy
and the confusion matrix (rows = true class, columns = predicted class).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix as sk_confusion_matrix
from scipy.stats import rankdata
from sklearn.metrics import roc_curve
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import Tensor, nn

from augment._checks import check_events, check_int, check_nonnegative
from augment._events import Events

__all__ = ["roc_auc", "extract_features", "train_test_split", "LinearClassifier", "fit_linear", "rejection_at",
           "confusion_matrix", "linear_probe"]


@torch.no_grad()
def extract_features(encoder: nn.Module, events: Events, batch_size: int = 1024) -> Tensor:
    """(B, F) features of all events, computed in eval mode in chunks of ``batch_size``
    events on the encoder's device; returned on ``events``' device. The encoder's
    train/eval mode is restored afterwards."""
    check_events(events)
    check_int("batch_size", batch_size, 1)
    param = next(encoder.parameters(), None)
    device = events.device if param is None else param.device
    was_training = encoder.training
    encoder.eval()
    try:
        chunks = [encoder(events.index_select_events(torch.arange(i, min(i + batch_size, events.num_events)))
                          .to(device)).to(events.device)
                  for i in range(0, events.num_events, batch_size)]
    finally:
        encoder.train(was_training)
    if not chunks:
        raise ValueError("events: expected at least one event, got an empty batch")
    return torch.cat(chunks)


def train_test_split(num: int, test_fraction: float = 0.25, seed: int = 0) -> tuple[Tensor, Tensor]:
    """Random disjoint (train, test) index tensors over ``num`` items (seeded)."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction: expected a number in (0, 1), got {test_fraction!r}")
    n_test = round(num * test_fraction)
    if not 0 < n_test < num:
        raise ValueError(f"num: expected enough items for a non-empty train and test split, got {num}")
    perm = torch.randperm(num, generator=torch.Generator().manual_seed(seed))
    return perm[n_test:], perm[:n_test]


@dataclass(frozen=True)
class LinearClassifier:
    """A fitted scikit-learn pipeline (standardisation + logistic regression) over K classes."""

    model: Pipeline
    num_classes: int

    def logits(self, feats: Tensor) -> Tensor:
        """(M, K) float64 logits of ``feats`` (M, F): the decision function, (0, d) for two
        classes; -inf for a class absent from the training split."""
        scores = self.model.decision_function(feats.detach().cpu().double().numpy())
        if scores.ndim == 1:
            scores = np.stack([np.zeros_like(scores), scores], axis=1)
        out = np.full((len(scores), self.num_classes), -np.inf)
        out[:, self.model.classes_] = scores
        return torch.from_numpy(out).to(feats.device)


def fit_linear(feats: Tensor, labels: Tensor, num_classes: int | None = None, l2: float = 0.0,
               max_iter: int = 200) -> LinearClassifier:
    """Multinomial logistic regression on standardised ``feats`` (M, F) with int
    ``labels`` (M,) in [0, num_classes): minimises mean cross entropy + l2/2 |W|^2, i.e.
    scikit-learn's ``C = 1 / (l2 M)`` (C = inf, no penalty, for l2 = 0). Constant features (std 0)
    are centred and left unscaled (``StandardScaler``)."""
    _check_feats_labels("feats", "labels", feats, labels)
    check_nonnegative("l2", l2)
    check_int("max_iter", max_iter, 1)
    k = int(labels.max()) + 1 if num_classes is None else num_classes
    if int(labels.max()) >= k:
        raise ValueError(f"labels: expected class indices < num_classes = {k}, got {int(labels.max())}")
    if len(torch.unique(labels)) < 2:
        raise ValueError("labels: expected at least two classes in the training split")
    c = 1.0 / (l2 * len(labels)) if l2 > 0 else np.inf  # C = inf: no penalty
    model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=max_iter))
    model.fit(feats.detach().cpu().double().numpy(), labels.cpu().numpy())
    return LinearClassifier(model, k)


def roc_auc(scores: Tensor, labels: Tensor) -> float:
    """Area under the ROC curve of ``scores`` (M,) for 0/1 ``labels`` (M,): 1 signal, 0
    background; higher score = more signal-like. Computed as the Mann-Whitney statistic
    U / (n_1 n_0) from the average ranks of the scores (``scipy.stats.rankdata``; ties count
    one half), which equals ``sklearn.metrics.roc_auc_score`` (test) at a fraction of its cost:
    the bootstrap intervals of :mod:`training.studies.statistics` call it thousands of times."""
    y, s = _check_binary(scores, labels)
    n1 = int(y.sum())
    n0 = len(y) - n1
    return float((rankdata(s)[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def rejection_at(scores: Tensor, labels: Tensor, signal_efficiency: float = 0.5) -> float:
    """Background rejection 1/eps_b at ``signal_efficiency`` eps_s, with eps_b linearly
    interpolated on the ROC curve between the two thresholds around eps_s (the lowest
    eps_b where the ROC is flat at eps_s). inf when eps_b = 0. ``labels``: 1 signal,
    0 background; higher score = more signal-like."""
    if not 0.0 < signal_efficiency <= 1.0:
        raise ValueError(f"signal_efficiency: expected a number in (0, 1], got {signal_efficiency!r}")
    y, s = _check_binary(scores, labels)
    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
    i = int(np.searchsorted(tpr, signal_efficiency))  # first tpr >= eps_s
    if tpr[i] == signal_efficiency:
        eps_b = float(fpr[i])
    else:
        frac = (signal_efficiency - tpr[i - 1]) / (tpr[i] - tpr[i - 1])
        eps_b = float(fpr[i - 1] + frac * (fpr[i] - fpr[i - 1]))
    return float("inf") if eps_b == 0 else 1.0 / eps_b


def confusion_matrix(predicted: Tensor, true: Tensor, num_classes: int) -> Tensor:
    """(K, K) int64 counts: entry [t, p] = number of events of true class t predicted p."""
    for name, t in (("predicted", predicted), ("true", true)):
        if not isinstance(t, Tensor) or t.dim() != 1 or t.dtype != torch.int64:
            raise ValueError(f"{name}: expected an int64 (M,) tensor of class indices")
    if predicted.shape != true.shape:
        raise ValueError(f"predicted, true: expected the same shape, got {tuple(predicted.shape)} and {tuple(true.shape)}")
    for name, t in (("predicted", predicted), ("true", true)):
        if len(t) and (int(t.min()) < 0 or int(t.max()) >= num_classes):
            raise ValueError(f"{name}: expected class indices in [0, {num_classes}), got [{int(t.min())}, {int(t.max())}]")
    return torch.from_numpy(sk_confusion_matrix(true.cpu().numpy(), predicted.cpu().numpy(),
                                                labels=list(range(num_classes)))).to(torch.int64)


def linear_probe(train_feats: Tensor, train_labels: Tensor, test_feats: Tensor, test_labels: Tensor,
                 l2: float = 0.0, max_iter: int = 200, num_classes: int | None = None) -> dict:
    """Fit :func:`fit_linear` on the training split, evaluate on the test split.

    Returns ``accuracy`` (float), ``confusion`` ((K, K) tensor, rows = true) and for
    K = 2 also ``auc`` and ``rejection_at_0.5`` (1/eps_b at eps_s = 0.5, class 1 =
    signal, score = logit difference)."""
    _check_feats_labels("train_feats", "train_labels", train_feats, train_labels)
    _check_feats_labels("test_feats", "test_labels", test_feats, test_labels)
    if train_feats.shape[1] != test_feats.shape[1]:
        raise ValueError(f"test_feats: expected {train_feats.shape[1]} columns like train_feats, got {test_feats.shape[1]}")
    k = max(int(train_labels.max()), int(test_labels.max())) + 1 if num_classes is None else num_classes
    if k < 2:
        raise ValueError(f"num_classes: expected at least 2 classes, got {k}")
    clf = fit_linear(train_feats, train_labels, k, l2, max_iter)
    logits = clf.logits(test_feats)
    predicted = logits.argmax(1)
    out = {"accuracy": float((predicted == test_labels).double().mean()),
           "confusion": confusion_matrix(predicted, test_labels, k)}
    if k == 2:
        score = logits[:, 1] - logits[:, 0]
        out["auc"] = roc_auc(score, test_labels)
        out["rejection_at_0.5"] = rejection_at(score, test_labels, 0.5)
    return out


def _check_feats_labels(fname: str, lname: str, feats: Tensor, labels: Tensor) -> None:
    if not isinstance(feats, Tensor) or feats.dim() != 2 or not feats.is_floating_point():
        got = tuple(feats.shape) if isinstance(feats, Tensor) else type(feats).__name__
        raise ValueError(f"{fname}: expected a floating (M, F) tensor, got {got}")
    if not isinstance(labels, Tensor) or labels.dtype != torch.int64 or labels.shape != feats.shape[:1]:
        got = (tuple(labels.shape), labels.dtype) if isinstance(labels, Tensor) else type(labels).__name__
        raise ValueError(f"{lname}: expected an int64 ({feats.shape[0]},) tensor, got {got}")
    if feats.shape[0] == 0:
        raise ValueError(f"{fname}: expected at least one row, got an empty tensor")
    if not torch.isfinite(feats).all():
        raise ValueError(f"{fname}: expected finite values, found NaN or inf")
    if int(labels.min()) < 0:
        raise ValueError(f"{lname}: expected class indices >= 0, got {int(labels.min())}")


def _check_binary(scores: Tensor, labels: Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Validate scores (M,) and 0/1 labels (M,); returns them as numpy (labels, scores)."""
    if not isinstance(scores, Tensor) or scores.dim() != 1 or not scores.is_floating_point():
        raise ValueError(f"scores: expected a floating (M,) tensor, got "
                         f"{tuple(scores.shape) if isinstance(scores, Tensor) else type(scores).__name__}")
    if not torch.isfinite(scores).all():
        raise ValueError("scores: expected finite values, found NaN or inf")
    if not isinstance(labels, Tensor) or labels.shape != scores.shape or labels.is_floating_point():
        raise ValueError(f"labels: expected an integer or bool ({len(scores)},) tensor")
    if ((labels != 0) & (labels != 1)).any():
        raise ValueError("labels: expected 0 (background) and 1 (signal) only")
    pos = labels == 1
    if pos.all() or not pos.any():
        raise ValueError("labels: expected both signal (1) and background (0) events")
    return pos.cpu().numpy().astype(np.int64), scores.detach().cpu().double().numpy()
