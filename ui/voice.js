// formcoach speaker: installed once into the app's top window, so speech outlives the component
// iframes that feed it. Each item {id, text, kind, droppable} is said at most once per session key;
// one utterance at a time (the next starts only after the previous ends, errors or times out and is
// cancelled); droppable lines older than 4 s are skipped rather than said late; network voices are
// never used (only voices with localService, or the platform default when none are listed).
window.__fcVoice = window.__fcVoice || (function () {
  const synth = window.speechSynthesis;
  const KEY = "formcoach.voice.last";
  let last = {};
  try { last = JSON.parse(window.sessionStorage.getItem(KEY) || "{}"); } catch (e) { last = {}; }
  let queue = [];
  let busy = null;
  let muted = false;

  function pickVoice() {
    const voices = synth.getVoices();
    if (!voices.length) return undefined;  // none listed: the platform default (a local engine)
    const local = voices.filter((v) => v.localService);
    if (!local.length) return null;  // only network voices: stay silent, nothing leaves the machine
    const lang = (navigator.language || "en").slice(0, 2);
    return local.find((v) => v.default && v.lang.startsWith(lang)) ||
      local.find((v) => v.lang.startsWith(lang)) || local[0];
  }

  function done(u) {
    if (!busy || busy.u !== u) return;
    clearTimeout(busy.timer);
    busy = null;
    setTimeout(pump, 120);
  }

  function pump() {
    if (busy || muted || !synth) return;
    const now = Date.now();
    queue = queue.filter((it) => !(it.droppable && now - it.at > 4000));
    if (!queue.length) return;
    if (synth.speaking || synth.pending) { setTimeout(pump, 250); return; }  // someone else is talking
    const it = queue.shift();
    const voice = pickVoice();
    if (voice === null) { queue = []; return; }
    const u = new SpeechSynthesisUtterance(it.text);
    if (voice) { u.voice = voice; u.lang = voice.lang; }
    u.onend = () => done(u);
    u.onerror = () => done(u);
    // No end event (e.g. no speech engine): give up after a generous speaking time, cancel, go on.
    busy = { u, id: it.id, timer: setTimeout(() => { synth.cancel(); done(u); }, 2500 + 110 * it.text.length) };
    synth.speak(u);
  }

  return {
    push(d) {
      muted = !!d.muted;
      if (muted) {
        queue = [];
        if (busy) { clearTimeout(busy.timer); busy = null; synth && synth.cancel(); }
      }
      const seen = last[d.session] || 0;
      let top = seen;
      for (const it of d.items) {
        if (it.id <= seen) continue;
        top = Math.max(top, it.id);
        if (!muted) queue.push(Object.assign({}, it, { at: Date.now() }));
      }
      if (top !== seen) {
        last = { [d.session]: top };
        try { window.sessionStorage.setItem(KEY, JSON.stringify(last)); } catch (e) { /* private mode */ }
      }
      pump();
    },
    state() { return { busy: !!busy, queued: queue.length, muted }; },
  };
})();
