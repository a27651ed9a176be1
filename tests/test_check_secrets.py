"""Exercises that keep their secrets and check what the learner really ran (issue 19).

The learners' copies show short check calls; the checks (code, hints, explanations, model
solutions) are in an encoded checks file beside them; a wrong value is described without the
expected value; hint tiers advance only on hint(); a check after a failed exercise cell does not
pass from a stale variable, in a real kernel.
"""

import ast
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from cnnlab import exercises
from cnnlab.exercises import ExerciseError, check_function, check_value, decode_check
from cnnlab.student import make_student_notebook, notebook_checks, write_checks

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
SECRET_KEYWORDS = {"hint", "hints", "explain", "mistakes", "case_hints"}


@pytest.fixture(autouse=True)
def fresh_kernel_state(monkeypatch):
    monkeypatch.setattr(exercises, "_failures", {})
    monkeypatch.setattr(exercises, "_last_failed", None)


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def _secret_strings(source):
    """String literals of >= 20 characters passed as hint=, hints=, explain= or mistakes= (the
    constant parts of f-strings included), in a check cell's source."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg in SECRET_KEYWORDS:
                    for sub in ast.walk(keyword.value):
                        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and len(sub.value) >= 20:
                            found.add(sub.value)
    return found


@pytest.fixture(scope="module")
def learner_copies(tmp_path_factory):
    out = tmp_path_factory.mktemp("copies") / "student"
    done = subprocess.run([sys.executable, "-m", "cnnlab.student", str(ROOT / "notebooks"), str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.course
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_learner_copies_hold_none_of_the_hints_or_explanations(path, learner_copies):
    solved = nbformat.read(path, as_version=4)
    secrets = set()
    for cell in solved.cells:
        if cell.cell_type == "code" and "check" in _tags(cell):
            secrets |= _secret_strings(cell.source)
    if not secrets:
        assert not any("check" in _tags(c) for c in solved.cells), path.name
        return
    copy = nbformat.read(learner_copies / path.name, as_version=4)
    text = "\n".join(c.source for c in copy.cells)
    leaked = [s for s in secrets if s in text]
    assert not leaked, f"{path.name}: the learner's copy shows {leaked[:2]}"
    checks_file = (learner_copies / ".checks" / f"{path.stem}.json").read_text()
    assert not [s for s in secrets if s in checks_file], f"{path.name}: readable in the checks file"
    for cell in copy.cells:  # a check cell is a short call
        if "check" in _tags(cell):
            assert cell.source.startswith('check("') and len(cell.source.splitlines()) == 1, cell.source


def test_the_checks_file_is_encoded_but_says_it_is_not_secret(tmp_path):
    fixture = nbformat.read(ROOT / "tests" / "fixtures" / "exercise_demo.ipynb", as_version=4)
    path = write_checks(fixture, "01_demo.ipynb", tmp_path)
    data = json.loads(path.read_text())
    assert "not security" in data["note"] and "784" not in path.read_text()
    entry = decode_check(data["checks"]["01.1"])
    assert entry["code"] == fixture.cells[4].source and "n_inputs = 28 * 28" in entry["solution"]
    assert entry == {**notebook_checks(fixture, "01_demo.ipynb")["01.1"]}


# ---------------------------------------------------------------- strict answers, no giveaways

@pytest.mark.parametrize("answer", ["1216", True, np.True_, [1216, "3"]])
def test_check_value_refuses_text_and_bools_for_numbers(answer):
    expected = [1216, 3] if isinstance(answer, list) else 1216
    with pytest.raises(ExerciseError) as info:
        check_value("n_conv", expected, namespace={"n_conv": answer})
    message = str(info.value)
    assert ("text" in message and "without quotes" in message) or "a bool" in message, message
    assert "1216" not in message.replace(repr(answer), "") or isinstance(answer, str)


def test_a_bool_answer_must_be_a_bool():
    with pytest.raises(ExerciseError, match="the answer is True or False"):
        check_value("same", True, namespace={"same": 1})
    check_value("same", True, namespace={"same": True})


@pytest.mark.parametrize("got, expected, words", [
    (1200, 1216, "too small"),
    (1217, 1216, "too big (off by one)"),
    (-1216, 1216, "wrong sign"),
    ((37, 43), (37, 41), "entry [1] is too big; the other entries are right"),
    ((37, 41, 2), (37, 41), "has 3 entries, but the answer has 2"),
    (np.zeros((4, 5)), np.ones((3, 3)) * 91, "has shape (4, 5), but the answer has shape (3, 3)"),
    ([91, 0, 0, 91], [0, 91, 91, 0], "4 of 4 entries are wrong; the first, entry [0], is too big"),
])
def test_a_wrong_value_or_shape_answer_holds_no_expected_value(got, expected, words):
    with pytest.raises(ExerciseError) as info:
        check_value("answer", expected, namespace={"answer": got})
    message = str(info.value)
    assert words in message, message
    for value in np.unique(np.asarray(expected)):
        shown = str(int(value))
        assert shown not in message.replace("shape (3, 3)", "") or shown in str(got), (shown, message)
    assert "expected" not in message.lower() and "should be" not in message


def test_function_exercises_still_show_the_failing_case():
    with pytest.raises(ExerciseError) as info:
        check_function(lambda x: x + 1, [((2,), 4)])
    assert "Called with: 2" in str(info.value) and "Expected: 4" in str(info.value)


# ---------------------------------------------------------------- hints the learner asks for

def test_three_runs_of_a_failing_check_show_only_the_first_tier(capsys):
    tiers = ["first tier", "second tier", "third tier"]
    for _ in range(3):
        with pytest.raises(ExerciseError) as info:
            check_value("n", 784, hints=tiers, namespace={"n": 28})
        assert "first tier" in str(info.value) and "second" not in str(info.value)
    exercises.hint()
    assert capsys.readouterr().out == "Hint 2: second tier\n"
    with pytest.raises(ExerciseError) as info:
        check_value("n", 784, hints=tiers, namespace={"n": 28})
    assert "second tier" in str(info.value) and "third" not in str(info.value)


def test_a_known_mistake_gets_its_own_hint_first():
    mistakes = {1200: "You left out the 16 biases.", (lambda got: got > 10000): "The image size is not in it."}
    with pytest.raises(ExerciseError) as info:
        check_value("n", 1216, hints=["Count one filter first."], mistakes=mistakes, namespace={"n": 1200})
    assert "Hint: You left out the 16 biases." in str(info.value) and "Count one" not in str(info.value)
    with pytest.raises(ExerciseError, match="The image size is not in it"):
        check_value("n", 1216, mistakes=mistakes, namespace={"n": 6144500})
    with pytest.raises(ExerciseError, match="Count one filter first"):  # no mistake matches: the tiers
        check_value("n", 1216, hints=["Count one filter first."], mistakes=mistakes, namespace={"n": 7})
    with pytest.raises(ExerciseError, match="wrong on the second"):
        check_function(lambda x: 0, [((1,), 2)], mistakes=[(0, "wrong on the second")])
    with pytest.raises(TypeError, match="check_value: mistakes must be"):
        check_value("n", 1, mistakes=["a"], namespace={"n": 1})


# ---------------------------------------------------------------- what ran is what is checked

KERNEL_NOTEBOOK = [
    ("setup", "import numpy as np\nfrom cnnlab.exercises import check_value, check_function", []),
    ("exercise", "### BEGIN SOLUTION\nguess = 3\n### END SOLUTION\nprint(guess)", ["exercise", "predict"]),
    ("check", 'check_value("guess", 3, hints=["Count the windows one by one, from the left."],\n'
              '            explain="Three windows fit in five pixels with a filter of three.")', ["check"]),
    ("exercise", 'def twice(x):\n    """x doubled."""\n    ### BEGIN SOLUTION\n    return 2 * x\n'
                 "    ### END SOLUTION", ["exercise"]),
    ("check", 'check_function(twice, [((1,), 2)], hint="Multiply by two, do not add.", part="visible")\n'
              "### BEGIN HIDDEN TESTS\n"
              'check_function(twice, [((5,), 10)], hint="large values too", part="hidden")\n'
              "### END HIDDEN TESTS", ["check"]),
]


def _kernel_copy(tmp_path):
    cells = [nbformat.v4.new_code_cell(src, metadata={"tags": tags} if tags else {})
             for _, src, tags in KERNEL_NOTEBOOK]
    solved = nbformat.v4.new_notebook(cells=cells)
    write_checks(solved, "05_demo.ipynb", tmp_path)
    return make_student_notebook(solved, "05_demo.ipynb")


def _run(client, cell, index):
    cell.outputs = []
    client.execute_cell(cell, index)
    errors = [o for o in cell.outputs if o.output_type == "error"]
    text = "".join(o.text for o in cell.outputs if o.output_type == "stream")
    return (errors[0].ename, errors[0].evalue) if errors else None, text


@pytest.mark.notebooks
def test_a_check_after_a_failed_exercise_cell_does_not_pass_in_a_real_kernel(tmp_path):
    from nbclient import NotebookClient

    student = _kernel_copy(tmp_path)
    setup, exercise, check, func, func_check = student.cells
    assert check.source == 'check("05.1")' and exercise.source.startswith("# exercise 05.1\n")
    client = NotebookClient(student, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    with client.setup_kernel():
        _run(client, setup, 0)
        error, _ = _run(client, check, 2)  # the cells above did not run: says so
        assert error[0] == "ExerciseNotDone" and "Run All Above Selected Cell" in error[1], error
        stub = exercise.source
        exercise.source = "# exercise 05.1\nguess = 4"
        assert _run(client, exercise, 1)[0] is None
        error, _ = _run(client, check, 2)
        assert error[0] == "ExerciseError" and "too big (off by one)" in error[1]
        assert "3" not in error[1].split("Hint")[0], error  # the expected value is not shown
        exercise.source = "# exercise 05.1\nguess = 3"
        _run(client, exercise, 1)
        exercise.source = stub  # the learner puts the stub back: `guess` = 3 stays in the kernel
        error, _ = _run(client, exercise, 1)
        assert error[0] == "ExerciseNotDone"
        error, text = _run(client, check, 2)
        assert error and error[0] == "ExerciseNotDone" and "Correct" not in text, (error, text)
        exercise.source = "# exercise 05.1\nguess = 3\n1 / 0"  # runs, then raises
        _run(client, exercise, 1)
        error, text = _run(client, check, 2)
        assert error[0] == "ExerciseError" and "ZeroDivisionError" in error[1] and "Correct" not in text
        exercise.source = "# exercise 05.1\nguess = 3"
        _run(client, exercise, 1)
        error, text = _run(client, check, 2)
        assert error is None and text.startswith("Correct!\nThree windows fit"), text
        assert "Right after 2 tries (1 wrong answer before)." in text  # the wrong guess 4 counted, refusals not
        func.source = func.source.replace("raise NotImplementedError()", "return 2 * x")
        _run(client, func, 3)
        error, text = _run(client, func_check, 4)
        assert error is None and text == "Correct! (1 case checked)\n", text  # not graded: no hidden tests
        probe = nbformat.v4.new_code_cell("from cnnlab.exercises import solution\nsolution('05.1')")
        error, text = _run(client, probe, 4)
        assert error is None and "guess = 3" in text and "BEGIN SOLUTION" not in text, text


@pytest.mark.notebooks
def test_right_on_the_first_try_is_recorded(tmp_path):
    from nbclient import NotebookClient

    student = _kernel_copy(tmp_path)
    setup, exercise, check = student.cells[:3]
    exercise.source = "# exercise 05.1\nguess = 3"
    client = NotebookClient(student, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    with client.setup_kernel():
        for index in range(3):
            error, text = _run(client, student.cells[index], index)
    assert error is None and text.endswith("Right on the first try.\n"), text


def test_a_case_hint_shows_only_when_its_case_fails(capsys):
    def wrong_on_big(x):
        return 2 * x if x < 10 else x

    case_hints = {0: "Case zero: double 1.", 1: "Case one: large inputs double too."}
    with pytest.raises(ExerciseError) as info:
        check_function(wrong_on_big, [((1,), 2), ((20,), 40)], hints=["Double it.", "Times two."],
                       case_hints=case_hints)
    message = str(info.value)
    assert "Case one: large inputs double too." in message and "Case zero" not in message  # case 0 passed
    assert "Double it." not in message
    exercises.hint()  # a mistake's or a case's own hint first, then the tiers from the first
    assert capsys.readouterr().out == "Hint 1: Double it.\n"
    with pytest.raises(TypeError, match="check_function: case_hints must map"):
        check_function(wrong_on_big, [((1,), 2)], case_hints={"first": "x"})
