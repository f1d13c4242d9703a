"""README's commands are the ones CI runs."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commands():
    return re.findall(r"```bash\n(python3 -m venv[^\n]*)\n```", (ROOT / "README.md").read_text())


def test_readme_gives_two_fresh_machine_commands():
    cmds = _commands()
    assert len(cmds) == 2
    assert "streamlit run app.py" in cmds[0]
    assert "pytest" in cmds[1]
    for cmd in cmds:  # pinned installs (tests/test_reproducible.py checks the pins themselves)
        assert "pip install -c constraints.txt -e " in cmd


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    test_cmd = _commands()[1]
    assert test_cmd in ci.splitlines()
    assert "set -euo pipefail" in ci  # pytest's exit 5 ("no tests") fails the run


def test_ci_also_runs_the_suite_without_shared_footage():
    ci = (ROOT / ".ci" / "run").read_text()
    conftest = (ROOT / "tests" / "conftest.py").read_text()
    assert 'os.environ.get("FORMCOACH_SHARED_VIDEOS"' in conftest
    runs = [line for line in ci.splitlines() if "pytest -p no:cacheprovider" in line]
    assert len(runs) == 2 and runs[1].startswith('FORMCOACH_SHARED_VIDEOS="$no_shared" ')
    assert 'no_shared="$(mktemp -d)"' in ci
