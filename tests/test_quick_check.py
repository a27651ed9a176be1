"""`make check-notebook NB=...`: every convention test for one notebook, in seconds.

The tests run the Makefile's own command (read with `make -n`, so the recipe is what is tested)
in a subprocess, on a scratch copy of the course (CNNLAB_NOTEBOOKS_DIR): the other notebooks are
symbolic links, the one under test a copy that may be changed.
"""

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
LESSON = "03_padding_and_stride.ipynb"
GUIDE = ROOT / "INSTRUCTORS.md"


def _clean_env(**extra):
    """The environment without what a calling make or quick check passes down."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "NB") and not k.startswith("CNNLAB_NOTEBOOK")}
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", **extra)
    return env


def _quick_check_command(folder, name=LESSON):
    """The pytest command line of `make check-notebook NB=name` on the course copy ``folder``."""
    done = subprocess.run(["make", "-s", "-n", "check-notebook", f"NB={name}",
                           f"CNNLAB_NOTEBOOKS_DIR={folder}"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env=_clean_env())
    assert done.returncode == 0, done.stderr
    lines = done.stdout.replace("\\\n", " ").splitlines()
    command = [line for line in lines if "pytest" in line]
    assert len(command) == 1, done.stdout
    return command[0]


def _run(command, *extra, timeout=900):
    return subprocess.run(command + " " + " ".join(shlex.quote(e) for e in extra), shell=True,
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=_clean_env())


def _course_copy(tmp_path, changed=None):
    """The course in ``tmp_path``: links to every notebook, except ``changed`` (name -> notebook)."""
    folder = tmp_path / "course"
    folder.mkdir()
    for path in NOTEBOOKS:
        if changed and path.name in changed:
            nbformat.write(changed[path.name], folder / path.name)
        else:
            (folder / path.name).symlink_to(path)
    return folder


def test_the_quick_check_selects_that_notebook_only(tmp_path):
    folder = _course_copy(tmp_path)
    done = _run(_quick_check_command(folder), "--collect-only")  # with the recipe's -q: one id a line
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    ids = [line for line in done.stdout.splitlines() if "::" in line]
    others = [p.name for p in NOTEBOOKS if p.name != LESSON]
    assert not [i for i in ids if any(o in i or o[:-6] in i for o in others)]  # no other notebook
    nbval = [i for i in ids if "::Cell " in i]
    code_cells = sum(c["cell_type"] == "code" for c in json.loads((ROOT / "notebooks" / LESSON).read_text())["cells"])
    # nbval: one item per code cell of that notebook (a file outside the repository has no path
    # in pytest's ids, hence the count)
    assert len(nbval) == code_cells and all(i.endswith(f"::Cell {n}") for n, i in enumerate(nbval))
    for test in ("test_two_to_four_exercises_with_solutions_and_checks",
                 "test_checks_follow_exercises_with_tiered_hints_that_hide_the_answer",
                 "test_stored_executed_in_order_without_errors_or_warnings"):
        assert f"tests/test_notebooks.py::{test}[{LESSON}]" in ids
    for test in ("test_student_version_as_a_learner_meets_it", "test_run_on_tag_exactly_on_exercise_and_check_cells",
                 "test_nbgrader_preprocessors_give_the_same_notebook"):
        assert f"tests/test_student.py::{test}[{LESSON}]" in ids
    # The builder's own unit tests are not part of it (they do not depend on the notebook).
    assert not [i for i in ids if "test_stub_takes_the_indentation" in i or "test_command_line" in i]


@pytest.mark.notebooks
def test_the_quick_check_catches_a_broken_rule_in_that_notebook(tmp_path):
    nb = nbformat.read(ROOT / "notebooks" / LESSON, as_version=4)
    first = nb.cells[0]
    assert "*About" in first.source
    first.source = re.sub(r"^\*About \d+ minutes.*$", "", first.source, flags=re.M)  # the rule: a time
    folder = _course_copy(tmp_path, {LESSON: nb})
    done = _run(_quick_check_command(folder))
    out = done.stdout
    assert done.returncode != 0, out[-3000:]
    failed = re.findall(r"^FAILED (\S+)", out, re.M)
    assert failed == [f"tests/test_notebooks.py::test_top_and_bottom_links_goals_and_time[{LESSON}]"], out[-3000:]
    assert "About N minutes" in out
    assert re.search(r"\b1 failed, \d+ passed", out), out[-500:]


def _guide_blocks():
    """The markdown, exercise and check cells of the guide's worked example (its steps 2-4)."""
    text = GUIDE.read_text()
    start = text.index("## Change an exercise, or add one, end to end")
    section = text[start:text.index("## The rules the tests enforce")]
    blocks = re.findall(r"^ *```(markdown|python)\n(.*?)^ *```", section, re.S | re.M)
    kinds = [kind for kind, _ in blocks]
    assert kinds[:3] == ["markdown", "python", "python"], kinds
    return [re.sub(r"^   ", "", body, flags=re.M).rstrip("\n") for _, body in blocks[:3]]


@pytest.mark.notebooks
def test_the_guides_worked_example_passes_the_quick_check(tmp_path):
    """INSTRUCTORS.md's steps 2-7, carried out in a scratch copy of the course."""
    from nbclient import NotebookClient

    task, exercise, check = _guide_blocks()
    assert "### Exercise 4:" in task
    nb = nbformat.read(ROOT / "notebooks" / LESSON, as_version=4)
    recap = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## Recap"))
    nb.cells[recap:recap] = [nbformat.v4.new_markdown_cell(task),
                             nbformat.v4.new_code_cell(exercise, metadata={"tags": ["exercise"]}),
                             nbformat.v4.new_code_cell(check, metadata={"tags": ["check"]})]
    folder = _course_copy(tmp_path, {LESSON: nb})
    # step 6, as `make execute` does it: a fresh kernel, no widget state, no run timings
    NotebookClient(nb, timeout=300, kernel_name="python3", record_timing=False, store_widget_state=False,
                   resources={"metadata": {"path": str(folder)}}).execute()
    nbformat.write(nb, folder / LESSON)
    assert "Correct!" in "".join(o.get("text", "") for o in nb.cells[recap + 2].outputs)
    done = _run(_quick_check_command(folder))  # step 7
    assert done.returncode == 0, done.stdout[-4000:]
    assert re.search(r"\b\d+ passed", done.stdout) and "failed" not in done.stdout
