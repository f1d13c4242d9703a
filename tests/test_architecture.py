"""Dependencies point one way: app/CLI -> formcoach -> vision -> exercises (NumPy + stdlib only)."""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _imports(pkg: str) -> set[tuple[str, str]]:
    found = set()
    for path in (ROOT / pkg).rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {(path.name, a.name.split(".")[0]) for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add((path.name, node.module.split(".")[0]))
    return found


STDLIB = set(sys.stdlib_module_names)


@pytest.mark.parametrize("pkg,allowed", [
    ("exercises", {"numpy"} | STDLIB),
    ("vision", {"numpy", "cv2", "av", "mediapipe", "platformdirs", "exercises"} | STDLIB),
])
def test_package_imports_only_what_its_layer_may(pkg, allowed):
    bad = sorted((f, m) for f, m in _imports(pkg) if m not in allowed and m != "__future__")
    assert bad == [], f"{pkg} imports outside its layer: {bad}"


def test_lower_layers_never_import_upper_ones():
    assert not {m for _, m in _imports("exercises")} & {"vision", "formcoach", "streamlit", "cv2", "mediapipe"}
    assert not {m for _, m in _imports("vision")} & {"formcoach", "streamlit"}
    assert "streamlit" not in {m for f, m in _imports("formcoach")}
