"""precompute: a leading deterministic stage applied once gives the same views as applying it every step."""

import torch

from augment import ChargeCollection, Compose, DetectorResponse, Readout, Rotate, VoxelDrop
from augment.testing import assert_events_equal
from systematics import ReadoutConfig
from tests.systematics.deposits import track
from training.studies.protocol import precompute

READOUT = ReadoutConfig(threshold=500.0)


def test_precomputed_stage_gives_the_same_views_on_every_batch():
    events = track()
    pipeline = Compose([ChargeCollection(readout=READOUT), Readout(readout=READOUT), Rotate(), VoxelDrop(0.2)])
    rest, prepared = precompute(pipeline, events)
    assert [type(t) for t in rest.transforms] == [Readout, Rotate, VoxelDrop]
    assert prepared.feature_names == ("collected",) and torch.equal(prepared.labels, events.labels)
    for rows in ([0, 1, 2], [1], [2, 0]):  # batches of a training epoch, any subset and order
        index = torch.tensor(rows)
        expected = pipeline(events.index_select_events(index), torch.Generator().manual_seed(len(rows)))
        got = rest(prepared.index_select_events(index), torch.Generator().manual_seed(len(rows)))
        assert_events_equal(got, expected)


def test_the_two_stages_make_the_nominal_response():
    events = track()
    rest, prepared = precompute(Compose([ChargeCollection(), Readout()]), events)
    assert_events_equal(rest(prepared, 5), DetectorResponse()(events, 5))


def test_pipelines_without_a_leading_deterministic_stage_come_back_unchanged():
    events = track()
    for pipeline in (DetectorResponse(), Compose([DetectorResponse()]), Compose([Rotate(), ChargeCollection()])):
        rest, same = precompute(pipeline, events)
        assert rest is pipeline and same is events
