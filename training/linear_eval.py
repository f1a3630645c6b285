"""The linear classifier test: frozen encoder features -> logistic regression -> metrics.

A representation is judged by how well a linear classifier separates the classes on
its frozen features (the "linear evaluation protocol" of SimCLR, arXiv:2002.05709
sec. 4). Features are standardised with the mean and standard deviation of the
training split only; the classifier is a multinomial logistic regression fitted
full-batch with L-BFGS (float64), with an optional L2 penalty on the weights.

Metrics: binary tasks get the ROC AUC (Mann-Whitney U from average ranks, ties
counted one half) and the background rejection 1/eps_b at signal efficiency
eps_s = 0.5 (the figure of merit of top tagging, Kasieczka et al., "The Machine
Learning Landscape of Top Taggers", arXiv:1902.09914); every task gets the accuracy
and the confusion matrix (rows = true class, columns = predicted class).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from augment._checks import check_events, check_int, check_nonnegative
from augment._events import Events

__all__ = ["extract_features", "train_test_split", "LinearClassifier", "fit_linear", "roc_curve", "roc_auc",
           "rejection_at", "confusion_matrix", "linear_probe"]


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
    """Standardisation (fitted on the training split) + linear map to class logits."""

    mean: Tensor    # (F,)
    scale: Tensor   # (F,)
    weight: Tensor  # (K, F)
    bias: Tensor    # (K,)

    def logits(self, feats: Tensor) -> Tensor:
        """(M, K) float64 logits of ``feats`` (M, F)."""
        x = (feats.to(self.mean) - self.mean) / self.scale
        return x @ self.weight.T + self.bias


def fit_linear(feats: Tensor, labels: Tensor, num_classes: int | None = None, l2: float = 0.0,
               max_iter: int = 200) -> LinearClassifier:
    """Multinomial logistic regression on standardised ``feats`` (M, F) with int
    ``labels`` (M,) in [0, num_classes): minimises mean cross entropy + l2/2 |W|^2 with
    full-batch L-BFGS. Constant features (std 0) are centred and left unscaled."""
    _check_feats_labels("feats", "labels", feats, labels)
    check_nonnegative("l2", l2)
    k = int(labels.max()) + 1 if num_classes is None else num_classes
    if int(labels.max()) >= k:
        raise ValueError(f"labels: expected class indices < num_classes = {k}, got {int(labels.max())}")
    x = feats.double()
    mean = x.mean(0)
    std = x.std(0, unbiased=False)
    scale = torch.where(std > 0, std, torch.ones_like(std))
    x = (x - mean) / scale
    weight = torch.zeros(k, x.shape[1], dtype=x.dtype, device=x.device, requires_grad=True)
    bias = torch.zeros(k, dtype=x.dtype, device=x.device, requires_grad=True)
    opt = torch.optim.LBFGS([weight, bias], max_iter=max_iter, line_search_fn="strong_wolfe",
                            tolerance_grad=1e-9, tolerance_change=1e-12)

    def closure() -> Tensor:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(x @ weight.T + bias, labels) + 0.5 * l2 * (weight ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return LinearClassifier(mean, scale, weight.detach(), bias.detach())


def roc_curve(scores: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
    """(fpr, tpr) at every distinct threshold, from (0, 0) to (1, 1); an event is
    selected when its score is >= the threshold (higher score = more signal-like).
    ``labels``: 1 signal, 0 background."""
    pos = _check_binary(scores, labels)
    order = torch.argsort(scores, descending=True)
    _, counts = torch.unique_consecutive(scores[order], return_counts=True)
    ends = torch.cumsum(counts, 0) - 1
    tp = torch.cumsum(pos[order].double(), 0)[ends]
    fp = (ends + 1).double() - tp
    zero = tp.new_zeros(1)
    return torch.cat([zero, fp / fp[-1]]), torch.cat([zero, tp / tp[-1]])


def roc_auc(scores: Tensor, labels: Tensor) -> float:
    """Area under the ROC curve = P(score_signal > score_background) + P(equal) / 2,
    computed as the Mann-Whitney U statistic from average ranks (ties share their mean rank)."""
    pos = _check_binary(scores, labels)
    sorted_scores, order = torch.sort(scores)
    _, inverse, counts = torch.unique_consecutive(sorted_scores, return_inverse=True, return_counts=True)
    last = torch.cumsum(counts, 0).double()            # 1-based rank of each tie group's last member
    mean_rank = (last - (counts - 1) / 2.0)[inverse]     # average of the group's ranks
    ranks = torch.empty_like(mean_rank).scatter_(0, order, mean_rank)
    n_pos = int(pos.sum())
    n_neg = len(pos) - n_pos
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def rejection_at(scores: Tensor, labels: Tensor, signal_efficiency: float = 0.5) -> float:
    """Background rejection 1/eps_b at ``signal_efficiency`` eps_s, with eps_b linearly
    interpolated on the ROC curve between the two thresholds around eps_s (the lowest
    eps_b where the ROC is flat at eps_s). inf when eps_b = 0."""
    if not 0.0 < signal_efficiency <= 1.0:
        raise ValueError(f"signal_efficiency: expected a number in (0, 1], got {signal_efficiency!r}")
    fpr, tpr = roc_curve(scores, labels)
    i = int(torch.searchsorted(tpr, torch.tensor(signal_efficiency, dtype=tpr.dtype)))  # first tpr >= eps_s
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
    return torch.bincount(true * num_classes + predicted, minlength=num_classes ** 2).reshape(num_classes, num_classes)


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


def _check_binary(scores: Tensor, labels: Tensor) -> Tensor:
    """Validate scores (M,) and 0/1 labels (M,); returns the bool signal mask."""
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
    return pos
