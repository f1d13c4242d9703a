"""Who may open the page (formcoach.access): this machine freely; the network only with the password."""

from __future__ import annotations

from pathlib import Path

import pytest

from formcoach import access
from formcoach.access import AccessError, Gate, decide, hash_password, is_local_address, verify_password

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PASSWORD = "correct horse battery"


@pytest.mark.parametrize("address,local", [
    ("127.0.0.1", True), ("127.1.2.3", True), ("localhost", True), ("::1", True), ("[::1]", True),
    ("unix:///run/formcoach.sock", True),
    (None, False), ("", False), ("0.0.0.0", False), ("::", False), ("192.168.1.20", False),
    ("formcoach.home.arpa", False), ("::ffff:10.0.0.1", False),
])
def test_local_addresses(address, local):
    assert is_local_address(address) is local


def test_hash_is_salted_scrypt_and_verifies():
    a, b = hash_password(PASSWORD), hash_password(PASSWORD)
    assert a != b and a.startswith("scrypt$16384$8$1$") and PASSWORD not in a
    assert verify_password(PASSWORD, a) and verify_password(PASSWORD, b)
    assert not verify_password(PASSWORD + " ", a) and not verify_password("correct horse", a)
    with pytest.raises(AccessError, match="at least 8"):
        hash_password("short")


def test_comparison_is_constant_time(monkeypatch):
    seen = []
    real = access.hmac.compare_digest
    monkeypatch.setattr(access.hmac, "compare_digest", lambda x, y: seen.append((x, y)) or real(x, y))
    assert verify_password(PASSWORD, hash_password(PASSWORD))
    assert len(seen) == 1


@pytest.mark.parametrize("bad", ["", "hunter2", "scrypt$16384$8$1$abc", "scrypt$1000$8$1$c2FsdHNhbHQ=$a2V5",
                                 "pbkdf2$1$2$3$4$5", "scrypt$16384$8$1$!!!$???"])
def test_malformed_hashes_are_refused(bad):
    with pytest.raises(AccessError, match="not a formcoach password hash"):
        verify_password(PASSWORD, bad)


def test_decide():
    good = {"formcoach": {"password_hash": hash_password(PASSWORD)}}
    assert decide("127.0.0.1", {}).gate is Gate.OPEN
    assert decide("localhost", good).gate is Gate.OPEN
    refused = decide("0.0.0.0", {})
    assert refused.gate is Gate.REFUSED and "no password is set" in refused.message
    assert "python -m formcoach.access" in refused.message and not refused.admits(PASSWORD)
    unset = decide(None, {})
    assert unset.gate is Gate.REFUSED and "every network interface" in unset.message
    plain = decide("0.0.0.0", {"formcoach": {"password": PASSWORD}})
    assert plain.gate is Gate.REFUSED and "store its hash" in plain.message
    broken = decide("0.0.0.0", {"formcoach": {"password_hash": "nope"}})
    assert broken.gate is Gate.REFUSED and "not a formcoach password hash" in broken.message
    lan = decide("192.168.1.20", good)
    assert lan.gate is Gate.PASSWORD
    assert lan.admits(PASSWORD) and not lan.admits("wrong password") and not lan.admits("") and not lan.admits(None)


def test_command_prints_a_secrets_line(monkeypatch, capsys):
    answers = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr(access.getpass, "getpass", lambda prompt="": next(answers))
    assert access.main([]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "[formcoach]" and out[1].startswith('password_hash = "scrypt$')
    assert verify_password(PASSWORD, out[1].split('"')[1])
    answers = iter([PASSWORD, "different password"])
    assert access.main([]) == 2


# --- the page (AppTest: the server's address is an option, the secrets are the test's) ----------

@pytest.fixture
def lan(monkeypatch, tmp_path):
    from streamlit import config as st_config

    monkeypatch.setenv("FORMCOACH_DB", str(tmp_path / "h.sqlite3"))
    monkeypatch.chdir(tmp_path)
    before = st_config.get_option("server.address")
    st_config.set_option("server.address", "0.0.0.0")
    yield tmp_path
    st_config.set_option("server.address", before)


def _page(secrets=None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["mode"] = "Exercise guide"  # the live page needs a real server (webrtc)
    for k, v in (secrets or {}).items():
        at.secrets[k] = v
    return at.run()


def _shows_app(at) -> bool:
    return bool(at.sidebar.radio) or bool(at.header) or bool(at.sidebar.error)


def test_page_on_the_network_without_a_password_serves_nothing(lan):
    at = _page()
    assert not at.exception
    assert [e.value for e in at.error] and "no password is set" in at.error[0].value
    assert not _shows_app(at) and not at.text_input
    assert not (lan / "h.sqlite3").exists()


def test_page_on_the_network_asks_for_the_password_first(lan):
    at = _page({"formcoach": {"password_hash": hash_password(PASSWORD)}})
    assert not at.exception and not _shows_app(at)
    (box,) = at.text_input
    box.input("not it at all")
    at.button[0].click().run()
    assert any("Wrong password" in e.value for e in at.error) and not _shows_app(at)
    at.text_input[0].input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception and _shows_app(at)
    at.run()  # stays admitted for this tab
    assert _shows_app(at) and not [t for t in at.text_input if t.label == "Password"]
