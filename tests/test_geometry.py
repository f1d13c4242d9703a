import math

import numpy as np
import pytest

from exercises import geometry as g

NAN = float("nan")


@pytest.mark.parametrize("a,b,c,expected", [
    ((0, 0), (1, 0), (2, 0), 180.0),        # straight
    ((0, 0), (1, 0), (1, 1), 90.0),         # right angle
    ((1, 0), (0, 0), (1, 0), 0.0),          # folded back
    ((0, 0), (1, 1), (2, 0), 90.0),
])
def test_joint_angle(a, b, c, expected):
    assert g.joint_angle_deg(a, b, c) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("a,b,c", [
    ((0, 0), (0, 0), (1, 0)),               # degenerate segment
    ((NAN, 0), (1, 0), (2, 0)),             # missing landmark
    ((0, 0), (1, NAN), (2, 0)),
])
def test_joint_angle_nan_not_raise(a, b, c):
    assert math.isnan(g.joint_angle_deg(a, b, c))


def test_signed_deviation_sag_is_positive_pike_negative():
    shoulder, ankle = (100, 100), (500, 100)
    # image y points down: a hip with larger y hangs toward the floor
    sag = g.signed_deviation_deg(shoulder, (300, 130), ankle)
    pike = g.signed_deviation_deg(shoulder, (300, 70), ankle)
    assert sag > 0 and pike < 0
    assert sag == pytest.approx(-pike)
    expected = 2 * math.degrees(math.atan2(30, 200))
    assert sag == pytest.approx(expected, rel=1e-9)
    # independent of which way the person faces
    assert g.signed_deviation_deg(ankle, (300, 130), shoulder) == pytest.approx(sag)


def test_signed_offset_px_sign_and_size():
    assert g.signed_offset_px((5, 3), (0, 0), (10, 0)) == pytest.approx(3)
    assert g.signed_offset_px((5, -3), (0, 0), (10, 0)) == pytest.approx(-3)
    assert g.signed_offset_px((5, -3), (10, 0), (0, 0)) == pytest.approx(-3)  # line direction irrelevant
    assert math.isnan(g.signed_offset_px((1, 1), (2, 2), (2, 2)))


@pytest.mark.parametrize("a,b,seg,elev", [
    ((0, 0), (10, 0), 0.0, 0.0),
    ((0, 0), (0, -10), 90.0, 90.0),          # up on screen
    ((0, 0), (-10, 0), 180.0, 0.0),
    ((0, 0), (-10, -10), 135.0, 45.0),       # up and left: elevation ignores left/right
    ((0, 0), (10, 10), -45.0, -45.0),
])
def test_segment_and_elevation(a, b, seg, elev):
    assert g.segment_angle_deg(a, b) == pytest.approx(seg)
    assert g.elevation_deg(a, b) == pytest.approx(elev)


def test_midpoint_and_distance():
    np.testing.assert_allclose(g.midpoint((0, 0), (4, 2)), (2, 1))
    assert g.distance((0, 0), (3, 4)) == pytest.approx(5)
