"""Upload/review charts: one unit per axis, fault bands named in words."""

from exercises.base import ExerciseSummary, Fault
from formcoach.charts import angle_chart
from formcoach.report import Report, VideoMeta


def _report():
    t = [i / 10 for i in range(50)]
    series = {"t_s": t, "extension_frac": [min(1.0, x / 3) for x in t], "arch_deg": [2.0 + x for x in t],
              "leg_elevation_deg": [40 - x for x in t]}
    summary = ExerciseSummary("dead_bug", (), {}, 0, 0, {}, (Fault("low_back_arch", 14.0, 1.0, 2.5),), (), 0)
    return Report(VideoMeta("x.mp4", 10, 640, 480, 50, 5.0), "lite", "dead_bug", "given", 50, 50, series, summary)


def _layers_with_y(spec):
    return [layer for layer in spec["layer"] if "y" in layer.get("encoding", {}) and "field" in layer["encoding"]["y"]]


def test_degrees_and_fractions_never_share_an_axis():
    spec = angle_chart(_report(), ["extension_frac", "arch_deg", "leg_elevation_deg"]).to_dict()
    panels = spec["vconcat"]
    titles = [_layers_with_y(p)[0]["encoding"]["y"]["title"] for p in panels]
    assert titles == ["angle (degrees)", "fraction (0 = start, 1 = full reach)"]
    datasets = spec["datasets"]
    units = []
    for p in panels:
        line = _layers_with_y(p)[0]
        units.append({row["unit"] for row in datasets[line["data"]["name"]]})
    assert units == [{"deg"}, {"fraction"}]


def test_fault_bands_are_labelled_in_words():
    spec = angle_chart(_report(), ["arch_deg"]).to_dict()
    (panel,) = spec["vconcat"]
    texts = [layer for layer in panel["layer"] if layer["mark"]["type"] == "text"]
    assert texts and texts[0]["encoding"]["text"]["field"] == "fault"
    rows = spec["datasets"][texts[0]["data"]["name"]]
    assert [r["fault"] for r in rows] == ["lower back arching"]
