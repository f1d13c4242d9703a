"""Hysteresis, stopwatch, fault tracks and the extension rep machine, stepped frame by frame."""

from __future__ import annotations

import math

import pytest

from exercises.counting import (
    BaselineTracker,
    FaultTrack,
    Hysteresis,
    HysteresisConfig,
    RepConfig,
    RepMachine,
)


@pytest.mark.parametrize("kwargs", [
    {"on_at": 5.0, "off_at": 6.0},  # rising switch needs off <= on
    {"on_at": 5.0, "off_at": 4.0, "rising": False},
    {"on_at": math.nan, "off_at": 1.0},
    {"on_at": 5.0, "off_at": 4.0, "min_on_s": -1.0},
])
def test_hysteresis_config_rejects_bad_values(kwargs):
    with pytest.raises(ValueError):
        HysteresisConfig(**kwargs)


def test_hysteresis_needs_both_thresholds_and_duration():
    h = Hysteresis(HysteresisConfig(on_at=10.0, off_at=6.0, min_on_s=0.2, min_off_s=0.2))
    fps = 10
    seq = [0, 11, 11, 11, 8, 8, 8, 5, 5, 5, 5]  # degrees, one per 0.1 s
    states = [h.update(v, i / fps) for i, v in enumerate(seq)]
    # on after 0.2 s above 10 (frame 3), stays on while >= 6, off after 0.2 s below 6 (frame 9)
    assert states == [False, False, False, True, True, True, True, True, True, False, False]
    assert h.since_s == pytest.approx(0.7)  # back-dated to when the value first crossed


def test_hysteresis_ignores_nan_and_single_frame_blips():
    h = Hysteresis(HysteresisConfig(on_at=10.0, off_at=6.0, min_on_s=0.2))
    assert not h.update(12.0, 0.0)
    assert not h.update(math.nan, 0.1)  # NaN resets the pending flip, never flips
    assert not h.update(12.0, 0.2)
    assert not h.update(3.0, 0.3)
    assert not h.update(12.0, 0.4)



def test_fault_track_records_backdated_intervals_with_worst_magnitude():
    track = FaultTrack("hip_sag", Hysteresis(HysteresisConfig(7.0, 5.0, 0.1, 0.1)))
    values = [0, 8, 9, 12, 9, 4, 4, 4, 0]
    for i, v in enumerate(values):
        track.update(v, i * 0.1, 0.1)
    (f,) = track.snapshot()
    assert f.type == "hip_sag" and f.magnitude_deg == 12
    assert f.start_s == pytest.approx(0.1) and f.end_s == pytest.approx(0.6)
    assert track.seconds_s == pytest.approx(0.5, abs=0.11)


def test_baseline_tracker_freezes_after_window():
    b = BaselineTracker(0.5)
    for i in range(10):
        b.add(10.0 if i < 6 else 100.0, i * 0.1)
    assert b.value == pytest.approx(10.0)


def _drive(machine: RepMachine, trace, side="left", fps=30.0, armed=True):
    events = []
    for i, e in enumerate(trace):
        ev = machine.update(i / fps, 1 / fps, e, side if e > 0.3 else None, armed)
        if ev:
            events.append(ev)
    return events


def _rep(rest_s=1.0, up_s=1.5, hold_s=2.0, down_s=1.5, peak=1.0, fps=30):
    tr = [0.0] * int(rest_s * fps)
    tr += [peak * (0.5 - 0.5 * math.cos(math.pi * i / (up_s * fps))) for i in range(int(up_s * fps))]
    tr += [peak] * int(hold_s * fps)
    tr += [peak * (0.5 + 0.5 * math.cos(math.pi * i / (down_s * fps))) for i in range(int(down_s * fps))]
    return tr


def test_rep_machine_counts_one_rep_with_hold_near_the_truth():
    m = RepMachine()
    events = _drive(m, _rep() + [0.0] * 30)
    assert len(events) == 1
    ev = events[0]
    assert ev.complete and ev.side == "left"
    assert ev.hold_s == pytest.approx(2.0, abs=0.5)
    assert ev.start_s < 1.6 and ev.end_s > 5.5


def test_rep_machine_partial_reach_is_incomplete_and_noise_is_ignored():
    m = RepMachine()
    events = _drive(m, _rep(peak=0.6) + [0.0] * 30 + _rep(peak=0.3) + [0.0] * 30)
    assert [e.complete for e in events] == [False]


def test_rep_machine_needs_the_start_position_first():
    m = RepMachine()
    assert _drive(m, _rep() + [0.0] * 30, armed=False) == []


def test_rep_machine_does_not_split_on_a_brief_dip():
    tr = _rep()
    mid = len(tr) - 60
    tr[mid:mid + 3] = [0.1, 0.1, 0.1]  # 0.1 s dip to rest in the hold
    events = _drive(RepMachine(), tr + [0.0] * 30)
    assert len(events) == 1


def test_rep_machine_ends_a_rep_at_its_own_sides_resting_level():
    # The near side rests at 0.0 and sets the shared floor; the far side (the rep's) rests drawn half-raised
    # at 0.3, above rest_frac (0.25). Back there, the rep ends; without its own floor it never did.
    fps, m, events = 30.0, RepMachine(), []
    trace = [0.3] * 30 + [0.3 + 0.7 * min(1.0, i / 30) for i in range(60)] + [1.0 - 0.7 * min(1.0, i / 30)
                                                                              for i in range(30)] + [0.3] * 30
    for i, e in enumerate(trace):
        resting = i < 30
        ext = 0.0 if resting else e  # at rest the machine follows the near side (no side named yet)
        ev = m.update(i / fps, 1 / fps, ext, "right" if not resting and e > 0.45 else None, True, None,
                      {"left": 0.0, "right": e})
        if ev:
            events.append(ev)
    assert len(events) == 1 and events[0].side == "right" and events[0].complete
    assert events[0].end_s == pytest.approx(120 / fps, abs=0.15)  # back at 0.3 + margin: the return's end


def test_rep_machine_pending_rep_at_end_of_stream():
    m = RepMachine()
    tr = _rep()
    back = max(i for i, e in enumerate(tr) if e > 0.2) + 2  # just back at rest when the stream ends
    assert _drive(m, tr[:back]) == []
    ev = m.pending()
    assert ev is not None and ev.complete


def test_rep_config_validates_order():
    with pytest.raises(ValueError, match="rest_frac"):
        RepConfig(rest_frac=0.5, start_frac=0.4)
