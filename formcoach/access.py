"""Who may open the page: this machine only by default; anyone else needs the password.

Streamlit listens on ``server.address``. formcoach's ``.streamlit/config.toml`` sets it to
``127.0.0.1``, so only this machine reaches the page. Any other address is the user opting in to LAN
use: ``--server.address 0.0.0.0``, a LAN address or a host name, and also an unset address (Streamlit
then listens on every interface, e.g. when it is started from a folder without formcoach's config).
Then nothing of the page renders before the right password is typed, and without a configured
password the page refuses to serve at all.

The password is kept only as a salted scrypt hash in Streamlit secrets (``.streamlit/secrets.toml``
beside ``app.py``'s working folder, or ``~/.streamlit/secrets.toml``)::

    [formcoach]
    password_hash = "scrypt$16384$8$1$<salt, base64>$<key, base64>"

``python -m formcoach.access`` asks for a password twice and prints that line. Checking costs one
scrypt (about 50 ms, 16 MB) and compares in constant time (:func:`hmac.compare_digest`). Wrong
passwords are throttled per client address (:class:`PasswordThrottle`): after ``FREE_ATTEMPTS`` in a
row each further try waits, from ``FIRST_LOCK_S`` doubling up to ``MAX_LOCK_S``, so the password cannot
be guessed at scrypt speed from the network; a right password clears the count.
"""

from __future__ import annotations

import base64
import binascii
import getpass
import hashlib
import hmac
import ipaddress
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

SECRETS_SECTION = "formcoach"
SECRETS_KEY = "password_hash"
SCHEME = "scrypt"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SALT_BYTES, KEY_BYTES = 16, 32
MIN_PASSWORD_CHARS = 8
HOW_TO_SET = ("run `python -m formcoach.access`, put the line it prints under [formcoach] in "
              ".streamlit/secrets.toml, and restart formcoach")


FREE_ATTEMPTS = 5  # wrong passwords in a row before the first wait
FIRST_LOCK_S = 30.0
MAX_LOCK_S = 900.0
FORGET_AFTER_S = 3600.0  # a client quiet this long starts afresh


class PasswordThrottle:
    """Wrong-password bookkeeping per client (its address; one shared key when unknown), thread-safe.

    ``wait_s(client)`` is how long that client must wait before its next try may be checked (0: now);
    ``failed(client)`` records a wrong password, ``succeeded(client)`` clears the record. ``clock`` returns
    seconds (monotonic)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._state: dict[str, tuple[int, float]] = {}  # client -> (wrong in a row, time of the last)

    def wait_s(self, client: str | None) -> float:
        with self._lock:
            n, last = self._state.get(client or "?", (0, -FORGET_AFTER_S))
            if n < FREE_ATTEMPTS:
                return 0.0
            lock = min(MAX_LOCK_S, FIRST_LOCK_S * 2 ** (n - FREE_ATTEMPTS))
            return max(0.0, last + lock - self._clock())

    def failed(self, client: str | None) -> None:
        with self._lock:
            now = self._clock()
            self._state = {k: v for k, v in self._state.items() if now - v[1] < FORGET_AFTER_S}
            n, _ = self._state.get(client or "?", (0, now))
            self._state[client or "?"] = (n + 1, now)

    def succeeded(self, client: str | None) -> None:
        with self._lock:
            self._state.pop(client or "?", None)


THROTTLE = PasswordThrottle()  # the server's one throttle (every session of the Streamlit process)


class AccessError(ValueError):
    """A stored password hash formcoach cannot use (one line for the user)."""


class Gate(Enum):
    OPEN = "open"  # bound to this machine only: no password needed
    PASSWORD = "password"  # reachable from the network: ask for the password first
    REFUSED = "refused"  # reachable from the network without a usable password: serve nothing


@dataclass(frozen=True)
class Access:
    gate: Gate
    message: str = ""  # for REFUSED: what is wrong and how to fix it
    password_hash: str | None = None  # for PASSWORD

    def admits(self, password: str | None) -> bool:
        """True for an open gate, or for the right password at a password gate."""
        if self.gate is Gate.OPEN:
            return True
        if self.gate is Gate.REFUSED or self.password_hash is None or not password:
            return False
        return verify_password(password, self.password_hash)


def is_local_address(address: str | None) -> bool:
    """True when a server bound to ``address`` is reachable from this machine only.

    Loopback addresses, ``localhost`` and Unix sockets are local. Unset or empty (Streamlit then binds
    every interface), ``0.0.0.0``/``::``, LAN addresses and other host names are not (names are not
    looked up: nothing is resolved to decide).
    """
    a = (address or "").strip()
    if not a:
        return False
    if a.startswith("unix://"):
        return True
    a = a.strip("[]")
    if a.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(a.split("%")[0]).is_loopback
    except ValueError:
        return False


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$key`` (salt and key base64) for ``password``; a fresh random salt by default."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccessError(f"the password needs at least {MIN_PASSWORD_CHARS} characters")
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=KEY_BYTES)
    b64 = base64.b64encode
    return f"{SCHEME}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(key).decode()}"


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes]:
    parts = stored.strip().split("$")
    try:
        if len(parts) != 6 or parts[0] != SCHEME:
            raise ValueError
        n, r, p = (int(x) for x in parts[1:4])
        salt, key = base64.b64decode(parts[4], validate=True), base64.b64decode(parts[5], validate=True)
        if n < 2**10 or n & (n - 1) or not (1 <= r <= 64 and 1 <= p <= 16) or len(salt) < 8 or len(key) < 16:
            raise ValueError
    except (ValueError, binascii.Error):
        raise AccessError(f"[{SECRETS_SECTION}] {SECRETS_KEY} is not a formcoach password hash; to make one, "
                          + HOW_TO_SET) from None
    return n, r, p, salt, key


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (from :func:`hash_password`), compared in constant time."""
    n, r, p, salt, key = _parse(stored)
    got = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=len(key),
                         maxmem=128 * r * (n + p + 2) + 1024 * 1024)
    return hmac.compare_digest(got, key)


def decide(address: str | None, secrets: Mapping[str, Any]) -> Access:
    """The gate for a server bound to ``address`` with Streamlit secrets ``secrets``."""
    if is_local_address(address):
        return Access(Gate.OPEN)
    where = f"address {address}" if (address or "").strip() else "every network interface (server.address unset)"
    section = secrets.get(SECRETS_SECTION) if isinstance(secrets, Mapping) else None
    section = section if isinstance(section, Mapping) else {}
    stored = section.get(SECRETS_KEY)
    if not stored:
        plain = " (a plain `password` is not accepted: store its hash)" if section.get("password") else ""
        return Access(Gate.REFUSED, f"formcoach is listening on {where}, where other devices can reach it, and "
                                    f"no password is set{plain}. To use it from other devices, {HOW_TO_SET}. "
                                    "To use it on this machine only, start it with --server.address 127.0.0.1 "
                                    "(the default in formcoach's .streamlit/config.toml).")
    try:
        _parse(str(stored))
    except AccessError as e:
        return Access(Gate.REFUSED, f"formcoach is listening on {where}, and {e}.")
    return Access(Gate.PASSWORD, password_hash=str(stored))


def main(argv: list[str] | None = None) -> int:
    """Ask for a password twice and print the secrets.toml lines holding its hash."""
    try:
        first = getpass.getpass("New formcoach password: ")
        if getpass.getpass("Again: ") != first:
            print("formcoach: error: the two passwords differ", file=sys.stderr)
            return 2
        line = hash_password(first)
    except AccessError as e:
        print(f"formcoach: error: {e}", file=sys.stderr)
        return 2
    except (EOFError, KeyboardInterrupt):
        return 130
    print(f"[{SECRETS_SECTION}]\n{SECRETS_KEY} = \"{line}\"")
    return 0


if __name__ == "__main__":
    sys.exit(main())
