"""Per-user preferences: the voice mute switch survives a restart; a damaged file reads as defaults."""

from formcoach.prefs import Prefs, load_prefs, prefs_path, save_prefs


def test_mute_is_kept(tmp_path):
    p = prefs_path(tmp_path / "h" / "history.sqlite3")
    assert load_prefs(p) == (Prefs(voice_muted=False), None)  # voice on by default
    save_prefs(p, Prefs(voice_muted=True))
    assert load_prefs(p) == (Prefs(voice_muted=True), None)
    assert [x.name for x in p.parent.iterdir()] == ["prefs.json"]  # no temp file left


def test_damaged_or_odd_files_read_as_defaults(tmp_path):
    p = tmp_path / "prefs.json"
    for text in ("{not json", "[1, 2]", '{"voice_muted": "yes"}'):
        p.write_text(text)
        prefs, why = load_prefs(p)
        assert prefs == Prefs()
        assert (why is None) == (text.startswith('{"'))  # a wrongly typed value is ignored quietly
    p.write_bytes(b"\xff\xfe\x00")
    assert load_prefs(p)[0] == Prefs() and "unreadable" in load_prefs(p)[1]
