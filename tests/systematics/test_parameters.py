import dataclasses
import math

import pytest
import torch

from systematics import NOMINAL, PARAMETERS, RANGES, TABLE, DetectorParams, DriftGeometry, Parameter, ReadoutConfig
from systematics.parameters import Interval, used_parameters


def test_nominal_and_ranges_match_the_cited_values():
    p = DetectorParams.nominal()
    assert (p.efield, p.lifetime, p.diffusion_t, p.diffusion_l, p.temperature) == (0.50, 2200.0, 8.8e-6, 4.0e-6, 87.17)
    assert (p.birks_a, p.birks_k, p.box_alpha, p.box_beta) == (0.800, 0.0486, 0.93, 0.207)
    assert p.keys[-2:] == ("birks_a", "birks_k")
    assert DetectorParams.nominal("box").keys[-2:] == ("box_alpha", "box_beta")
    assert dict(RANGES) == {"efield": (0.45, 0.55), "lifetime": (500.0, 5000.0), "diffusion_t": (4e-6, 14e-6),
                            "diffusion_l": (2e-6, 9e-6), "birks_a": (0.78, 0.88), "birks_k": (0.04, 0.07),
                            "box_alpha": (0.85, 1.0), "box_beta": (0.18, 0.22)}


def test_everything_derives_from_the_table():
    names = [p.name for p in TABLE]
    assert [f.name for f in dataclasses.fields(DetectorParams)] == names + ["recombination"]
    assert list(PARAMETERS) == names and dict(NOMINAL) == {p.name: p.nominal for p in TABLE}
    assert all(getattr(DetectorParams(), p.name) == p.nominal for p in TABLE)
    assert set(used_parameters("birks")) | set(used_parameters("box")) == set(names)
    for p in TABLE:
        assert p.source and p.label and p.name in RANGES or p.throw_range is None
    assert PARAMETERS["birks_k"].axis_label == "Birks k_b ((kV/cm)(g/cm^2)/MeV)"
    assert PARAMETERS["birks_a"].axis_label == "Birks A_b"  # dimensionless: no unit


def test_a_parameter_declared_once_is_checked_against_its_limits():
    p = Parameter("gain_spread", 0.0, "", Interval(0.0, 1.0), (0.0, 0.1), "gain spread", "a source")
    p.check(torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"gain_spread: expected values in \[0.0, 1.0\], got min 0.0, max 1.5"):
        p.check(torch.tensor([0.0, 1.5]))
    with pytest.raises(ValueError, match="gain_spread throw_range: expected values in"):
        Parameter("gain_spread", 0.0, "", Interval(0.0, 1.0), (0.0, 2.0), "gain spread", "a source")
    with pytest.raises(ValueError, match="gain_spread nominal: expected values in"):
        Parameter("gain_spread", -1.0, "", Interval(0.0, 1.0), None, "gain spread", "a source")
    with pytest.raises(ValueError, match="gain_spread: throw_range expected low <= high"):
        Parameter("gain_spread", 0.0, "", Interval(0.0, 1.0), (0.1, 0.0), "gain spread", "a source")
    with pytest.raises(ValueError, match="name: expected a Python identifier"):
        Parameter("gain spread", 0.0, "", Interval(0.0, 1.0), None, "gain spread", "a source")


def test_interval_ends():
    v = torch.tensor([0.0, 1.0, math.inf])
    assert Interval(0.0, math.inf, low_closed=False).contains(v).tolist() == [False, True, True]
    assert Interval(0.0, math.inf, high_closed=False).contains(v).tolist() == [True, True, False]
    assert not Interval(0.0, 1.0).contains(torch.tensor(math.nan))
    assert str(Interval(0.0, math.inf, low_closed=False)) == "(0.0, inf]"


def test_as_tensors_broadcasts_floats_and_keeps_per_event_values():
    p = DetectorParams(lifetime=torch.tensor([100.0, math.inf]))
    t = p.as_tensors(2, torch.device("cpu"), torch.float32)
    assert t["lifetime"].tolist() == [100.0, math.inf] and t["efield"].tolist() == [0.5, 0.5]
    assert all(v.dtype == torch.float32 and v.shape == (2,) for v in t.values())
    assert tuple(t) == p.keys
    with pytest.raises(ValueError, match=r"lifetime: expected one value per event \(3,\)"):
        p.as_tensors(3, torch.device("cpu"), torch.float32)


@pytest.mark.parametrize("field, value, message", [
    ("lifetime", -1.0, r"lifetime: expected values in \(0.0, inf\] us"),
    ("lifetime", 0.0, "lifetime: expected values in"),
    ("efield", 0.01, r"efield: expected values in \[0.05, 5.0\] kV/cm"),
    ("efield", 7.0, "efield: expected values in"),
    ("efield", math.nan, "efield: expected a number, got NaN"),
    ("diffusion_t", -1e-6, "diffusion_t: expected values in"),
    ("diffusion_l", math.inf, "diffusion_l: expected values in"),
    ("temperature", 300.0, "temperature: expected values in"),
    ("birks_a", 1.5, "birks_a: expected values in"),
    ("box_beta", 0.0, "box_beta: expected values in"),
])
def test_bad_values_name_the_field(field, value, message):
    with pytest.raises(ValueError, match=message):
        DetectorParams(**{field: value})
    with pytest.raises(ValueError, match=message):
        DetectorParams(**{field: torch.tensor([NOMINAL[field], value])})
    with pytest.raises(ValueError, match=message):
        DetectorParams().replace(**{field: value})


def test_infinite_lifetime_is_no_attachment():
    assert DetectorParams(lifetime=math.inf).lifetime == math.inf


def test_bad_types_and_model():
    with pytest.raises(ValueError, match="recombination: expected one of"):
        DetectorParams(recombination="linear")
    with pytest.raises(TypeError, match="efield: expected a float or a"):
        DetectorParams(efield="0.5")
    with pytest.raises(ValueError, match="lifetime: expected a float or a floating"):
        DetectorParams(lifetime=torch.tensor([1000, 2000]))
    with pytest.raises(TypeError, match="unexpected keyword argument 'gain'"):
        DetectorParams(gain=1.0)


def test_geometry_and_readout_validation():
    g = DriftGeometry()
    assert (g.drift_axis, g.anode, g.max_drift, g.field_changes_velocity) == (2, 0.0, 50.4, True)
    assert ReadoutConfig().pitch == 0.38
    for kwargs, message in [({"drift_axis": 3}, "drift_axis"), ({"max_drift": 0.0}, "max_drift"),
                            ({"anode": math.nan}, "anode"), ({"direction": 0}, "direction"),
                            ({"field_changes_velocity": 1}, "field_changes_velocity")]:
        with pytest.raises(ValueError, match=message):
            DriftGeometry(**kwargs)
    for kwargs, message in [({"pitch": 0.0}, "pitch"), ({"pitch": (1.0, 1.0)}, "pitch"),
                            ({"threshold": -1.0}, "threshold"), ({"noise": math.nan}, "noise"),
                            ({"origin": (0.0, 0.0)}, "origin")]:
        with pytest.raises(ValueError, match=message):
            ReadoutConfig(**kwargs)
