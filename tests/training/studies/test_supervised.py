import pytest
import torch

from augment import Translate
from training.studies.supervised import Classifier, train_classifier
from tests.training.toy import SumPoolEncoder, toy_events


def separable(num_events, seed):
    """Toy events whose points sit near x = 0 (label 0) or x = 1 (label 1)."""
    ev = toy_events(num_events, seed=seed)
    coords = ev.coords.clone()
    coords[:, 0] = 0.3 * coords[:, 0] + ev.labels[ev.batch].float()
    return ev.replace(coords=coords)


def fit(seed=0, events=None):
    torch.manual_seed(seed)
    return train_classifier(SumPoolEncoder(3, 8), 2, separable(64, 1) if events is None else events,
                            Translate(0.05), epochs=15, batch_size=16, lr=1e-2, seed=seed)


def accuracy(model, events):
    with torch.no_grad():
        return float((model(events).argmax(1) == events.labels).double().mean())


def test_learns_separable_toy():
    model = fit()
    assert isinstance(model, Classifier) and not model.training
    assert accuracy(model, separable(200, 2)) > 0.9


def test_same_seed_same_weights_other_seed_differs():
    a, b, c = fit(0), fit(0), fit(1)
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values()):
        torch.testing.assert_close(pa, pb, rtol=0, atol=0, msg=name)
    assert not torch.equal(a.head.weight, c.head.weight)


def test_bad_input():
    with pytest.raises(ValueError, match="^events: expected int64 labels"):
        fit(events=separable(64, 1).replace(labels=None))
    with pytest.raises(TypeError, match="^encoder: expected an nn.Module"):
        Classifier(torch.nn.ReLU(), 2)
    with pytest.raises(ValueError, match="^num_classes: expected an int >= 2"):
        Classifier(SumPoolEncoder(3, 8), 1)
