"""Grading with nbgrader tells students the truth (issue 15, item 3).

nbgrader puts the hidden tests back into each check cell and runs it; the feedback a student
reads is that cell's output. So:

- every hidden test fails with a message in words: a cnnlab check (`check_function`,
  `check_value`, `check_that`) with ``part="hidden"``, never a bare ``assert`` (an empty
  AssertionError in the feedback) or a hand-made ``raise``;
- the checks above the hidden region say ``part="visible"``, so they print "Correct on the N
  visible cases; grading runs hidden tests too." instead of a "Correct!" that a failing hidden
  test would then contradict.

The first is checked statically for every check cell with hidden tests (and the checker itself on
hand-written faults); a real nbgrader round (marked ``notebooks``, about a minute) grades a
simulated submission that passes the visible cases of lesson 06's sum_pool exercise but not the
hidden one, and a tampered one, and reads the feedback HTML the student would get.
"""

import ast
import copy
import html
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from cnnlab.student import describe_cell, select_notebooks

ROOT = Path(__file__).resolve().parent.parent
# As in test_notebooks.py: `make check-notebook NB=...` sets CNNLAB_NOTEBOOK (that notebook only)
# and may point CNNLAB_NOTEBOOKS_DIR at a scratch copy of the course.
NOTEBOOKS_DIR = Path(os.environ.get("CNNLAB_NOTEBOOKS_DIR") or ROOT / "notebooks")
ALL_NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
NOTEBOOKS = select_notebooks(ALL_NOTEBOOKS, os.environ.get("CNNLAB_NOTEBOOK"))
CHECKS = ("check_value", "check_function", "check_that")
BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def split_hidden(source):
    """(visible source, hidden source, line number of the first hidden line, from 1), or None."""
    lines = source.split("\n")
    starts = [i for i, line in enumerate(lines) if line.strip() == BEGIN]
    if not starts:
        return None
    begin = starts[0]
    end = next(i for i in range(begin, len(lines)) if lines[i].strip() == END)
    visible = "\n".join(lines[:begin] + lines[end + 1:])
    return visible, "\n".join(lines[begin + 1:end]), begin + 2


def _check_calls(tree):
    return [node for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in CHECKS]


def _part(call):
    for keyword in call.keywords:
        if keyword.arg == "part" and isinstance(keyword.value, ast.Constant):
            return keyword.value.value
    return None


def hidden_test_problems(source):
    """What would make nbgrader's feedback for this check cell untruthful; [] when nothing."""
    split = split_hidden(source)
    if split is None:
        return []
    visible, hidden, first = split
    problems = []
    try:
        hidden_tree = ast.parse(hidden)
        visible_tree = ast.parse(visible)
    except SyntaxError as exc:
        return [f"does not parse: {exc}"]
    for node in ast.walk(hidden_tree):
        line = f"line {node.lineno + first - 1}" if hasattr(node, "lineno") else ""
        if isinstance(node, ast.Assert):
            problems.append(f"{line}: a bare assert (the feedback shows an AssertionError that says nothing, "
                            "or a message without 'A hidden test failed'): use "
                            "check_that(condition, \"what is wrong\", part=\"hidden\") or check_function")
        elif isinstance(node, ast.Raise):
            problems.append(f"{line}: a hand-made raise: use check_that(condition, \"what is wrong\", "
                            "part=\"hidden\")")
    hidden_calls = _check_calls(hidden_tree)
    if not hidden_calls:
        problems.append("the hidden tests call no cnnlab check (check_function, check_value, check_that)")
    for call in hidden_calls:
        if _part(call) != "hidden":
            problems.append(f"line {call.lineno + first - 1}: {ast.unparse(call.func)}(...) in the hidden "
                            "tests needs part=\"hidden\", so its failure says it was a hidden test")
    for call in _check_calls(visible_tree):
        if _part(call) != "visible":
            problems.append(f"{ast.unparse(call.func)}(...) above the hidden tests needs part=\"visible\": "
                            "otherwise it prints \"Correct!\" before hidden tests that may fail")
    return problems


def _hidden_cells(path):
    nb = nbformat.read(path, as_version=4)
    return [(describe_cell(nb.cells, i), cell) for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and any(line.strip() == BEGIN for line in cell.source.split("\n"))]




@pytest.mark.course
def test_the_course_has_hidden_tests_to_check():
    """The static check below is not vacuous: lessons do have hidden tests, in check cells."""
    cells = [(p.name, where, c) for p in ALL_NOTEBOOKS for where, c in _hidden_cells(p)]
    assert len(cells) >= 5, [f"{name}, {where}" for name, where, _ in cells]
    for name, where, cell in cells:
        assert "check" in _tags(cell), f"{name}, {where}: has hidden tests but is not tagged 'check'"


@pytest.mark.course
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_hidden_test_says_in_words_what_failed(path):
    # Every notebook, so that `make check-notebook` checks a hidden region just added to one that
    # had none; test_the_course_has_hidden_tests_to_check keeps this from being vacuous.
    found = []
    for where, cell in _hidden_cells(path):
        found += [f"{where}: {problem}" for problem in hidden_test_problems(cell.source)]
    assert not found, f"{path.name}:\n" + "\n".join(found)


CLEAN = ('check_function(f, cases, hints=["a", "b"], part="visible")\n'
         f"{BEGIN}\n"
         'check_that(g(x) is x, "g must return its input", part="hidden")\n'
         f"{END}")


@pytest.mark.parametrize("hidden, expected", [
    ("assert f(2) == 4", ["line 3: a bare assert", "no cnnlab check"]),
    ('assert f(2) == 4, "f(2) must be 4"\ncheck_value("n", 1, part="hidden")', ["line 3: a bare assert"]),
    ('if f(2) != 4:\n    raise ExerciseError("f(2) must be 4")\ncheck_that(True, "x", part="hidden")',
     ["line 4: a hand-made raise"]),
    ('check_function(f, [((7,), 14)])', ["line 3: check_function(...) in the hidden tests needs part"]),
    ('ex.check_that(f(1) == 2, "f(1) must be 2", part="visible")', ["line 3: ex.check_that(...) in the hidden"]),
    ('x = f(', ["does not parse"]),
])
def test_the_static_check_finds_each_fault(hidden, expected):
    source = CLEAN.replace('check_that(g(x) is x, "g must return its input", part="hidden")', hidden)
    problems = hidden_test_problems(source)
    assert len(problems) == len(expected), problems
    for start, problem in zip(expected, problems):
        assert start in problem, (start, problem)


def test_the_static_check_passes_a_clean_cell_and_wants_visible_marked():
    assert hidden_test_problems(CLEAN) == []
    assert hidden_test_problems("check_value('n', 1)") == []  # no hidden tests: nothing to say
    problems = hidden_test_problems(CLEAN.replace(', part="visible"', ""))
    assert len(problems) == 1 and problems[0].startswith("check_function(...) above the hidden tests")


# ---------------------------------------------------------------- a real nbgrader round

LESSON = "06_pooling"
# Right on the visible cases (small maps), wrong on the hidden one (a 64 x 64 map): it averages.
WRONG_ON_LARGE_MAPS = '''def sum_pool(x, size, stride=None):
    """Sum over size x size windows of a 2-D array x, moving by stride (default: size)."""
    stride = size if stride is None else stride
    out = cl.sum_pool2d(x, size, stride=stride)
    return out if np.size(x) < 100 else out / (size * size)
'''
TAMPERED_CHECK = 'print("Correct! (5 cases checked)")'


def _nbgrader(course, *args):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")  # nbgrader calls alembic from PATH
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def _by_grade_id(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _text(html_page):
    return html.unescape(re.sub(r"<[^>]+>", "", html_page))


@pytest.fixture(scope="module")
def graded(nbgrader, tmp_path_factory):
    """A course with lesson 06 released and three submissions autograded, with bob's feedback:
    bob's sum_pool passes the visible cases only; carol's and erin's are as wrong, and carol
    replaced the check cell by a print of "Correct!", erin deleted it."""
    from nbgrader.utils import compute_checksum

    from cnnlab.student import add_nbgrader_metadata, write_checks

    course = tmp_path_factory.mktemp("grading") / "course"
    (course / "source" / LESSON).mkdir(parents=True)
    original = nbformat.read(ROOT / "notebooks" / f"{LESSON}.ipynb", as_version=4)
    solved = add_nbgrader_metadata(original, f"{LESSON}.ipynb")
    nbformat.write(solved, course / "source" / LESSON / f"{LESSON}.ipynb")
    write_checks(original, f"{LESSON}.ipynb", course / "source" / LESSON, graded=True)  # as the module does
    (course / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.course_id = "cnnlab"\n'
        "c.OverwriteCells.add_missing_cells = True\n"  # as INSTRUCTORS.md's recipe
        "c.Execute.timeout = 600\n")
    _nbgrader(course, "generate_assignment", LESSON)
    release = nbformat.read(course / "release" / LESSON / f"{LESSON}.ipynb", as_version=4)

    answers = {c.id: c.source for c in solved.cells if c.metadata.get("nbgrader", {}).get("solution")}
    exercise = next(c for c in solved.cells if "\ndef sum_pool(" in c.source)  # after "# exercise 06.k"
    check = solved.cells[solved.cells.index(exercise) + 1]
    assert "check" in _tags(check) and split_hidden(check.source), "lesson 06 changed: pick another exercise"
    check_id = check.metadata.nbgrader["grade_id"]
    for student in ("bob", "carol", "erin"):
        nb = copy.deepcopy(release)
        for cell in nb.cells:
            if cell.id in answers:
                cell.source = answers[cell.id]
        next(c for c in nb.cells if c.id == exercise.id).source = WRONG_ON_LARGE_MAPS
        if student == "carol":
            _by_grade_id(nb, check_id).source = TAMPERED_CHECK
        if student == "erin":
            nb.cells.remove(_by_grade_id(nb, check_id))
        folder = course / "submitted" / student / LESSON
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{LESSON}.ipynb")
    log = _nbgrader(course, "autograde", LESSON, "--create")
    _nbgrader(course, "generate_feedback", LESSON, "--student", "bob")
    feedback = (course / "feedback" / "bob" / LESSON / f"{LESSON}.html").read_text()
    return {"course": course, "log": log, "feedback": _text(feedback), "check_id": check_id,
            "release_checksum": compute_checksum(_by_grade_id(release, check_id))}


def _score(course, student, grade_id):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return gb.find_grade(grade_id, LESSON, LESSON, student).score


@pytest.mark.notebooks
def test_feedback_says_which_hidden_test_failed_and_never_correct_before_it(graded):
    text = graded["feedback"]
    assert "A hidden test failed (the visible cases passed): `sum_pool` is not right yet" in text
    assert "Called with: array of shape (64, 64), 4" in text  # the failing case, in words
    assert "Correct on the 5 visible cases; grading runs hidden tests too." in text
    assert "Correct! (5 cases checked)" not in text
    assert not re.search(r"AssertionError\s*$", text, re.M), "an AssertionError without a message"
    assert _score(graded["course"], "bob", graded["check_id"]) == 0


@pytest.mark.notebooks
def test_feedback_shows_the_hidden_tests_to_the_student(graded):
    """What INSTRUCTORS.md says: the hidden tests are hidden until feedback is handed out."""
    assert BEGIN in graded["feedback"] and "cl.sum_pool2d(edges[:64, :64], 4)" in graded["feedback"]


@pytest.mark.notebooks
def test_checksum_warnings_tell_a_tampered_check_cell_from_hidden_tests(graded):
    """As INSTRUCTORS.md says: a check cell with hidden tests always warns, with the released
    cell's checksum after `got:`; a tampered one warns with another checksum, and is graded with
    the instructor's check anyway."""
    check_id, release = graded["check_id"], graded["release_checksum"]
    per_student = dict(re.findall(r"Creating/updating student with ID '(\w+)'(.*?)(?=Creating/updating student|\Z)",
                                  graded["log"], re.S))
    assert sorted(per_student) == ["bob", "carol", "erin"], graded["log"]
    warning = r"Attribute '(\w+)' for cell (\S+) has changed! \(should be: (\w+), got: (\w+)\)"
    found = {student: re.findall(warning, log) for student, log in per_student.items()}
    assert [w[:2] for w in found["bob"]] == [("checksum", check_id)], found  # no other cell warns
    assert [w[:2] for w in found["carol"]] == [("checksum", check_id)], found
    (_, _, should_bob, got_bob), (_, _, should_carol, got_carol) = found["bob"][0], found["carol"][0]
    assert should_bob == should_carol != release  # the gradebook's checksum includes the hidden tests
    assert got_bob == release and got_carol != release
    assert _score(graded["course"], "carol", check_id) == 0  # her print of "Correct!" was replaced
    carol = nbformat.read(graded["course"] / "autograded" / "carol" / LESSON / f"{LESSON}.ipynb", as_version=4)
    assert TAMPERED_CHECK not in _by_grade_id(carol, check_id).source


@pytest.mark.notebooks
def test_a_deleted_check_cell_is_put_back_and_graded(graded):
    """With add_missing_cells (INSTRUCTORS.md's config), a deleted check cell is not a free pass."""
    per_student = graded["log"].split("Creating/updating student with ID 'erin'")[1]
    assert f"Missing grade cell {graded['check_id']} encountered, adding to notebook" in per_student
    assert _score(graded["course"], "erin", graded["check_id"]) == 0
