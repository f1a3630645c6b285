"""map_jobs: the same results, in job order, whatever the number of processes."""

import torch

from training.studies.parallel import map_jobs


def _draw(shared: dict, job: int) -> tuple[int, list[float], int]:
    g = torch.Generator().manual_seed(shared["seed"] + job)
    return job, torch.rand(3, generator=g).tolist(), torch.get_num_threads()


def test_results_in_job_order_independent_of_processes():
    jobs = [3, 1, 2, 0, 5]
    one = map_jobs(_draw, {"seed": 10}, jobs, processes=1)
    two = map_jobs(_draw, {"seed": 10}, jobs, processes=2)
    assert [r[:2] for r in one] == [r[:2] for r in two] and [r[0] for r in two] == jobs
    assert {r[2] for r in two} == {1}  # one torch thread per worker by default
