"""The course's own rules for notebooks (AUTHORING.md), checked on the stored files.

nbval re-runs each notebook and compares outputs; these cheap checks catch what it does not:
a notebook saved half-executed, a stored error or warning, a missing link or recap, a cell
excused from nbval that is neither a widget nor a timing, a file grown too large.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
LESSONS = [p for p in NOTEBOOKS if not p.name.startswith("00_")]


def _cells(path, kind=None):
    cells = json.loads(path.read_text())["cells"]
    return [c for c in cells if kind is None or c["cell_type"] == kind]


def _src(cell):
    return "".join(cell["source"])


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def test_the_ten_lessons_exist():
    assert [p.name[:2] for p in LESSONS] == [f"{i:02d}" for i in range(1, 11)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_executed_in_order_without_errors_or_warnings(path):
    code = [c for c in _cells(path, "code") if _src(c).strip()]
    assert _src(code[0]).startswith("%matplotlib inline"), "the first code cell must start with %matplotlib inline"
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), "execute it top to bottom in a fresh kernel (make execute)"
    for i, cell in enumerate(code):
        for out in cell["outputs"]:
            assert out["output_type"] != "error", f"code cell {i} stores an error"
            assert out.get("name") != "stderr", f"code cell {i} writes to stderr: {''.join(out['text'])[:200]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_small_file_without_widget_state_or_run_timings(path):
    nb = json.loads(path.read_text())
    assert path.stat().st_size < 1_000_000, "lower figure sizes or dpi: keep notebooks under 1 MB"
    assert "widgets" not in nb["metadata"], "re-execute with make execute (no stored widget state)"
    assert not any("execution" in c.get("metadata", {}) for c in nb["cells"]), "run timings stored"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_only_widget_and_timing_cells_are_excused_from_nbval(path):
    for i, cell in enumerate(_cells(path, "code")):
        if "nbval-ignore-output" in _tags(cell):
            src = _src(cell)
            assert re.search(r"widgets\.\w+\(|perf_counter|timeit|time\.time\(|took .*seconds", src), \
                f"code cell {i} is excused from nbval but shows neither a widget nor a timing:\n{src[:300]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_explorer_has_a_static_twin(path):
    source = "\n".join(_src(c) for c in _cells(path, "code"))
    for name in set(re.findall(r"widgets\.(\w+_explorer|conv_stepper|param_counter)\(", source)):
        assert f"viz.{name}(" in source, f"widgets.{name} is shown without its static twin viz.{name}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_structure(path):
    markdown = [_src(c) for c in _cells(path, "markdown")]
    first, text = markdown[0], "\n".join(markdown)
    assert first.startswith("# "), "a title first"
    assert re.search(r"goals", first, re.I), "learning goals at the top"
    assert re.search(r"minutes", first), "say how long the lesson takes"
    assert re.search(r"^#+ .*recap", text, re.I | re.M), "a recap section at the end"
    number = int(path.name[:2])
    linked = set(re.findall(r"\]\((\d\d_[a-z_]+\.ipynb)\)", text))
    for other in linked:
        assert (path.parent / other).exists(), f"link to a missing notebook {other}"
    if number > 1:
        assert any(n.startswith(f"{number - 1:02d}_") for n in linked), "link to the previous lesson"
    if number < 10:
        assert any(n.startswith(f"{number + 1:02d}_") for n in linked), "link to the next lesson"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_two_to_four_exercises_with_solutions_and_checks(path):
    code = _cells(path, "code")
    exercises = [c for c in code if "exercise" in _tags(c)]
    checks = [c for c in code if "check" in _tags(c)]
    assert 2 <= len(exercises) <= 4, f"{len(exercises)} exercises"
    assert len(checks) >= len(exercises)
    for cell in exercises:
        assert "### BEGIN SOLUTION" in _src(cell) and "### END SOLUTION" in _src(cell)
    for cell in checks:
        printed = "".join("".join(o.get("text", "")) for o in cell["outputs"])
        assert "Correct!" in printed, f"a check cell does not pass in the stored notebook:\n{_src(cell)[:200]}"
