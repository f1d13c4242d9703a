#!/usr/bin/env bash
# Re-render the whole calibration corpus and re-cache its landmarks (lite and full), both cores.
#   tools/synth/rebuild_corpus.sh [JOBS]          (from the repository root)
# Needs the synth environment (.venv-synth, tools/synth/README.md) and the main one (.venv).
# Landmarks only (videos already in corpus/videos): .venv/bin/python -m formcoach.corpus cache corpus --jobs 2
set -euo pipefail
JOBS="${1:-2}"
SYNTH_PY="${SYNTH_PY:-.venv-synth/bin/python}"
MAIN_PY="${MAIN_PY:-.venv/bin/python}"
export ANNY_CACHE_DIR="${ANNY_CACHE_DIR:-$HOME/.cache/formcoach-anny}"
"$SYNTH_PY" -c "from tools.synth.body import load_model; load_model()"  # builds anny's cache once (minutes)
"$SYNTH_PY" -m tools.synth.corpus_build --jobs "$JOBS" --force
"$MAIN_PY" -m formcoach.corpus cache corpus --models lite full --jobs "$JOBS" --force
