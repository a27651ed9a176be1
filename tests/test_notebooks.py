"""The course's own rules for notebooks (AUTHORING.md), checked on the stored files.

nbval re-runs each notebook and compares outputs; these cheap checks catch what it does not:
a notebook saved half-executed, a stored error or warning, a missing link or recap, a cell
excused from nbval that is neither a widget nor a timing, a file grown too large, and the lesson
conventions (links at top and bottom, goals, time, numbered sections, exercise kinds, tiered
hints that do not give the answer away). Every lesson file ``NN_name.ipynb`` (01 up) is checked,
so lessons added later are held to the same rules; each failure names the notebook and the fix.
"""

import ast
import io
import json
import os
import re
import tokenize
from pathlib import Path

import pytest

from cnnlab.student import describe_cell, select_notebooks

ROOT = Path(__file__).resolve().parents[1]
# `make check-notebook NB=...` sets CNNLAB_NOTEBOOK: every test below that takes a notebook then
# runs for that one only. CNNLAB_NOTEBOOKS_DIR points the tests at another folder (a scratch copy).
NOTEBOOKS_DIR = Path(os.environ.get("CNNLAB_NOTEBOOKS_DIR") or ROOT / "notebooks")
ALL_NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
ALL_LESSONS = [p for p in ALL_NOTEBOOKS if not p.name.startswith("00_")]
NOTEBOOKS = select_notebooks(ALL_NOTEBOOKS, os.environ.get("CNNLAB_NOTEBOOK"))
LESSONS = [p for p in NOTEBOOKS if not p.name.startswith("00_")]

pytestmark = pytest.mark.course  # all of them: make check-notebook runs them


def _cells(path, kind=None):
    """The cells (of one kind), each with ``"_where"``: how messages name it (`describe_cell`)."""
    cells = json.loads(path.read_text())["cells"]
    for i, cell in enumerate(cells):
        cell["_where"] = describe_cell(cells, i)
    return [c for c in cells if kind is None or c["cell_type"] == kind]


def _src(cell):
    return "".join(cell["source"])


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])



def _number(path):
    return int(path.name[:2])


def _markdown_text(cell):
    """A markdown cell's text without fenced code blocks (a ``## x`` inside ``` is no heading)."""
    return re.sub(r"^```.*?^```", "", _src(cell), flags=re.S | re.M)


def _previous_and_next(path):
    names = {_number(p): p.name for p in ALL_NOTEBOOKS}
    n = _number(path)
    return names.get(n - 1), names.get(n + 1)


def test_lessons_are_numbered_01_to_nn_without_gaps():
    numbers = [_number(p) for p in ALL_LESSONS]
    assert len(numbers) == len(set(numbers)), f"two lessons share a number: {[p.name for p in ALL_LESSONS]}"
    assert numbers == list(range(1, len(numbers) + 1)), \
        f"lessons must be numbered 01..NN without gaps, found {[p.name for p in ALL_LESSONS]}"
    assert len(numbers) >= 10, f"the course has lessons 01..10 at least, found {len(numbers)}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_top_and_bottom_links_goals_and_time(path):
    markdown = _cells(path, "markdown")
    first, last = _src(markdown[0]), _src(markdown[-1])
    name = path.name
    assert first.startswith(f"# {name[:2]} "), f"{name}: the first markdown cell starts with '# {name[:2]} Title'"
    assert re.search(r"^\*About \d+ minutes\b[^*\n]*\*", first, re.M), \
        (f"{name}: the first cell needs a line starting '*About N minutes.*' "
         "(measured: a careful read plus the exercises)")
    assert re.search(r"\*\*Learning goals\.\*\*", first) and re.search(r"^1\. ", first, re.M), \
        f"{name}: the first cell needs '**Learning goals.** After this notebook you can' and a numbered list"
    for other in set(re.findall(r"\]\((\d\d_[a-z0-9_]+\.ipynb)\)", "\n".join(_src(c) for c in markdown))):
        assert (path.parent / other).exists(), f"{name}: a link to a missing notebook {other}"
    previous, following = _previous_and_next(path)
    for where, text in (("first", first), ("last", last)):
        links = set(re.findall(r"\]\((\d\d_[a-z0-9_]+\.ipynb)\)", text))
        if previous:
            assert previous in links, f"{name}: the {where} markdown cell must link the previous lesson ({previous})"
        if following:
            assert following in links, f"{name}: the {where} markdown cell must link the next lesson ({following})"


UNNUMBERED = ("Exercises", "Recap", "References")


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_sections_numbered_without_gaps_then_exercises_and_recap(path):
    headings = [h.strip() for c in _cells(path, "markdown")
                for h in re.findall(r"^## (.+)$", _markdown_text(c), re.M)]
    numbered = [int(m.group(1)) for h in headings if (m := re.match(r"(\d+)\. ", h))]
    other = [h for h in headings if not re.match(r"\d+\. ", h)]
    assert numbered == list(range(1, len(numbered) + 1)) and numbered, \
        f"{path.name}: sections must be '## 1. ...', '## 2. ...' without gaps, found {headings}"
    assert all(h in UNNUMBERED for h in other), \
        f"{path.name}: only {UNNUMBERED} headings may be unnumbered at level 2, found {other}"
    assert "Exercises" in other, f"{path.name}: add a '## Exercises' heading before the exercises"
    assert "Recap" in other, f"{path.name}: add a '## Recap' section at the end"
    assert headings.index("Exercises") > headings.index(next(h for h in headings if h.startswith("1. "))), \
        f"{path.name}: the numbered sections come before '## Exercises'"
    assert headings.index("Recap") > headings.index("Exercises"), f"{path.name}: '## Recap' comes after the exercises"


def _kind(path, tag):
    return [c for c in _cells(path, "code") if tag in _tags(c)]


@pytest.mark.parametrize("path", [p for p in LESSONS if _number(p) <= 10], ids=lambda p: p.name)
def test_each_of_lessons_01_to_10_has_a_predict_exercise(path):
    predict = _kind(path, "predict")
    assert predict, (f"{path.name}: tag at least one exercise 'predict' (the learner writes a prediction "
                     "in code before a cell computes the answer)")
    for cell in predict + _kind(path, "debug"):
        assert "exercise" in _tags(cell), \
            f"{path.name}, {cell['_where']}: 'predict'/'debug' go on the exercise cell, beside 'exercise'"


def test_the_course_has_debug_exercises_and_open_experiments():
    debug = {p.name: len(_kind(p, "debug")) for p in ALL_LESSONS}
    experiment = {p.name: len(_kind(p, "experiment")) for p in ALL_LESSONS}
    assert sum(debug.values()) >= 4, f"the course needs at least 4 exercises tagged 'debug', found {debug}"
    assert sum(experiment.values()) >= 2, f"the course needs at least 2 cells tagged 'experiment', found {experiment}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_debug_exercises_show_the_bug_before_asking_for_the_fix(path):
    code = _cells(path, "code")
    for i, cell in enumerate(code):
        if "debug" in _tags(cell):
            demo = code[i - 1] if i else None
            assert demo is not None and not {"exercise", "check"} & set(_tags(demo)) and demo["outputs"], (
                f"{path.name}, {cell['_where']}: a 'debug' exercise needs, just before it, an untagged code "
                "cell that runs the subtly wrong code and shows what it gets wrong on a small case")


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_experiments_are_open_and_run(path):
    for cell in _kind(path, "experiment"):
        src = _src(cell)
        assert "exercise" not in _tags(cell) and "check" not in _tags(cell), \
            f"{path.name}, {cell['_where']}: an 'experiment' cell is not graded: remove its 'exercise'/'check' tag"
        assert "BEGIN SOLUTION" not in src and "BEGIN HIDDEN TESTS" not in src, \
            f"{path.name}, {cell['_where']}: an 'experiment' cell has no solution markers (it runs as given)"
        assert cell["outputs"] and not any(o["output_type"] == "error" for o in cell["outputs"]), \
            f"{path.name}, {cell['_where']}: the 'experiment' cell must run as given and show its result"


def _region(src, begin, end):
    """The lines between ``### BEGIN x`` and ``### END x`` markers, and the rest of the source."""
    inside, outside, on = [], [], False
    for line in src.splitlines():
        if line.strip() == begin:
            on = True
        elif line.strip() == end:
            on = False
        else:
            (inside if on else outside).append(line)
    return inside, "\n".join(outside)


def _squash(text):
    return re.sub(r"\s+", "", text)


def _code_without_strings(src):
    """The source with its string literals (the hints, the messages) left out: the code a learner
    reads as the check's computation. Later hints may come close to the answer; the code may not."""
    kept = []
    skip = {tokenize.STRING, *(getattr(tokenize, n) for n in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END")
                               if hasattr(tokenize, n))}
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.type not in skip:
            kept.append(tok.string)
    return "".join(kept)


def _answer_expressions(exercise_src):
    """The expressions the solution computes: right-hand sides, returned values, bare calls."""
    lines, _ = _region(exercise_src, "### BEGIN SOLUTION", "### END SOLUTION")
    found = []
    for line in lines:
        line = line.split("  #")[0].strip()
        if not line or line.startswith("#") or re.match(r"(for|if|elif|else|while|with|def|try|except)\b", line):
            continue                                    # comments and control flow are no answer
        m = re.match(r"return\s+(.+)", line) or re.match(r"[\w\[\], .]+?\s*[-+*/]?=(?!=)\s*(.+)", line)
        expr = m.group(1) if m else line
        squashed = _squash(expr)
        trivial = re.fullmatch(r"[\w.]+(,[\w.]+)*|[\d.\-+]+|np\.asarray\(.*\)|np\.(zeros|empty)\(.*\)|.*\.shape",
                               squashed)                # names, numbers, conversions, shapes
        if len(squashed) >= 6 and not trivial:
            found.append(squashed)
    return found


def _first_hints(check_src):
    """The first hint of every check_value/check_function call in a check cell (literal or a
    name assigned a literal in the same cell); None where a call has no tiered hints."""
    tree = ast.parse(check_src)
    assigned = {t.id: node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)}
    firsts = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("check_value", "check_function"):
            given = {k.arg: k.value for k in node.keywords}
            value = given.get("hints")
            if isinstance(value, ast.Name):
                value = assigned.get(value.id)
            if not isinstance(value, (ast.List, ast.Tuple)) or len(value.elts) < 2:
                firsts.append(None)
                continue
            first = value.elts[0]
            try:
                firsts.append(ast.literal_eval(first))
            except ValueError:
                firsts.append(ast.unparse(first))
    return firsts


def _exercise_and_check_pairs(path):
    code = _cells(path, "code")
    for i, cell in enumerate(code):
        if "exercise" in _tags(cell):
            following = code[i + 1] if i + 1 < len(code) else None
            yield cell, following


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_checks_follow_exercises_with_tiered_hints_that_hide_the_answer(path):
    for exercise, check in _exercise_and_check_pairs(path):
        head = f"{path.name}, {exercise['_where']}"
        assert check is not None and "check" in _tags(check), \
            f"{head}: the exercise cell must be followed directly by a code cell tagged 'check'"
        _, visible = _region(_src(check), "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
        firsts = _first_hints(visible)
        assert firsts and None not in firsts, (
            f"{path.name}, {check['_where']}: every check_value/check_function call needs tiered hints, "
            "hints=[\"what is wrong, without the answer\", \"more\", ...] (2 or more)")
        code = _squash(_code_without_strings(visible))
        for expr in _answer_expressions(_src(exercise)):
            assert expr not in code, (
                f"{path.name}, {check['_where']}: the check cell shows the solution's expression {expr!r} "
                f"(of {exercise['_where']}): compute the expected value another way (cnnlab, or arithmetic "
                "written differently)")
            for first in firsts:
                assert expr not in _squash(first), (
                    f"{path.name}, {check['_where']}: the first hint gives the solution's expression {expr!r} "
                    "away: say what is wrong without the answer, and move details to later hints")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_fit_output_is_the_finished_bar_not_a_widget_repr(path):
    for cell in _cells(path, "code"):
        for out in cell["outputs"]:
            text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
            assert "HBox(children=" not in text, (
                f"{path.name}, {cell['_where']} stores a raw widget repr (HBox(children=...)); "
                "a stored fit output must show the finished progress bar's text")

@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_executed_in_order_without_errors_or_warnings(path):
    code = [c for c in _cells(path, "code") if _src(c).strip()]
    assert _src(code[0]).startswith("%matplotlib inline"), \
        f"{path.name}, {code[0]['_where']}: the first code cell must start with %matplotlib inline"
    for count, cell in enumerate(code, start=1):
        assert cell["execution_count"] == count, (
            f"{path.name}, {cell['_where']} has execution count {cell['execution_count']}, not {count}: "
            "execute the notebook top to bottom in a fresh kernel (make execute NB=...)")
    for cell in code:
        for out in cell["outputs"]:
            assert out["output_type"] != "error", f"{path.name}, {cell['_where']} stores an error"
            assert out.get("name") != "stderr", \
                f"{path.name}, {cell['_where']} writes to stderr: {''.join(out['text'])[:200]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_small_file_without_widget_state_or_run_timings(path):
    nb = json.loads(path.read_text())
    assert path.stat().st_size < 1_000_000, f"{path.name}: lower figure sizes or dpi: keep notebooks under 1 MB"
    assert "widgets" not in nb["metadata"], f"{path.name}: re-execute with make execute (no stored widget state)"
    timed = [describe_cell(nb["cells"], i) for i, c in enumerate(nb["cells"]) if "execution" in c.get("metadata", {})]
    assert not timed, f"{path.name}: run timings stored in {', '.join(timed)}: re-execute with make execute"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_only_widget_and_timing_cells_are_excused_from_nbval(path):
    for cell in _cells(path, "code"):
        if "nbval-ignore-output" in _tags(cell):
            src = _src(cell)
            assert re.search(r"widgets\.\w+\(|perf_counter|timeit|time\.time\(|took .*seconds", src), \
                f"{path.name}, {cell['_where']} is excused from nbval but shows neither a widget nor a timing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_explorer_has_a_static_twin(path):
    source = "\n".join(_src(c) for c in _cells(path, "code"))
    for name in set(re.findall(r"widgets\.(\w+_explorer|conv_stepper|param_counter)\(", source)):
        assert f"viz.{name}(" in source, f"widgets.{name} is shown without its static twin viz.{name}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_two_to_four_exercises_with_solutions_and_checks(path):
    code = _cells(path, "code")
    exercises = [c for c in code if "exercise" in _tags(c)]
    checks = [c for c in code if "check" in _tags(c)]
    assert 2 <= len(exercises) <= 4, (
        f"{path.name}: {len(exercises)} exercise cells ({', '.join(c['_where'] for c in exercises)}); a lesson "
        "has 2 to 4 (AUTHORING.md): replace or extend an exercise, or move one to another lesson")
    assert len(checks) >= len(exercises), f"{path.name}: {len(exercises)} exercises but {len(checks)} check cells"
    for cell in exercises:
        assert "### BEGIN SOLUTION" in _src(cell) and "### END SOLUTION" in _src(cell), \
            f"{path.name}, {cell['_where']}: an exercise cell needs ### BEGIN SOLUTION / ### END SOLUTION lines"
    for cell in checks:
        printed = "".join("".join(o.get("text", "")) for o in cell["outputs"])
        assert "Correct!" in printed, (
            f"{path.name}, {cell['_where']}: the check does not print Correct! in the stored notebook "
            "(execute it with make execute NB=...)")
