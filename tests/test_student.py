"""Tests of cnnlab/student.py: the student versions of the notebooks.

Three layers:
- the transformation on a small fixture notebook (tests/fixtures/exercise_demo.ipynb, rebuilt by
  tests/fixtures/build_fixtures.py), with hand-written expected results;
- equivalence with nbgrader (its preprocessors, and a full `nbgrader generate_assignment` run),
  skipped with a reason when nbgrader is not installed;
- the learner's experience (marked ``notebooks``, slow): every student version in notebooks/ is
  executed top to bottom; only exercise and check cells may fail, and only with
  NotImplementedError / ExerciseNotDone; with the solution put back every check passes.

The tests about the course notebooks are marked ``course``: `make check-notebook NB=...` runs
those (with CNNLAB_NOTEBOOK=NB, for that notebook only) and not the tests of the builder itself.
"""

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from cnnlab.student import (
    CODE_STUB,
    DEMO_FONTS,
    DEMO_SETTINGS,
    RUN_ABOVE_NOTE,
    RUN_ON_TAG,
    TEXT_STUB,
    add_nbgrader_metadata,
    describe_cell,
    fingerprint,
    main,
    make_demo_notebook,
    make_student_notebook,
    make_student_version,
    notebook_checks,
    select_notebooks,
    write_checks,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "exercise_demo.ipynb"
# `make check-notebook NB=...` sets CNNLAB_NOTEBOOK, so that the tests that take a course notebook
# run for that one only; CNNLAB_NOTEBOOKS_DIR points them at another folder (a scratch copy).
NOTEBOOKS_DIR = Path(os.environ.get("CNNLAB_NOTEBOOKS_DIR") or ROOT / "notebooks")
ONLY = os.environ.get("CNNLAB_NOTEBOOK") or None
NOTEBOOKS = select_notebooks(sorted(NOTEBOOKS_DIR.glob("*.ipynb")), ONLY)
ALL_NOTEBOOKS = [FIXTURE, *NOTEBOOKS]


def _read(path):
    return nbformat.read(path, as_version=4)


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def _without_mark(source):
    """An exercise cell's source without the first line the copies give it (``# exercise NN.k``)."""
    return re.sub(r"\A# exercise \S+\n", "", source) if "\n" in source else source


def _without_run_on_tag(nb):
    """A copy of ``nb`` without the tag our student builder adds (`RUN_ON_TAG`)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if RUN_ON_TAG in _tags(cell):
            cell.metadata["tags"] = [t for t in _tags(cell) if t != RUN_ON_TAG]
    return nb


@pytest.fixture
def demo():
    return _read(FIXTURE)


def _code_cell(source, tags=()):
    return nbformat.v4.new_code_cell(source, metadata={"tags": list(tags)} if tags else {})


def _notebook(*cells):
    return nbformat.v4.new_notebook(cells=list(cells))


# ---------------------------------------------------------------- the transformation

EXPECTED = {  # cell index in the fixture -> the student version's source, written by hand
    1: "import numpy as np\nfrom cnnlab.exercises import check_value, check_function, check, solution\n"
       + RUN_ABOVE_NOTE,
    3: "# exercise exercise.1\n# YOUR CODE HERE\nraise NotImplementedError()\nprint(n_inputs)",
    4: 'check("exercise.1")',
    6: '# exercise exercise.2\ndef scale(x, factor=2):\n    """x times factor."""\n    x = np.asarray(x)\n'
       "    # YOUR CODE HERE\n    raise NotImplementedError()",
    7: 'check("exercise.2")',
    9: "YOUR ANSWER HERE",
}


def test_solutions_and_hidden_tests_replaced_as_written_by_hand(demo):
    student = make_student_notebook(demo, "exercise_demo.ipynb")
    for index, expected in EXPECTED.items():
        assert student.cells[index].source == expected, index


def test_every_other_cell_is_unchanged(demo):
    student = make_student_notebook(demo, "exercise_demo.ipynb")
    assert len(student.cells) == len(demo.cells)
    for index, (new, old) in enumerate(zip(_without_run_on_tag(student).cells, demo.cells)):
        assert new.cell_type == old.cell_type and new.id == old.id
        assert _tags(new) == _tags(old)
        if index not in EXPECTED:
            assert new.source == old.source, index
        kept = {k: v for k, v in old.metadata.items() if k not in ("execution", "scrolled", "collapsed")}
        assert new.metadata == kept


def test_outputs_counts_timings_and_widget_state_are_dropped(demo):
    assert any(c.get("outputs") for c in demo.cells) and "widgets" in demo.metadata  # fixture
    student = make_student_notebook(demo)
    for cell in student.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        assert not {"execution", "scrolled", "collapsed"} & set(cell.metadata)
    assert "widgets" not in student.metadata
    assert student.metadata.kernelspec == demo.metadata.kernelspec


def test_the_input_notebook_is_not_modified(demo):
    before = copy.deepcopy(demo)
    make_student_notebook(demo)
    assert demo == before


@pytest.mark.parametrize("indent", ["", "    ", "        ", "\t"])
def test_stub_takes_the_indentation_of_the_begin_line(indent):
    source = (f"for i in range(2):\n{indent}### BEGIN SOLUTION\n{indent}x = i\n"
              f"{indent}### END SOLUTION\ny = 1")
    student = make_student_notebook(_notebook(_code_cell(source, ["exercise"])))
    assert student.cells[0].source == (f"for i in range(2):\n{indent}# YOUR CODE HERE\n"
                                       f"{indent}raise NotImplementedError()\ny = 1")


def test_two_regions_in_one_cell_and_stub_equals_nbgrader_python_stub():
    assert CODE_STUB == "# YOUR CODE HERE\nraise NotImplementedError()"
    assert TEXT_STUB == "YOUR ANSWER HERE"
    source = ("### BEGIN SOLUTION\na = 1\n### END SOLUTION\nprint(a)\n"
              "def f():\n    ### BEGIN SOLUTION\n    return 2\n    ### END SOLUTION")
    student = make_student_notebook(_notebook(_code_cell(source, ["exercise"])))
    assert student.cells[0].source == (
        "# YOUR CODE HERE\nraise NotImplementedError()\nprint(a)\n"
        "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()")


BAD = [
    ("### BEGIN SOLUTION\nx = 1", ["exercise"], r"bad\.ipynb, cell 2 \(`[^`]+`\): .*BEGIN SOLUTION` has no matching"),
    ("x = 1\n### END SOLUTION", ["exercise"], r"bad\.ipynb, cell 2 \(`[^`]+`\): line 2 has `### END SOLUTION` without"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", ["exercise"],
     r"bad\.ipynb, cell 2 \(`[^`]+`\): line 2 opens .* inside another region"),
    ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", [], r"bad\.ipynb, cell 2 \(`[^`]+`\): .* not tagged 'exercise'"),
    ("x = 1", ["exercise"], r"bad\.ipynb, cell 2 \(`[^`]+`\): tagged 'exercise' but has no"),
    ("ok()\n### BEGIN HIDDEN TESTS\nmore()", ["check"],
     r"bad\.ipynb, cell 2 \(`[^`]+`\): .*HIDDEN TESTS` has no matching"),
    ("ok()\n### END HIDDEN TESTS", ["check"],
     r"bad\.ipynb, cell 2 \(`[^`]+`\): line 2 has `### END HIDDEN TESTS`"),
    ("### BEGIN HIDDEN TESTS\nmore()\n### END HIDDEN TESTS", [],
     r"bad\.ipynb, cell 2 \(`[^`]+`\): .* not tagged 'check'"),
]


@pytest.mark.parametrize("source, tags, message", BAD)
def test_wrong_markers_are_rejected_naming_notebook_and_cell(source, tags, message):
    nb = _notebook(_code_cell("import numpy as np"), _code_cell(source, tags))
    with pytest.raises(ValueError, match=message):
        make_student_notebook(nb, "bad.ipynb")


# ---------------------------------------------------------------- folders and command line

def _course(tmp_path, *extra):
    src = tmp_path / "src"
    src.mkdir()
    (src / "01_demo.ipynb").write_bytes(FIXTURE.read_bytes())
    (src / "AUTHORING.md").write_text("for authors")
    (src / "photo.txt").write_text("data a notebook reads")
    (src / ".ipynb_checkpoints").mkdir()
    for name, nb in extra:
        nbformat.write(nb, src / name)
    return src


def test_make_student_version_writes_notebooks_and_needed_files(tmp_path):
    src, out = _course(tmp_path), tmp_path / "out" / "student"
    report = make_student_version(src, out)
    assert sorted(p.name for p in out.iterdir()) == [".checks", "01_demo.ipynb", "photo.txt"]
    assert sorted(p.name for p in report["written"]) == ["01_demo.ipynb", "photo.txt"]
    assert report["checks"] == [out / ".checks" / "01_demo.json"]
    written = _read(out / "01_demo.ipynb")
    assert written.metadata.pop("cnnlab") == {"fingerprint": fingerprint(written)}
    assert written == make_student_notebook(_read(FIXTURE), "01_demo.ipynb")


def test_keep_existing_never_overwrites_a_learners_work(tmp_path):
    src, out = _course(tmp_path), tmp_path / "practice"
    make_student_version(src, out, keep_existing=True)
    work = _read(out / "01_demo.ipynb")
    work.cells[3].source = "n_inputs = 784"  # the learner's answer
    nbformat.write(work, out / "01_demo.ipynb")
    nbformat.write(_read(FIXTURE), src / "02_new.ipynb")  # a notebook added to the course later
    report = make_student_version(src, out, keep_existing=True)
    assert _read(out / "01_demo.ipynb").cells[3].source == "n_inputs = 784"
    assert [p.name for p in report["written"]] == ["02_new.ipynb"]
    assert sorted(p.name for p in report["kept"]) == ["01_demo.ipynb", "photo.txt"]
    report = make_student_version(src, out)  # without the flag the learner's work is kept too
    assert _read(out / "01_demo.ipynb").cells[3].source == "n_inputs = 784"
    assert [p.name for p in report["changed"]] == ["01_demo.ipynb"]
    report = make_student_version(src, out, force=True)  # replaced, after a copy is saved
    assert _read(out / "01_demo.ipynb").cells[3].source == EXPECTED[3].replace("exercise.1", "01.1")
    assert report["backups"] == [(out / "backups" / "01_demo-1.ipynb", out / "01_demo.ipynb")]
    assert _read(out / "backups" / "01_demo-1.ipynb").cells[3].source == "n_inputs = 784"


def test_one_bad_notebook_means_nothing_is_written(tmp_path):
    bad = _notebook(_code_cell("### BEGIN SOLUTION\nx = 1", ["exercise"]))
    src, out = _course(tmp_path, ("02_bad.ipynb", bad)), tmp_path / "out"
    with pytest.raises(ValueError, match=r"02_bad\.ipynb, cell 1 \(`### BEGIN SOLUTION`\): "):
        make_student_version(src, out)
    assert not out.exists()


def test_a_folder_without_notebooks_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no notebooks"):
        make_student_version(tmp_path, tmp_path / "out")


def test_command_line(tmp_path, capsys):
    src = _course(tmp_path)
    assert main([str(src), str(tmp_path / "out")]) == 0
    assert "wrote" in capsys.readouterr().out
    assert main([str(src), str(tmp_path / "out"), "--keep-existing"]) == 0
    assert "kept" in capsys.readouterr().out
    nbformat.write(_notebook(_code_cell("x = 1", ["exercise"])), src / "03_bad.ipynb")
    assert main([str(src), str(tmp_path / "out2")]) == 1
    assert "03_bad.ipynb, cell 1 (`x = 1`): tagged 'exercise'" in capsys.readouterr().err


def test_runs_as_a_module_with_default_folders(tmp_path):
    src = _course(tmp_path)
    (tmp_path / "notebooks").symlink_to(src)
    done = subprocess.run([sys.executable, "-m", "cnnlab.student"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "build" / "student" / "01_demo.ipynb").exists()


def test_importing_cnnlab_does_not_import_nbformat():
    code = "import sys, cnnlab, cnnlab.student; print('nbformat' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


def test_nbgrader_metadata_follows_the_tags(demo):
    source = add_nbgrader_metadata(demo, "exercise_demo.ipynb")
    meta = {i: c.metadata.get("nbgrader") for i, c in enumerate(source.cells)}
    assert meta[3] == {"grade": False, "solution": True, "locked": False,
                       "grade_id": "exercise-1", "schema_version": 3}
    assert meta[7] == {"grade": True, "solution": False, "locked": True, "points": 1,
                       "grade_id": "check-2", "schema_version": 3}
    assert meta[9]["grade"] and meta[9]["solution"] and meta[9]["grade_id"] == "exercise-3"
    assert [i for i, m in meta.items() if m] == [3, 4, 6, 7, 9]
    kept = {i: c.source for i, c in enumerate(demo.cells)}  # solutions kept
    kept.update({1: EXPECTED[1], 3: "# exercise exercise.1\n" + kept[3], 4: EXPECTED[4],
                 6: "# exercise exercise.2\n" + kept[6],
                 7: 'check("exercise.2")\n' + kept[7][kept[7].index("### BEGIN HIDDEN"):]})  # hidden tests kept
    assert [c.source for c in source.cells] == list(kept.values())


# ---------------------------------------------------------------- nbgrader equivalence

CELL_KEYS_NBGRADER_ADDS = {"nbgrader", "deletable", "editable"}  # its metadata and cell locks
CELL_KEYS_WE_DROP = {"execution"}  # run timings: output metadata nbgrader's ClearOutput keeps
NB_KEYS_IGNORED = {"widgets", "celltoolbar"}  # widget state we drop; nbgrader drops celltoolbar


def _comparable(nb):
    """Everything a learner sees in a notebook, minus the documented metadata differences."""
    ignored = CELL_KEYS_NBGRADER_ADDS | CELL_KEYS_WE_DROP
    cells = [{"cell_type": c.cell_type, "id": c.get("id"), "source": c.source,
              "outputs": c.get("outputs"), "execution_count": c.get("execution_count"),
              "metadata": {k: v for k, v in c.metadata.items() if k not in ignored}}
             for c in nb.cells]
    return {"metadata": {k: v for k, v in nb.metadata.items() if k not in NB_KEYS_IGNORED},
            "cells": cells}


@pytest.mark.course
@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.name)
def test_nbgrader_preprocessors_give_the_same_notebook(nbgrader, path):
    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

    solved = _read(path)
    nb, resources = _nbgrader_source_without_metadata(solved, path.name), {}
    for pre in (ClearSolutions(enforce_metadata=False), ClearOutput(),
                ClearHiddenTests(enforce_metadata=False)):  # generate_assignment's order
        nb, resources = pre.preprocess(nb, resources)
    # nbgrader never adds our RUN_ON_TAG (test_run_on_tag_exactly_on_exercise_and_check_cells).
    assert _comparable(_without_run_on_tag(make_student_notebook(solved, path.name))) == _comparable(nb)


def _nbgrader_source_without_metadata(solved, name):
    """The nbgrader source (short check calls, hidden tests kept) as a bare notebook: nbgrader's
    --no-metadata mode reads the markers alone."""
    nb = _without_run_on_tag(add_nbgrader_metadata(solved, name))
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    return nb


@pytest.mark.course
@pytest.mark.notebooks  # slow (about 10 s a run): nbgrader over every notebook
@pytest.mark.parametrize("mode", ["--no-metadata", "cell-metadata"])
def test_nbgrader_generate_assignment_gives_the_same_notebooks(nbgrader, tmp_path, mode):
    """A real `nbgrader generate_assignment --no-db` run over the fixture and every notebook.

    From cell metadata (`add_nbgrader_metadata`, which adds RUN_ON_TAG as make_student_notebook
    does: nbgrader keeps tags) the release must be ours exactly; from the bare notebooks
    (--no-metadata) it is ours without that tag."""
    source = tmp_path / "course" / "source" / "cnnlab"
    source.mkdir(parents=True)
    solved = {path.name: _read(path) for path in ALL_NOTEBOOKS}  # read once: authors may be saving
    for name, nb in solved.items():
        nbformat.write(_nbgrader_source_without_metadata(nb, name) if mode == "--no-metadata"
                       else add_nbgrader_metadata(nb, name), source / name)
        write_checks(nb, name, source, graded=True)
    flags = ["--no-db"] + (["--no-metadata"] if mode == "--no-metadata" else [])
    done = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "cnnlab",
                           *flags, f"--CourseDirectory.root={tmp_path / 'course'}"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    for name, nb in solved.items():
        released = _read(tmp_path / "course" / "release" / "cnnlab" / name)
        ours = make_student_notebook(nb, name)
        if mode == "--no-metadata":
            ours = _without_run_on_tag(ours)
        assert _comparable(ours) == _comparable(released), name
        checks = Path(".checks") / f"{Path(name).stem}.json"
        if notebook_checks(nb, name):  # the checks file travels with the release
            released_checks = tmp_path / "course" / "release" / "cnnlab" / checks
            assert released_checks.read_bytes() == (source / checks).read_bytes(), name


# ---------------------------------------------------------------- the learner's experience

NOT_DONE = {"NotImplementedError", "ExerciseNotDone"}
SAVE = "__cnnlab_saved__ = dict(globals())"
RESTORE = ("(lambda g, s: ([g.pop(k) for k in list(g) if k not in s], g.update(s)))"
           "(globals(), globals().pop('__cnnlab_saved__'));")


NEEDS_A_NAME = re.compile(r"This check needs a name that is not defined \((.*)\): run the cells above")
# Before each check cell, the learner harness forgets the exercise cells' last runs, so that the
# check's own code is judged (not cnnlab.exercises.check's refusal after a failed exercise cell).
FORGET_RUNS = "import cnnlab.exercises as _cnnlab_exercises; _cnnlab_exercises._last_runs.clear()"


def _error(cell):
    for out in cell.get("outputs", []):
        if out.output_type == "error":
            first = out.evalue.splitlines()[0] if out.evalue else ""
            name = NEEDS_A_NAME.match(first)
            if out.ename == "ExerciseNotDone" and name:  # check(...) says which name is missing
                return "NameError", name.group(1)
            return out.ename, first
    return None


def _put_back(student_source, solved_source):
    """The student's cell with each `# YOUR CODE HERE` stub replaced by the solution region."""
    lines, regions, inside = solved_source.split("\n"), [], False
    for line in lines:
        if "BEGIN SOLUTION" in line:
            regions.append([line])
            inside = True
        elif inside:
            regions[-1].append(line)
            inside = "END SOLUTION" not in line
    out, student, i = [], student_source.split("\n"), 0
    while i < len(student):
        if (student[i].strip() == "# YOUR CODE HERE" and i + 1 < len(student)
                and student[i + 1].strip() == "raise NotImplementedError()"):
            out.extend(regions.pop(0))
            i += 2
        else:
            out.append(student[i])
            i += 1
    assert not regions, "more solution regions than stubs"
    return "\n".join(out)


def _with_exercises(path):
    return any("exercise" in _tags(c) for c in _read(path).cells)


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    make_student_version(NOTEBOOKS_DIR, out, only=ONLY)
    return out


def _learner_problems(solved, student, workdir):
    """Run ``student`` cell by cell in one kernel as a learner would; return what went wrong.

    After each check cell (which must fail with ExerciseNotDone), the solutions of the
    exercises before it are put back and run with the full check (hidden tests included) in a
    saved copy of the namespace, restored afterwards so later cells still see no solution.
    """
    from nbclient import NotebookClient

    client = NotebookClient(student, timeout=600, allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": str(workdir)}})
    problems, pending, checks = [], [], 0
    with client.setup_kernel():
        for index, cell in enumerate(student.cells):
            tags = _tags(cell)
            if "exercise" in tags and cell.cell_type == "code":
                pending.append(index)
            if cell.cell_type != "code":
                continue
            if "check" in tags:
                client.execute_cell(nbformat.v4.new_code_cell(FORGET_RUNS), index, store_history=False)
            client.execute_cell(cell, index)
            error, where = _error(cell), describe_cell(student.cells, index)
            if "exercise" in tags:
                if error and error[0] not in NOT_DONE:
                    problems.append(f"exercise {where} raised {error[0]}: {error[1]}")
            elif "check" in tags:
                if error is None:
                    problems.append(f"check {where} passes without the solution: it does not "
                                    "test the exercise")
                elif error[0] == "NameError":
                    problems.append(f"check {where} raised NameError: {error[1]}; a check must "
                                    "look the answer up with check_value/check_function")
                elif error[0] not in NOT_DONE:
                    problems.append(f"check {where} raised {error[0]}: {error[1]}")
                code = [_put_back(_without_mark(student.cells[i].source), solved.cells[i].source)
                        for i in pending]
                assert code == [solved.cells[i].source for i in pending], where
                trial = nbformat.v4.new_code_cell("\n".join([*code, solved.cells[index].source]))
                for step in (SAVE, trial.source, RESTORE):
                    trial.source, trial.outputs = step, []
                    client.execute_cell(trial, index, store_history=False)
                    if _error(trial):
                        problems.append(f"check {where} fails with the solution put back: "
                                        f"{_error(trial)[0]}: {_error(trial)[1]}")
                pending, checks = [], checks + 1
            elif error and error[0] in NOT_DONE:
                problems.append(f"{where} raised {error[0]}: it uses an exercise's answer, which "
                                "the student version does not have; compute it with cnnlab instead")
            elif error:
                problems.append(f"{where} raised {error[0]}: {error[1]}")
    return problems, checks


# Lesson 14 hands over to PyTorch, an optional extra: without it (and unless CNNLAB_REQUIRE_TORCH=1,
# as in CI) its learner run is skipped, as `make test` leaves its nbval run out.
NEEDS_TORCH = {"14_cnnlab_to_pytorch.ipynb"}


def _require_torch(name):
    try:
        import torch  # noqa: F401
    except ImportError:
        message = f"{name} needs PyTorch, which is not installed (make torch)"
        if os.environ.get("CNNLAB_REQUIRE_TORCH") == "1":
            pytest.fail(message + " (required here: CNNLAB_REQUIRE_TORCH=1)")
        pytest.skip(message)


# The tour (00) has no exercises: its student version is the notebook without outputs, which
# nbval already runs; only lessons with exercises are run as a learner meets them.
@pytest.mark.course
@pytest.mark.notebooks
@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if _with_exercises(p)], ids=lambda p: p.name)
def test_student_version_as_a_learner_meets_it(path, student_dir):
    if path.name in NEEDS_TORCH:
        _require_torch(path.name)
    solved, student = _read(path), _read(student_dir / path.name)
    problems, checks = _learner_problems(solved, student, student_dir)
    assert checks > 0, f"{path.name}: exercises but no check cell"
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.course
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_exercise_is_followed_by_its_check(path):
    """Each exercise code cell has a check cell after it, before the next exercise."""
    cells = _read(path).cells
    kinds = [(i, "exercise" if "exercise" in _tags(c) else "check" if "check" in _tags(c) else "")
             for i, c in enumerate(cells) if c.cell_type == "code"]
    kinds = [(i, k) for i, k in kinds if k] + [(None, "end")]
    unchecked = [describe_cell(cells, i) for (i, k), (_, after) in zip(kinds, kinds[1:])
                 if k == "exercise" and after != "check"]
    assert not unchecked, f"{path.name}: no check cell after the exercise in {', '.join(unchecked)}"


@pytest.mark.notebooks
def test_the_learner_check_passes_on_the_fixture(tmp_path):
    solved = _read(FIXTURE)
    write_checks(solved, "notebook", tmp_path)
    problems, checks = _learner_problems(solved, make_student_notebook(solved), tmp_path)
    assert (problems, checks) == ([], 2)


@pytest.mark.notebooks
def test_the_learner_check_finds_each_kind_of_design_fault(tmp_path):
    """A notebook with one fault of each kind: the learner check must name every one."""
    cells = [
        _code_cell("from cnnlab.exercises import check_value"),
        _code_cell("### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION", ["exercise"]),
        _code_cell("print(answer == 42)", ["check"]),  # 2: uses the learner's name directly
        _code_cell("print(answer + 1)"),  # 3: a later cell that needs the solution
        _code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION",
                   ["exercise"]),
        _code_cell('check_value("one", 1, namespace={"one": 1})', ["check"]),  # 5: vacuous
        _code_cell("### BEGIN SOLUTION\nz = 1\n### END SOLUTION", ["exercise"]),
        _code_cell('check_value("z", 1)\n### BEGIN HIDDEN TESTS\ncheck_value("z", 2)\n'
                   "### END HIDDEN TESTS", ["check"]),  # 7: hidden test wrong for the solution
        _code_cell("print(z)"),  # 8: the put-back solution must not leak into later cells
        _code_cell("1 / 0\n### BEGIN SOLUTION\nw = 1\n### END SOLUTION", ["exercise"]),  # 9
        _code_cell('check_value("w", 1)', ["check"]),
        _code_cell("print(f())"),  # 11: a later cell that calls the learner's function
    ]
    solved = _notebook(*cells)
    solved.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
    write_checks(solved, "notebook", tmp_path)
    problems, checks = _learner_problems(solved, make_student_notebook(solved), tmp_path)
    expected = [r"check cell 3 \(`check\(\"notebook.1\"\)`\) raised NameError: name 'answer' is not "
                r"defined; a check must",
                r"cell 4 \(`print\(answer \+ 1\)`\) raised NameError: name 'answer'",
                r"check cell 6 \(`check\(\"notebook.2\"\)`\) passes without",
                r"check cell 8 \(`check\(\"notebook.3\"\)`\) fails with the solution put back: "
                r"ExerciseError: `z`",
                r"cell 9 \(`print\(z\)`\) raised NameError: name 'z'",
                r"exercise cell 10 \(`# exercise notebook.4`\) raised ZeroDivisionError",
                r"check cell 11 \(`check\(\"notebook.4\"\)`\) fails with the solution put back: "
                r"ZeroDivisionError",
                r"cell 12 \(`print\(f\(\)\)`\) raised NotImplementedError: it uses an exercise's answer"]
    assert checks == 4
    assert len(problems) == len(expected), problems
    for pattern, problem in zip(expected, problems):
        assert re.match(pattern, problem), (pattern, problem)


# ---------------------------------------------------------------- cell numbers, selection

def test_describe_cell_counts_every_cell_from_1_as_jupyterlab_does(demo):
    assert describe_cell(demo.cells, 0) == "cell 1 (`# Exercise demo`)"          # markdown counts
    assert describe_cell(demo.cells, 3) == "cell 4 (`### BEGIN SOLUTION`)"
    assert describe_cell(demo.cells, 7) == "cell 8 (`check_function(scale, [((np.array([1, 2]),), np.array([2,...`)"
    raw = [{"cell_type": "code", "source": ["\n", "   \n", "  y = 2  \n", "z"]},
           {"cell_type": "code", "source": "x" * 80}, {"cell_type": "markdown", "source": []}]
    assert describe_cell(raw, 0) == "cell 1 (`y = 2`)"                         # first non-blank line
    assert describe_cell(raw, 1) == f"cell 2 (`{'x' * 57}...`)"                # cut to 60 characters
    assert describe_cell(raw, 2) == "cell 3 (empty)"


def test_select_notebooks_by_name_with_or_without_suffix_or_path(tmp_path):
    paths = [tmp_path / "01_a.ipynb", tmp_path / "02_b.ipynb"]
    assert select_notebooks(paths) == paths and select_notebooks(paths, "") == paths
    for name in ("02_b.ipynb", "02_b", "notebooks/02_b.ipynb"):
        assert select_notebooks(paths, name) == [paths[1]]
    with pytest.raises(ValueError, match=r"no notebook '03_c\.ipynb'; the notebooks are: 01_a\.ipynb, 02_b\.ipynb"):
        select_notebooks(paths, "03_c")


# ---------------------------------------------------------------- Run All goes on past exercises

@pytest.mark.course
@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.name)
def test_run_on_tag_exactly_on_exercise_and_check_cells(path):
    solved = _read(path)
    assert not any(RUN_ON_TAG in _tags(c) for c in solved.cells), \
        f"{path.name}: the solved notebook carries {RUN_ON_TAG!r}; only the builders add it"
    graded = [i for i, c in enumerate(solved.cells)
              if c.cell_type == "code" and {"exercise", "check"} & set(_tags(c))]
    assert graded or path.name.startswith("00_")
    for version in (make_student_notebook(solved), make_demo_notebook(solved), add_nbgrader_metadata(solved)):
        tagged = [i for i, c in enumerate(version.cells) if RUN_ON_TAG in _tags(c)]
        assert tagged == graded
        assert all(_tags(version.cells[i])[:-1] == _tags(solved.cells[i]) for i in graded)  # appended


def _run_all_like_jupyterlab(nb, workdir):
    """Execute ``nb`` as Run All does: stop at the first error, except in cells tagged RUN_ON_TAG."""
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=False,
                   resources={"metadata": {"path": str(workdir)}}).execute()
    return nb


@pytest.mark.notebooks
def test_run_all_goes_on_past_unfinished_exercises_and_each_says_so(tmp_path):
    from nbclient.exceptions import CellExecutionError

    student = make_student_notebook(_read(FIXTURE), "01_demo.ipynb")
    write_checks(_read(FIXTURE), "01_demo.ipynb", tmp_path)
    done = _run_all_like_jupyterlab(copy.deepcopy(student), tmp_path)
    errors = {i: _error(c) for i, c in enumerate(done.cells) if c.cell_type == "code" and _error(c)}
    # cell 6 only defines `scale` (its body raises when called, in the check cell 7)
    assert {i: e[0] for i, e in errors.items()} == {3: "ExerciseNotDone", 4: "ExerciseNotDone",
                                                    7: "ExerciseNotDone"}
    assert "exercise cell above is not done" in errors[4][1] and "scale" in errors[7][1], errors
    assert done.cells[11].execution_count is not None and done.cells[11].outputs  # the last code cell ran
    with pytest.raises(CellExecutionError, match="NotImplementedError"):  # without the tag: stops
        _run_all_like_jupyterlab(_without_run_on_tag(student), tmp_path)


def _shown_lines(cell):
    """The lines a learner sees under a code cell: stream text and each error's traceback."""
    lines = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            lines += out.text.splitlines()
        elif out.output_type == "error":
            lines += [line for entry in out.traceback for line in entry.splitlines()]
    return lines


@pytest.mark.course
@pytest.mark.notebooks
def test_an_executed_practice_copy_shows_at_most_two_lines_per_unfinished_exercise(tmp_path):
    """Run All over a practice copy of lesson 02: each unfinished exercise shows its one-line
    not-done message in the exercise cell (a value exercise) and in its check, no traceback, and
    no practice copy says that grading runs hidden tests."""
    out = tmp_path / "practice"
    make_student_version(NOTEBOOKS_DIR, out, keep_existing=True, only="02_convolution")
    done = _run_all_like_jupyterlab(_read(out / "02_convolution.ipynb"), out)
    cells = done.cells
    exercises = [i for i, c in enumerate(cells) if "exercise" in _tags(c) and c.cell_type == "code"]
    assert len(exercises) >= 3
    for i in exercises:
        check_cell = next(j for j in range(i + 1, len(cells)) if "check" in _tags(cells[j]))
        shown = _shown_lines(cells[i]) + _shown_lines(cells[check_cell])
        assert 1 <= len(shown) <= 2, (describe_cell(cells, i), shown)
        assert all(line.startswith("ExerciseNotDone: ") for line in shown), shown
    assert not any("grading runs hidden tests" in line for c in cells for line in _shown_lines(c))


# ---------------------------------------------------------------- the live-teaching version

def test_demo_notebook_keeps_solutions_folded_and_shows_nothing_that_answers(demo):
    live, student = (make_demo_notebook(demo, "exercise_demo.ipynb"),
                     make_student_notebook(demo, "exercise_demo.ipynb"))
    assert len(live.cells) == len(demo.cells) and "widgets" not in live.metadata
    for index, (cell, old, learner) in enumerate(zip(live.cells, demo.cells, student.cells)):
        assert cell.id == old.id and _tags(cell) == _tags(learner), index  # the run-on tag too
        folded = cell.metadata.get("jupyter", {}).get("source_hidden", False)
        assert folded == ("exercise" in _tags(old)), index
        if "exercise" in _tags(old):
            if cell.cell_type == "markdown":  # rendered, a model answer would be on the screen
                assert cell.source == TEXT_STUB, index
            else:
                assert _without_mark(cell.source) == old.source and "### BEGIN SOLUTION" in cell.source  # kept
        else:
            assert cell.source == learner.source, index                      # checks: hidden tests out
        assert "HIDDEN TESTS" not in cell.source
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, index
        assert not {"execution", "scrolled", "collapsed"} & set(cell.metadata)
    assert demo.cells[3].metadata.get("jupyter") is None                    # input not modified


@pytest.mark.course
def test_demo_folder_has_every_notebook_folded_and_large_font_settings(tmp_path):
    out = tmp_path / "demo"
    report = make_student_version(NOTEBOOKS_DIR, out, demo=True, only=ONLY)
    assert sorted(p.name for p in out.glob("*.ipynb")) == [p.name for p in NOTEBOOKS]
    assert not (out / "AUTHORING.md").exists()
    exercises = 0
    for path in NOTEBOOKS:
        solved, live = _read(path), _read(out / path.name)
        assert [c.id for c in live.cells] == [c.id for c in solved.cells], path.name
        for old, cell in zip(solved.cells, live.cells):
            if "exercise" in _tags(old):
                exercises += 1
                assert cell.metadata["jupyter"]["source_hidden"] is True, path.name
                assert _without_mark(cell.source) == (old.source if old.cell_type == "code" else TEXT_STUB), path.name
            assert "HIDDEN TESTS" not in cell.source and not cell.get("outputs"), path.name
    assert exercises >= 2 * len([p for p in NOTEBOOKS if not p.name.startswith("00_")])
    themes = out / DEMO_SETTINGS / "@jupyterlab" / "apputils-extension" / "themes.jupyterlab-settings"
    assert json.loads(themes.read_text()) == {"overrides": DEMO_FONTS}
    assert int(DEMO_FONTS["code-font-size"].rstrip("px")) >= 18
    assert themes in report["written"]


def _make(*args):
    """``make ARGS`` in the repository, without what a calling make passes down (MAKEFLAGS holds
    its command-line variables, e.g. NB=...) or the notebook selection of a quick check."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "NB") and not k.startswith("CNNLAB_NOTEBOOK")}
    return subprocess.run(["make", *args], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)


def test_make_demo_builds_with_the_module_and_opens_lab_on_demo_settings():
    done = _make("-n", "demo")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.replace("\\\n", " ").splitlines()
    build = [line for line in lines if "cnnlab.student" in line]
    assert build and "notebooks demo --demo --keep-changed" in build[0]
    assert "rm " not in done.stdout  # a teacher's demo notebooks are never deleted
    lab = next(line for line in lines if "jupyterlab" in line)
    assert f"--LabApp.user_settings_dir={ROOT}/demo/{DEMO_SETTINGS} " in lab
    assert f"--ServerApp.root_dir={ROOT}/demo " in lab
    assert lines.index(build[0]) < lines.index(lab)


# ---------------------------------------------------------------- resetting one notebook

def test_only_one_notebook_is_rewritten_and_the_old_one_backed_up(tmp_path, capsys):
    src, out = _course(tmp_path), tmp_path / "practice"
    nbformat.write(_read(FIXTURE), src / "02_other.ipynb")
    make_student_version(src, out)
    for name in ("01_demo.ipynb", "02_other.ipynb"):
        work = _read(out / name)
        work.cells[3].source = "n_inputs = 784"  # the learner's answers
        nbformat.write(work, out / name)
    (out / "photo.txt").write_text("changed by the learner")
    assert main([str(src), str(out), "--only", "01_demo", "--force", "--backup"]) == 0
    printed = capsys.readouterr().out
    saved = out / "backups" / "01_demo-1.ipynb"
    assert f"saved {out / '01_demo.ipynb'} as {saved}" in printed
    assert _read(out / "01_demo.ipynb").cells[3].source == EXPECTED[3].replace("exercise.1", "01.1")  # reset
    assert _read(saved).cells[3].source == "n_inputs = 784"             # kept aside
    assert _read(out / "02_other.ipynb").cells[3].source == "n_inputs = 784"     # untouched
    assert (out / "photo.txt").read_text() == "changed by the learner"
    assert main([str(src), str(out), "--only", "09_missing.ipynb"]) == 1
    assert "no notebook '09_missing.ipynb'" in capsys.readouterr().err


def test_make_reset_and_demo_reset_call_the_module_for_one_notebook():
    for target, folder, extra in (("reset", "practice", "--force --backup"), ("demo-reset", "demo", "--demo --force")):
        done = _make("-n", target, "NB=03_padding_and_stride.ipynb")
        assert done.returncode == 0, done.stderr
        line = next(line for line in done.stdout.splitlines() if "cnnlab.student" in line)
        assert f"notebooks {folder} " in line and "--only 03_padding_and_stride.ipynb" in line
        assert extra in line
    done = _make("reset")  # without NB: a usage message, nothing written
    assert done.returncode != 0 and "NB=" in done.stdout + done.stderr
