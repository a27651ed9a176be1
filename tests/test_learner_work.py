"""Nothing a learner (or a teacher) does loses their work: cnnlab.student and the make targets.

No command of the course overwrites or deletes a notebook that a person changed since the tool
wrote it, unless told ``--force``, and then it keeps a backup under a new name. The tests run the
real command line (``python -m cnnlab.student``) in temporary folders, and the real Makefile
targets (reset, practice, demo, demo-reset, student, clean) in a temporary copy of the repository
whose ``.venv/bin/python`` is this Python, with JupyterLab replaced by a command that only records
that it was started.
"""

import hashlib
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from cnnlab.student import add_nbgrader_metadata, fingerprint, make_demo_notebook, make_student_notebook

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "exercise_demo.ipynb"
NAME = "01_demo.ipynb"
EXERCISE = 3  # the fixture's first exercise cell (code)
MARK = "# exercise 01.1\n"  # the first line the copies give the exercise cell (cnnlab.exercises.check)
FRESH = MARK + "# YOUR CODE HERE\nraise NotImplementedError()\nprint(n_inputs)"  # its student version


def _env():
    """This environment, with this worktree's cnnlab first, without what a calling make passes."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "NB") and not k.startswith("CNNLAB_NOTEBOOK")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


def student(*args, cwd):
    """``python -m cnnlab.student ARGS`` in ``cwd``: (exit status, stdout, stderr)."""
    done = subprocess.run([sys.executable, "-m", "cnnlab.student", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120, env=_env())
    return done.returncode, done.stdout, done.stderr


def _course(folder):
    src = folder / "notebooks"
    src.mkdir(parents=True)
    (src / NAME).write_bytes(FIXTURE.read_bytes())
    (src / "02_other.ipynb").write_bytes(FIXTURE.read_bytes())
    return src


def _edit(path, source="n_inputs = 784  # mine"):
    """What a learner does in JupyterLab: change the first exercise cell and save."""
    nb = nbformat.read(path, as_version=4)
    nb.cells[EXERCISE].source = source
    nbformat.write(nb, path)
    return path.read_bytes()


def _run_cells(path):
    """Running cells without editing any: outputs, execution counts, a saved kernel."""
    nb = nbformat.read(path, as_version=4)
    for count, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = count + 1
        cell.outputs = [nbformat.v4.new_output("stream", text=f"ran {count}\n")]
    nb.metadata["language_info"] = {"name": "python", "version": "3.x"}
    nbformat.write(nb, path)
    return path.read_bytes()


def _source(path, index=EXERCISE):
    return nbformat.read(path, as_version=4).cells[index].source


def _tree(folder):
    """Every file under ``folder`` with a digest of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- the fingerprint

def test_fingerprint_ignores_running_cells_but_not_editing_them():
    nb = nbformat.read(FIXTURE, as_version=4)
    before = fingerprint(nb)
    ran = nbformat.read(FIXTURE, as_version=4)
    for cell in ran.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], 7
        cell.metadata["collapsed"] = True
    ran.metadata["kernelspec"] = {"name": "other", "display_name": "Other"}
    ran.metadata["cnnlab"] = {"fingerprint": "sha256:0"}
    assert fingerprint(ran) == before
    edits = [lambda n: setattr(n.cells[EXERCISE], "source", "n_inputs = 1"),
             lambda n: setattr(n.cells[2], "cell_type", "raw"),
             lambda n: n.cells[2].__setitem__("attachments", {"a.png": {"image/png": "iVBOR"}}),
             lambda n: n.cells.append(nbformat.v4.new_code_cell("")),
             lambda n: n.cells.insert(0, n.cells.pop(1))]
    digests = set()
    for edit in edits:
        changed = nbformat.read(FIXTURE, as_version=4)
        edit(changed)
        digests.add(fingerprint(changed))
    assert before not in digests and len(digests) == len(edits)
    assert before.startswith("sha256:") and len(before) == len("sha256:") + 64


def test_written_notebooks_carry_the_fingerprint_of_their_content(tmp_path):
    src = _course(tmp_path)
    assert student(src, tmp_path / "out", cwd=tmp_path)[0] == 0
    written = nbformat.read(tmp_path / "out" / NAME, as_version=4)
    assert written.metadata["cnnlab"]["fingerprint"] == fingerprint(written)
    assert fingerprint(written) == fingerprint(make_student_notebook(nbformat.read(FIXTURE, as_version=4), NAME))


# ---------------------------------------------------------------- python -m cnnlab.student

def test_practice_keeps_what_the_learner_changed_and_refreshes_the_rest(tmp_path):
    src, practice = _course(tmp_path), tmp_path / "practice"
    assert student(src, practice, "--keep-existing", cwd=tmp_path)[0] == 0
    mine = _edit(practice / NAME)
    ran = _run_cells(practice / "02_other.ipynb")
    rc, out, err = student(src, practice, "--keep-existing", cwd=tmp_path)
    assert rc == 0, err  # keeping is what make practice is for
    assert (practice / NAME).read_bytes() == mine
    assert (practice / "02_other.ipynb").read_bytes() == ran  # only run: outputs stay
    assert str(practice / NAME) in err and f"make reset NB={NAME}" in err and "--force" in err
    assert "02_other" not in err
    # the course changes: the notebook only run is refreshed, the edited one still kept
    _edit(src / "02_other.ipynb", "### BEGIN SOLUTION\nn_inputs = 28 * 28\n### END SOLUTION\n# new")
    _edit(src / NAME, "### BEGIN SOLUTION\nn_inputs = 28 * 28\n### END SOLUTION\n# new")
    rc, out, err = student(src, practice, "--keep-existing", cwd=tmp_path)
    assert rc == 0, err
    assert (practice / NAME).read_bytes() == mine
    assert _source(practice / "02_other.ipynb") == ("# exercise 02.1\n# YOUR CODE HERE\n"
                                                    "raise NotImplementedError()\n# new")
    assert not (practice / "backups").exists()


def test_student_refuses_to_replace_an_edited_copy_and_says_how(tmp_path):
    src, out_dir = _course(tmp_path), tmp_path / "build" / "student"
    assert student(src, out_dir, cwd=tmp_path)[0] == 0
    mine = _edit(out_dir / NAME)
    _run_cells(out_dir / "02_other.ipynb")
    rc, out, err = student(src, out_dir, cwd=tmp_path)
    assert rc != 0  # an instructor must notice
    assert (out_dir / NAME).read_bytes() == mine
    assert str(out_dir / NAME) in err and "--force" in err
    other = nbformat.read(out_dir / "02_other.ipynb", as_version=4)  # unchanged: rewritten clean
    assert all(not c.get("outputs") for c in other.cells)
    rc, out, err = student(src, out_dir, "--force", cwd=tmp_path)
    assert rc == 0, err
    assert _source(out_dir / NAME) == FRESH
    assert (out_dir / "backups" / "01_demo-1.ipynb").read_bytes() == mine
    assert f"{out_dir / 'backups' / '01_demo-1.ipynb'}" in out


@pytest.mark.parametrize("kind", ["older cnnlab", "by hand", "not json"])
def test_a_file_without_fingerprint_counts_as_changed(tmp_path, kind):
    src, practice = _course(tmp_path), tmp_path / "practice"
    practice.mkdir()
    if kind == "not json":
        (practice / NAME).write_text("my notes, saved with the wrong name")
    else:  # what cnnlab wrote before fingerprints, then edited; or a notebook a person made
        nb = make_student_notebook(nbformat.read(FIXTURE, as_version=4), NAME)
        if kind == "by hand":
            nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("my own notes")])
        else:
            nb.cells[EXERCISE].source = "n_inputs = 784"
        nbformat.write(nb, practice / NAME)
    before = (practice / NAME).read_bytes()
    for flags in (["--keep-existing"], []):
        rc, out, err = student(src, practice, *flags, cwd=tmp_path)
        assert (practice / NAME).read_bytes() == before
        assert str(practice / NAME) in err
        assert rc == (0 if flags else 1)


def test_an_old_copy_identical_to_the_new_version_is_simply_refreshed(tmp_path):
    src, practice = _course(tmp_path), tmp_path / "practice"
    practice.mkdir()
    nbformat.write(make_student_notebook(nbformat.read(FIXTURE, as_version=4), NAME), practice / NAME)
    _run_cells(practice / NAME)  # no fingerprint, but nothing edited: nothing can be lost
    rc, out, err = student(src, practice, cwd=tmp_path)
    assert rc == 0 and NAME not in err, err
    assert "fingerprint" in nbformat.read(practice / NAME, as_version=4).metadata["cnnlab"]


def test_reset_twice_keeps_every_earlier_copy_under_a_new_name(tmp_path):
    src, practice = _course(tmp_path), tmp_path / "practice"
    assert student(src, practice, "--keep-existing", cwd=tmp_path)[0] == 0
    copies = []
    for attempt in ("n_inputs = 1  # first try", "n_inputs = 2  # second try", None):
        copies.append(_edit(practice / NAME, attempt) if attempt else _run_cells(practice / NAME))
        rc, out, err = student(src, practice, "--only", NAME, "--force", "--backup", cwd=tmp_path)
        assert rc == 0, err
        saved = practice / "backups" / f"01_demo-{len(copies)}.ipynb"
        assert [line for line in out.splitlines() if "saved" in line] == [
            f"saved {practice / NAME} as {saved} (the copy that was there before)"]
        assert _source(practice / NAME) == FRESH
    assert [(practice / "backups" / f"01_demo-{n}.ipynb").read_bytes() for n in (1, 2, 3)] == copies
    assert sorted(p.name for p in (practice / "backups").iterdir()) == [
        "01_demo-1.ipynb", "01_demo-2.ipynb", "01_demo-3.ipynb"]
    # a backup deleted by the learner: the next one still gets a name never used before
    (practice / "backups" / "01_demo-1.ipynb").unlink()
    _edit(practice / NAME, "n_inputs = 4")
    assert student(src, practice, "--only", NAME, "--force", "--backup", cwd=tmp_path)[0] == 0
    assert _source(practice / "backups" / "01_demo-4.ipynb") == "n_inputs = 4"
    assert (practice / "backups" / "01_demo-3.ipynb").read_bytes() == copies[2]


@pytest.mark.parametrize("where", ["same", "same, through a symlink", "inside", "above"])
def test_an_output_folder_overlapping_the_source_is_refused_and_nothing_written(tmp_path, where):
    src = _course(tmp_path / "course")
    (tmp_path / "link").symlink_to(src)
    out_dir = {"same": src, "same, through a symlink": tmp_path / "link",
               "inside": src / "student", "above": tmp_path / "course"}[where]
    before = _tree(tmp_path)
    every = ([], ["--keep-existing"], ["--demo", "--force"], ["--nbgrader-source"])
    for flags in (*(every if where == "same" else [[]]), ["--only", NAME, "--force", "--backup"]):
        rc, out, err = student(src, out_dir, *flags, cwd=tmp_path)
        assert rc != 0 and "nothing was written" in err, (flags, err)
        assert str(out_dir) in err and "source folder" in err
        assert _tree(tmp_path) == before, flags
    assert not (src / "student").exists()


def test_demo_refreshes_unchanged_notebooks_and_keeps_the_teachers(tmp_path):
    src, demo = _course(tmp_path), tmp_path / "demo"
    assert student(src, demo, "--demo", "--keep-changed", cwd=tmp_path)[0] == 0
    mine = _edit(demo / NAME, "n_inputs = 28 * 28  # typed in class")
    _run_cells(demo / "02_other.ipynb")  # last class's outputs would give answers away
    rc, out, err = student(src, demo, "--demo", "--keep-changed", cwd=tmp_path)
    assert rc == 0, err
    assert (demo / NAME).read_bytes() == mine
    assert f"make demo-reset NB={NAME}" in err and str(demo / NAME) in err
    assert all(not c.get("outputs") for c in nbformat.read(demo / "02_other.ipynb", as_version=4).cells)
    rc, out, err = student(src, demo, "--demo", "--force", "--only", NAME, cwd=tmp_path)  # demo-reset
    assert rc == 0, err
    assert (demo / "backups" / "01_demo-1.ipynb").read_bytes() == mine
    assert _source(demo / NAME) == MARK + _source(FIXTURE)


def test_force_and_keeping_together_are_refused(tmp_path):
    src = _course(tmp_path)
    rc, out, err = student(src, tmp_path / "out", "--force", "--keep-existing", cwd=tmp_path)
    assert rc != 0 and "not allowed with" in err
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- attachments

PICTURE = {"answer.png": {"image/png": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"}}


def _with_attachments():
    nb = nbformat.read(FIXTURE, as_version=4)
    nb.cells[9].source = nb.cells[9].source.replace(  # an image in the model answer
        "### END SOLUTION", "![sketch](attachment:answer.png)\n### END SOLUTION")
    nb.cells[9].attachments = PICTURE
    nb.cells[8].attachments = {"question.png": PICTURE["answer.png"]}  # the question's cell
    return nb


def test_student_version_drops_the_attachments_of_cells_whose_solution_is_removed(tmp_path):
    nb = _with_attachments()
    released = make_student_notebook(nb)
    assert "attachments" not in released.cells[9] and released.cells[9].source == "YOUR ANSWER HERE"
    assert released.cells[8].attachments == {"question.png": PICTURE["answer.png"]}
    assert "attachments" not in make_demo_notebook(nb).cells[9]  # the demo shows no model answer either
    src = _course(tmp_path)
    nbformat.write(nb, src / NAME)
    assert student(src, tmp_path / "out", cwd=tmp_path)[0] == 0
    text = (tmp_path / "out" / NAME).read_text()
    assert "answer.png" not in text and "question.png" in text


def test_nbgrader_source_refuses_an_exercise_cell_with_attachments():
    with pytest.raises(ValueError, match=r"add_nbgrader_metadata: demo\.ipynb, cell 10 .*attachments"):
        add_nbgrader_metadata(_with_attachments(), "demo.ipynb")
    question_only = nbformat.read(FIXTURE, as_version=4)
    question_only.cells[8].attachments = PICTURE
    assert add_nbgrader_metadata(question_only).cells[8].attachments == PICTURE


# ---------------------------------------------------------------- the make targets

pytestmark_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")

FAKE_PYTHON = """#!/bin/sh
# This test's Python; JupyterLab is not started, only recorded.
if [ "$1" = "-m" ] && [ "$2" = "jupyterlab" ]; then echo "$*" >> "{log}"; exit 0; fi
exec "{python}" "$@"
"""


@pytest.fixture
def repo(tmp_path):
    """A copy of the Makefile and what it reads, a course of two notebooks, a fake JupyterLab."""
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "tools", tmp_path / "tools")
    shutil.copytree(ROOT / "requirements", tmp_path / "requirements")
    _course(tmp_path)
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PYTHON.format(log=tmp_path / "lab.log", python=sys.executable))
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    return tmp_path


def make(repo, *args):
    """``make -s ARGS`` in ``repo`` (pip replaced by `true`): (exit status, output, Lab starts)."""
    log = repo / "lab.log"
    log.write_text("")
    done = subprocess.run(["make", "-s", *args, "PIP=true"], cwd=repo, capture_output=True,
                          text=True, timeout=120, env=_env())
    return done.returncode, done.stdout + done.stderr, log.read_text().splitlines()


@pytestmark_make
def test_make_reset_twice_keeps_both_earlier_copies(repo):
    assert make(repo, "practice")[0] == 0
    practice = repo / "practice"
    first = _edit(practice / NAME, "n_inputs = 1  # first try")
    rc, out, lab = make(repo, "reset", f"NB={NAME}")
    assert rc == 0, out
    assert f"saved practice/{NAME} as practice/backups/01_demo-1.ipynb" in out
    second = _edit(practice / NAME, "n_inputs = 2  # second try")
    rc, out, lab = make(repo, "reset", f"NB={NAME}")
    assert rc == 0, out
    assert "practice/backups/01_demo-2.ipynb" in out
    assert (practice / "backups" / "01_demo-1.ipynb").read_bytes() == first
    assert (practice / "backups" / "01_demo-2.ipynb").read_bytes() == second
    assert _source(practice / NAME) == FRESH and lab == []


@pytest.mark.parametrize("target, folder, hint, opens", [
    ("practice", "practice", "make reset NB=", "--LabApp.default_url=/lab/tree/practice"),
    ("demo", "demo", "make demo-reset NB=", "--ServerApp.root_dir={repo}/demo ")])
@pytestmark_make
def test_make_practice_and_demo_keep_a_changed_notebook_and_still_open_lab(repo, target, folder, hint, opens):
    rc, out, lab = make(repo, target)
    assert rc == 0 and len(lab) == 1, out
    mine = _edit(repo / folder / NAME)
    rc, out, lab = make(repo, target)
    assert rc == 0 and len(lab) == 1, out
    assert opens.format(repo=repo) in lab[0]
    assert (repo / folder / NAME).read_bytes() == mine
    assert f"{folder}/{NAME}" in out and hint + NAME in out


@pytestmark_make
def test_make_demo_reset_backs_up_the_teachers_notebook(repo):
    assert make(repo, "demo")[0] == 0
    mine = _edit(repo / "demo" / NAME)
    other = _edit(repo / "demo" / "02_other.ipynb")
    rc, out, lab = make(repo, "demo-reset", f"NB={NAME}")
    assert rc == 0 and lab == [], out
    assert (repo / "demo" / "backups" / "01_demo-1.ipynb").read_bytes() == mine
    assert _source(repo / "demo" / NAME) == MARK + _source(FIXTURE)
    assert (repo / "demo" / "02_other.ipynb").read_bytes() == other  # only NB was reset
    rc, out, lab = make(repo, "demo-reset")  # every notebook
    assert rc == 0, out
    assert (repo / "demo" / "backups" / "02_other-1.ipynb").read_bytes() == other
    assert (repo / "demo" / "backups" / "01_demo-1.ipynb").read_bytes() == mine


@pytestmark_make
def test_make_student_fails_over_an_edited_copy_and_clean_leaves_demo_and_practice(repo):
    assert make(repo, "student")[0] == 0
    mine = _edit(repo / "build" / "student" / NAME)
    rc, out, lab = make(repo, "student")
    assert rc != 0 and f"build/student/{NAME}" in out and "--force" in out
    assert (repo / "build" / "student" / NAME).read_bytes() == mine
    assert make(repo, "demo")[0] == 0 and make(repo, "practice")[0] == 0
    demo, practice = _edit(repo / "demo" / NAME), _edit(repo / "practice" / NAME)
    assert make(repo, "clean")[0] == 0
    assert (repo / "demo" / NAME).read_bytes() == demo
    assert (repo / "practice" / NAME).read_bytes() == practice
    assert not (repo / "build").exists()


@pytestmark_make
def test_make_lab_opens_the_practice_copies_and_never_starts_a_second_server(repo):
    """`make lab` (= `make practice`) writes practice/ and opens Lab there; with a server already on
    the port it says where to go and starts none."""
    import socket

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    rc, out, lab = make(repo, "lab", f"PORT={port}")
    assert rc == 0 and len(lab) == 1, out
    assert "--LabApp.default_url=/lab/tree/practice" in lab[0] and f"--port={port}" in lab[0]
    assert (repo / "practice" / NAME).exists() and "notebooks/" in out
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        rc, out, lab = make(repo, "lab", f"PORT={port}")
    assert rc == 0 and lab == [], out  # no second server
    assert f"already listens on 127.0.0.1:{port}" in out and "/lab/tree/practice" in out
