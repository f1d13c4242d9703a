"""Browser-side speech and the full-screen switch, as small HTML components.

:func:`speak_queue` hands the guided set's newest utterances (with ids) to a speaker that lives in
the app's top window (``voice.js``): it says each id once, one at a time, with local voices only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import streamlit as st

from formcoach.guided import Utterance

_SPEAKER_JS = (Path(__file__).with_name("voice.js")).read_text(encoding="utf-8")

_FEED = """<script>
(function () {
  const data = %s;
  let host = window;
  try { if (window.parent && window.parent.document) host = window.parent; } catch (e) { host = window; }
  if (!host.__fcVoice) {
    const s = host.document.createElement("script");
    s.textContent = %s;
    host.document.head.appendChild(s);
  }
  host.__fcVoice.push(data);
})();
</script>"""


def speak_queue(session: str, utterances: Sequence[Utterance], muted: bool) -> None:
    """Render the feeder (zero height). Only a new utterance or a mute change re-renders it."""
    data = {"session": session, "muted": bool(muted), "items": [u.to_dict() for u in utterances]}
    st.iframe(_FEED % (json.dumps(data), json.dumps(_SPEAKER_JS)), height=1)


_FULLSCREEN = """<button id="fs" style="font: 600 18px system-ui, sans-serif; padding: 8px 16px; border-radius: 8px;
  border: 2px solid #222; background: #fff; color: #111; cursor: pointer">Full screen</button>
<script>
(function () {
  const b = document.getElementById("fs");
  let doc = document;
  try { doc = window.parent.document; } catch (e) { doc = document; }
  const label = () => { b.textContent = doc.fullscreenElement ? "Exit full screen" : "Full screen"; };
  b.onclick = () => {
    const p = doc.fullscreenElement ? doc.exitFullscreen() : doc.documentElement.requestFullscreen();
    Promise.resolve(p).catch((e) => { b.textContent = "Full screen not allowed here"; });
  };
  doc.addEventListener("fullscreenchange", label);
  label();
})();
</script>"""


def fullscreen_button() -> None:
    """A button that puts the whole page in full screen (and back)."""
    st.iframe(_FULLSCREEN, height=48)
