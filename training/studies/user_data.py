"""The studies on a user's files (``--data PATH ... [--format F]``) instead of generated data.

Any format of :mod:`augment.io` reads. Jets (top tagging, JetClass, ragged jet files) run the
jets task: preprocessed as the generated jets (centred, 50 hardest constituents), probed on
the file's labels (ROC metrics for two classes, accuracy otherwise). LArTPC points
(PILArNet-M, ragged deposit files) run the LArTPC task without the simulated detector: the
points already are detector-level, so the evaluation view is the data as read, the
augmentation sets are the card transforms, coordinates and lengths (``--shift-cm``,
``--cutout-cm``, ``--pitch-cm``) are in the file's units. PILArNet-M events have no label:
the probe's target is each event's dominant semantic class (the class with the most
deposited energy), and the semantic column is removed from what the encoder sees. Labels
are used only by the probe; pre-training never sees them.

``--max-events`` events are read (an equal share from each file, as JetClass keeps one
class per file), never whole files.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from augment import Compose, Events, Rotate, Transform
from augment.io import EventsDataset
from augment.io.dataset import concat_events
from augment.jets import preprocess_jets
from training.studies.tasks import Budget, JetTask, LArTask

__all__ = ["read_user_events", "task_for_data", "UserJetTask", "UserLArTask", "add_data_arguments"]


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("user data (instead of generated data)")
    group.add_argument("--data", nargs="+", type=Path, metavar="PATH", help="files to read (any augment.io format)")
    group.add_argument("--format", choices=("hep-augment", "top-tagging", "jetclass", "pilarnet"),
                       help="the files' format (default: detected from their content)")
    group.add_argument("--max-events", type=int, default=None,
                       help="events to read in all (default: twice the preset's events per class)")


def read_user_events(paths: list[Path], format: str | None, max_events: int) -> tuple[Events, EventsDataset]:
    """Up to ``max_events`` events, an equal share from the start of each file."""
    dataset = EventsDataset(paths, format=format)
    share = max(1, max_events // len(dataset.sources))
    parts = [s.read(0, min(share, s.num_events)) for s in dataset.sources]
    return concat_events(parts), dataset


def task_for_data(args: argparse.Namespace) -> str:
    """"jets" for (eta, phi) coords, "lartpc" otherwise."""
    dataset = EventsDataset(args.data, format=args.format)
    return "jets" if dataset.coord_names == ["eta", "phi"] else "lartpc"


def _max_events(args: argparse.Namespace, budget: Budget) -> int:
    return args.max_events if args.max_events is not None else 2 * budget.events_per_class


class UserJetTask(JetTask):
    """The jets task on the user's jets and labels."""

    def load(self, data_dir: Path, seed: int, workers: int) -> Events:
        events, dataset = read_user_events(self.args.data, self.args.format, _max_events(self.args, self.budget))
        if events.labels is None:
            raise ValueError(f"--data: the linear probe needs per-event labels, {dataset.sources[0].path} has none")
        self.num_classes = len(dataset.label_names)
        self.metrics = JetTask.metrics if self.num_classes == 2 else ("accuracy",)
        return preprocess_jets(events, n=self.n_constituents)


class UserLArTask(LArTask):
    """The LArTPC task on the user's detector-level points (no simulated response)."""

    def load(self, data_dir: Path, seed: int, workers: int) -> Events:
        events, dataset = read_user_events(self.args.data, self.args.format, _max_events(self.args, self.budget))
        names = list(dataset.feature_names)
        if events.labels is None:
            if "semantic" not in names:
                raise ValueError(f"--data: the linear probe needs per-event labels, {dataset.sources[0].path} has "
                                 "none and no semantic column to derive them from")
            semantic = events.feats[:, names.index("semantic")].long()
            classes = len(dataset.settings.get("semantic_names", [])) or int(semantic.max()) + 1
            energy = torch.zeros(events.num_events * classes).index_add_(
                0, events.batch * classes + semantic, events.feats[:, 0])
            keep = [i for i, n in enumerate(names) if n != "semantic"]
            events = events.replace(feats=events.feats[:, keep], labels=energy.view(-1, classes).argmax(1),
                                    feature_names=tuple(names[i] for i in keep))
            self.num_classes = classes
            self.class_names = list(dataset.settings.get("semantic_names", [])) or [str(c) for c in range(classes)]
        else:
            self.num_classes = len(dataset.label_names)
            self.class_names = list(dataset.label_names)
        return events

    def invariance_views(self) -> dict[str, tuple[Transform, None]]:
        """Detector-level points cannot be re-simulated: rotation only (x against R x)."""
        return {"rotation": (Rotate(), None)}

    def evaluation_view(self, events: Events, **changes: float) -> Events:
        if changes:
            raise ValueError("changes: user data are detector-level; the detector cannot be changed on them")
        return events

    def augmentation_sets(self) -> dict[str, Transform]:
        cards = self.card_transforms()
        sets: dict[str, Transform] = {"none": Compose([])}
        sets.update({name: Compose([t]) for name, t in cards.items()})
        sets["all cards"] = Compose(list(cards.values()))
        return sets


USER_TASKS = {"jets": UserJetTask, "lartpc": UserLArTask}
