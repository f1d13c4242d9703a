"""Who is in view: the one policy for "a second person is in view", for the live page and for uploads.

formcoach follows one person. A separate people counter (MediaPipe IMAGE mode, several poses) runs every
few media seconds; its counts go through :class:`SecondPersonPolicy`, which reports two or more people only
once two checks in a row agree (one stray detection, a poster or a reflection for a moment, must not flash
a warning), and reads a failed check (-1) as unknown.
"""

from __future__ import annotations

from collections.abc import Iterable

UPLOAD_WARN_SHARE = 0.25  # an upload is warned about when this share of its checks saw 2+ people


class SecondPersonPolicy:
    """``observe(count) -> people to report`` per check, in media-time order (-1 = unknown)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.people = -1
        self._last = -1

    def observe(self, count: int) -> int:
        n = int(count)
        self.people = n if n < 2 else (min(n, self._last) if self._last >= 2 else 1)
        self._last = n
        return self.people

    @property
    def crowded(self) -> bool:
        return self.people >= 2


def second_person_warning(counts: Iterable[int]) -> str | None:
    """The report's warning for an upload whose checks saw these counts, or None. Warned when the policy
    confirmed a second person at least once and at least ``UPLOAD_WARN_SHARE`` of the checks saw one."""
    counts = [int(n) for n in counts]
    policy = SecondPersonPolicy()
    confirmed = sum(policy.observe(n) >= 2 for n in counts)
    seen = sum(n >= 2 for n in counts)
    if not confirmed or seen < UPLOAD_WARN_SHARE * len(counts):
        return None
    return (f"more than one person in view ({seen} of {len(counts)} checks): formcoach follows one person; "
            "film with only the exerciser in frame")
