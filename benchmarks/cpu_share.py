"""CPU used on this machine by processes that are not the benchmark's own (Linux ``/proc``).

A benchmark that shares 2 cores with other work measures that work as much as its own code: a
live-page run with another process taking a core shows lower fps and a growing latency that no
change to the page explains. :class:`CpuShare` tells the two apart: between two :meth:`sample`
calls it returns the CPU (in cores, 1.0 = one core busy) used by this process and its descendants
(the server, the browser, their helpers) and by everything else.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

HZ = os.sysconf("SC_CLK_TCK")


def _busy_s() -> float:
    """All CPUs' busy time so far (s): everything but idle and iowait."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v) - v[3] - v[4]) / HZ


def _procs() -> dict[int, tuple[int, float]]:
    """pid -> (ppid, CPU s used so far by it and its reaped children) for every process readable now."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                r = f.read().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        out[int(d)] = (int(r[1]), sum(int(x) for x in r[11:15]) / HZ)
    return out


def _descendants(root: int, procs: dict[int, tuple[int, float]]) -> set[int]:
    kids: dict[int, list[int]] = {}
    for pid, (ppid, _) in procs.items():
        kids.setdefault(ppid, []).append(pid)
    out, todo = set(), [root]
    while todo:
        p = todo.pop()
        if p not in out:
            out.add(p)
            todo.extend(kids.get(p, ()))
    return out


@dataclass(frozen=True)
class Share:
    ours: float  # cores used by this process tree since the last sample
    other: float  # cores used by every other process


class CpuShare:
    def __init__(self, root: int | None = None, clock=None) -> None:
        import time

        self.root = root or os.getpid()
        self._clock = clock or time.monotonic
        self._t, self._busy, self._ours = self._clock(), _busy_s(), self._our_cpu()

    def _our_cpu(self) -> dict[int, float]:
        procs = _procs()
        return {p: procs[p][1] for p in _descendants(self.root, procs) if p in procs}

    def sample(self) -> Share:
        t, busy, ours = self._clock(), _busy_s(), self._our_cpu()
        dt = max(t - self._t, 1e-6)
        # per process, so a child that exited (its time moves to its parent's children's time) is not
        # counted as someone else's
        used = sum(v - self._ours.get(p, 0.0) for p, v in ours.items())
        share = Share(ours=used / dt, other=max(0.0, (busy - self._busy) - used) / dt)
        self._t, self._busy, self._ours = t, busy, ours
        return share
