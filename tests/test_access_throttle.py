"""Wrong LAN passwords are throttled per client; a right one clears the count."""

from __future__ import annotations

import pytest

from formcoach.access import FIRST_LOCK_S, FREE_ATTEMPTS, MAX_LOCK_S, PasswordThrottle


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_waits_grow_after_the_free_attempts_and_a_right_password_clears_them():
    clock = Clock()
    th = PasswordThrottle(clock)
    for _ in range(FREE_ATTEMPTS):
        assert th.wait_s("10.0.0.5") == 0.0
        th.failed("10.0.0.5")
    assert th.wait_s("10.0.0.5") == pytest.approx(FIRST_LOCK_S)
    assert th.wait_s("10.0.0.9") == 0.0  # another client is not held up
    clock.t += FIRST_LOCK_S
    assert th.wait_s("10.0.0.5") == 0.0
    th.failed("10.0.0.5")
    assert th.wait_s("10.0.0.5") == pytest.approx(2 * FIRST_LOCK_S)  # doubling
    for _ in range(20):
        clock.t += MAX_LOCK_S
        th.failed("10.0.0.5")
    assert th.wait_s("10.0.0.5") == pytest.approx(MAX_LOCK_S)  # capped
    th.succeeded("10.0.0.5")
    assert th.wait_s("10.0.0.5") == 0.0


def test_unknown_clients_share_one_count():
    th = PasswordThrottle(Clock())
    for _ in range(FREE_ATTEMPTS):
        th.failed(None)
    assert th.wait_s(None) > 0 and th.wait_s("") > 0
