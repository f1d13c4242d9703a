"""See every network system call a program makes, native threads included (strace), and list the ones
that would leave the machine.

A Python-level socket patch cannot see MediaPipe's native usage logger; the kernel's view can. Run a
command under ``strace_argv(log) + cmd``, then ``offences(log)`` lists, one line each:

* a connect or send to an address that is not this machine's (loopback, unspecified, or one of its own
  interface addresses, which the kernel delivers locally);
* a name lookup: anything to port 53 (any address, 127.0.0.53 too), or a connect to the nscd or
  systemd-resolved socket.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

STRACE = shutil.which("strace")
RESOLVER_SOCKETS = ("/var/run/nscd/socket", "/run/nscd/socket", "/run/systemd/resolve/io.systemd.Resolve")
_INET = re.compile(r'sa_family=AF_INET, sin_port=htons\((\d+)\), sin_addr=inet_addr\("([^"]+)"\)')
_INET6 = re.compile(r'sa_family=AF_INET6, sin6_port=htons\((\d+)\),[^}]*?inet_pton\(AF_INET6, "([^"]+)"')
_UNIX = re.compile(r'sa_family=AF_UNIX, sun_path=@?"([^"]*)"')


def strace_argv(log: Path) -> list[str]:
    """Prefix a command with this to record its network calls (all threads and children) in ``log``."""
    require_strace()
    return [STRACE, "-f", "-qq", *_fast_filter(), "-e", "signal=none", "-e",
            "trace=connect,sendto,sendmsg,sendmmsg", "-s", "64", "-o", str(log)]


def _works(*flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([STRACE, "-f", "-qq", *flags, "-e", "trace=connect", "true"], capture_output=True,
                          text=True, timeout=60)


@cache
def _fast_filter() -> tuple[str, ...]:
    """``--seccomp-bpf`` (untraced calls run at full speed) where this strace and kernel support it."""
    return ("--seccomp-bpf",) if _works("--seccomp-bpf").returncode == 0 else ()


@cache
def strace_problem() -> str | None:
    """Why native network calls cannot be traced here, or None when they can."""
    if STRACE is None:
        return "strace is not installed (apt-get install strace): native network calls cannot be checked"
    r = _works()
    if r.returncode != 0:
        return f"strace cannot trace here ({r.stderr.strip().splitlines()[-1] if r.stderr.strip() else r.returncode})"
    return None


def require_strace() -> None:
    problem = strace_problem()
    if problem:
        pytest.skip(problem)


@cache
def own_addresses() -> frozenset[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """This machine's interface addresses (traffic to them never leaves it)."""
    import ifaddr  # aioice's dependency, installed with the app

    out = set()
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            addr = ip.ip[0] if isinstance(ip.ip, tuple) else ip.ip
            try:
                out.add(ipaddress.ip_address(addr.split("%")[0]))
            except ValueError:
                continue
    return frozenset(out)


def is_local(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_unspecified or ip in own_addresses()


def calls(log: Path) -> list[tuple[str, str, int, str]]:
    """Every (family, address or path, port, line) a traced call named; port 0 for AF_UNIX."""
    out = []
    for line in Path(log).read_text(errors="replace").splitlines():
        for port, addr in _INET.findall(line):
            out.append(("AF_INET", addr, int(port), line))
        for port, addr in _INET6.findall(line):
            out.append(("AF_INET6", addr, int(port), line))
        for path in _UNIX.findall(line):
            out.append(("AF_UNIX", path, 0, line))
    return out


def offences(log: Path) -> list[str]:
    """The traced calls that leave the machine or look a name up (empty when nothing does)."""
    bad = []
    for family, addr, port, line in calls(log):
        if family == "AF_UNIX":
            if addr in RESOLVER_SOCKETS:
                bad.append(f"name lookup through {addr}: {line[:200]}")
        elif port == 53:
            bad.append(f"name lookup (DNS to {addr}): {line[:200]}")
        elif not is_local(addr):
            bad.append(f"connection to {addr}:{port}: {line[:200]}")
    return bad


def loopback_connects(log: Path) -> list[str]:
    """connect() calls to 127.0.0.1 (where the proxy variables send MediaPipe's usage logger)."""
    return [line for family, addr, _port, line in calls(log)
            if family == "AF_INET" and addr == "127.0.0.1" and " connect(" in line]
