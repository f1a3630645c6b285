"""Invariance diagnostics: how much an encoder's representation, or a classifier's score,
changes under a transform.

* :func:`invariance_score`: the mean cosine similarity between the representations of x and
  T(x), normalised against unrelated pairs (x, T(y)): 1 = invariant, 0 = T(x) is no closer to
  x than an unrelated event is (JetCLR, Dillon et al., arXiv 2108.04253 sec. 4, shows the raw
  cosine similarity for rotations; the normalisation makes encoders comparable whose features
  are all alike to begin with).
* :func:`score_change`: per event, the change of the softmax score of the true class when the
  classifier's input changes (e.g. a detector parameter shifted).
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor, nn

from augment._checks import check_events
from augment._events import Events
from augment._random import GeneratorLike, as_generator
from training.linear_eval import extract_features

__all__ = ["invariance_score", "true_class_score", "score_change"]

View = Callable[..., Events]  # an augment Transform: (events, generator) -> events


def invariance_score(encoder: nn.Module, events: Events, transform: View, generator: GeneratorLike,
                     reference: View | None = None, batch_size: int = 256) -> float:
    """(c_pair - c_random) / (1 - c_random), with c_pair the mean cosine similarity between the
    features of x_i and T(x_i) and c_random that between x_i and T(x_j) for a random derangement j
    of the events (every event paired with another one, drawn with ``generator`` after ``transform``
    drew its parameters).

    ``x`` is ``events``, or ``reference(events, generator)`` when given (e.g. the nominal detector
    response, against ``transform`` = detector throws on the same deposits). Features are those of
    :func:`training.linear_eval.extract_features` (eval mode). 1 when the features of x and T(x) are
    parallel; ~0 when T(x) is unrelated to x; nan when all features are parallel to begin with
    (c_random = 1). Needs at least 2 events."""
    check_events(events)
    if events.num_events < 2:
        raise ValueError(f"events: expected at least 2 events to form random pairs, got {events.num_events}")
    generator = as_generator(generator)
    x = events if reference is None else reference(events, generator)
    h = extract_features(encoder, x, batch_size)
    h_t = extract_features(encoder, transform(events, generator), batch_size)
    if h.shape != h_t.shape:
        raise ValueError(f"transform: expected it to keep the number of events, got features {tuple(h.shape)} "
                         f"and {tuple(h_t.shape)}")
    n = events.num_events
    device = generator.device if generator is not None else torch.device("cpu")
    cycle = torch.randperm(n, generator=generator, device=device).to(h.device)
    partner = torch.empty_like(cycle)
    partner[cycle] = cycle.roll(-1)  # one cycle through all events: nobody is paired with itself
    cos = nn.functional.cosine_similarity
    c_pair = float(cos(h.double(), h_t.double(), dim=1).mean())
    c_random = float(cos(h.double(), h_t[partner].double(), dim=1).mean())
    return float("nan") if c_random == 1.0 else (c_pair - c_random) / (1.0 - c_random)


def true_class_score(logits: Tensor, labels: Tensor) -> Tensor:
    """(B,) float64 softmax probability of each event's true class from (B, K) ``logits``."""
    if not isinstance(logits, Tensor) or logits.dim() != 2:
        raise ValueError(f"logits: expected a (B, K) tensor, got "
                         f"{tuple(logits.shape) if isinstance(logits, Tensor) else type(logits).__name__}")
    if not isinstance(labels, Tensor) or labels.dtype != torch.int64 or labels.shape != logits.shape[:1]:
        raise ValueError(f"labels: expected an int64 ({logits.shape[0]},) tensor of class indices")
    return torch.softmax(logits.double(), 1).gather(1, labels[:, None])[:, 0]


def score_change(logits: Tensor, reference: Tensor, labels: Tensor) -> Tensor:
    """(B,) change of the true-class score, ``logits`` against ``reference`` logits of the same events;
    its mean absolute value is the probe's sensitivity to whatever changed between the two."""
    if reference.shape != logits.shape:
        raise ValueError(f"reference: expected the shape of logits {tuple(logits.shape)}, got {tuple(reference.shape)}")
    return true_class_score(logits, labels) - true_class_score(reference, labels)
