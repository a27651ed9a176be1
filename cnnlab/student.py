"""Student versions of the course notebooks: solutions out, hidden checks out, outputs cleared.

The notebooks in ``notebooks/`` are the instructor's version: every exercise is solved between
``### BEGIN SOLUTION`` and ``### END SOLUTION`` lines, and check cells may hold extra checks
between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``. These are nbgrader's markers, and
this module treats them exactly as nbgrader's ``ClearSolutions`` and ``ClearHiddenTests`` do: a
line that contains the words starts or ends a region; a solution region becomes
``# YOUR CODE HERE`` / ``raise NotImplementedError()`` at the indentation of its BEGIN line
(``YOUR ANSWER HERE`` in a markdown cell); a hidden-test region disappears. Outputs, execution
counts, run timings and the stored widget state are dropped; everything else is kept as it is.

Three stricter rules than nbgrader's ``--no-metadata`` mode catch authoring slips early:
solution regions only in cells tagged ``exercise`` (and each such cell has one), hidden tests
only in cells tagged ``check``, and no END line without its BEGIN.

Command line (``make student`` runs the first form)::

    python -m cnnlab.student [SRC_DIR] [OUT_DIR]            # notebooks/ -> build/student/
    python -m cnnlab.student notebooks practice --keep-existing
    python -m cnnlab.student notebooks course/source/cnnlab --nbgrader-source

``--keep-existing`` never overwrites a file already in OUT_DIR (a learner's work);
``--nbgrader-source`` writes the solved notebooks with nbgrader cell metadata derived from the
tags, ready for ``nbgrader generate_assignment`` and ``nbgrader autograde``.

Examples
--------
>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
...     "def double(x):\\n    ### BEGIN SOLUTION\\n    return 2 * x\\n    ### END SOLUTION",
...     metadata={"tags": ["exercise"]})])
>>> print(make_student_notebook(nb).cells[0].source)
def double(x):
    # YOUR CODE HERE
    raise NotImplementedError()
"""

import argparse
import copy
import shutil
import sys
from pathlib import Path

__all__ = ["CODE_STUB", "TEXT_STUB", "make_student_notebook", "add_nbgrader_metadata",
           "make_student_version", "main"]

BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
#: What replaces a solution region in a code cell: nbgrader's stub for Python, to the character.
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
#: What replaces a solution region in a markdown cell (nbgrader's ``ClearSolutions.text_stub``).
TEXT_STUB = "YOUR ANSWER HERE"
#: Cell metadata that belongs to outputs (scroll state, run timings), dropped with them.
OUTPUT_METADATA = ("collapsed", "scrolled", "execution")
#: Files in the notebooks folder that are for authors only and stay out of the student copy.
NOT_COPIED = frozenset({"AUTHORING.md", "__pycache__"})


def _replace_regions(source, begin, end, stub, where):
    """``source`` with every begin..end region replaced by ``stub`` lines; also the count."""
    lines, inside, count = [], False, 0
    for number, line in enumerate(source.split("\n"), start=1):
        if begin in line:
            if inside:
                raise ValueError(f"{where}: line {number} opens `### {begin}` inside another "
                                 f"region; close the first one with `### {end}`")
            inside, count = True, count + 1
            indent = line[:len(line) - len(line.lstrip())]
            lines.extend(indent + stub_line for stub_line in stub)
        elif end in line:
            if not inside:
                raise ValueError(f"{where}: line {number} has `### {end}` without a "
                                 f"`### {begin}` before it")
            inside = False
        elif not inside:
            lines.append(line)
    if inside:
        raise ValueError(f"{where}: `### {begin}` has no matching `### {end}`")
    return "\n".join(lines), count


def _source(cell):
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def make_student_notebook(nb, name="notebook"):
    """The student version of one notebook (a new notebook; ``nb`` is not changed).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        A version 4 notebook, as read by ``nbformat.read(path, as_version=4)``.
    name : str, optional
        How error messages call the notebook (its file name).

    Returns
    -------
    nbformat.NotebookNode
        Solution regions replaced by `CODE_STUB` (markdown: `TEXT_STUB`) indented like their
        BEGIN line, hidden-test regions removed, outputs and execution counts cleared, the
        output metadata in `OUTPUT_METADATA` and ``metadata.widgets`` dropped. Every other cell,
        tag and metadata entry is kept unchanged.

    Raises
    ------
    ValueError
        Unbalanced or nested markers, a solution region outside a cell tagged ``exercise``, an
        ``exercise`` cell without one, or hidden tests outside a cell tagged ``check``; the
        message names the notebook and the cell (counted from 0, as nbformat does).
    """
    nb = copy.deepcopy(nb)
    for index, cell in enumerate(nb.cells):
        where = f"{name}, cell {index}"
        tags = cell.get("metadata", {}).get("tags", [])
        stub = CODE_STUB if cell.cell_type == "code" else TEXT_STUB
        source, n_solutions = _replace_regions(_source(cell), BEGIN_SOLUTION, END_SOLUTION,
                                               stub.split("\n"), where)
        if n_solutions and "exercise" not in tags:
            raise ValueError(f"{where}: a `### {BEGIN_SOLUTION}` region in a cell not tagged "
                             "'exercise'; add the tag (the tests and nbgrader rely on it)")
        if "exercise" in tags and not n_solutions:
            raise ValueError(f"{where}: tagged 'exercise' but has no `### {BEGIN_SOLUTION}` / "
                             f"`### {END_SOLUTION}` region, so the student would see the answer")
        source, n_hidden = _replace_regions(source, BEGIN_HIDDEN, END_HIDDEN, [], where)
        if n_hidden and "check" not in tags:
            raise ValueError(f"{where}: a `### {BEGIN_HIDDEN}` region in a cell not tagged "
                             "'check'")
        if source != _source(cell):
            cell.source = source
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in OUTPUT_METADATA:
            cell.get("metadata", {}).pop(key, None)
    nb.metadata.pop("widgets", None)
    return nb


def add_nbgrader_metadata(nb, name="notebook"):
    """The solved notebook with nbgrader cell metadata derived from its tags.

    A code cell tagged ``exercise`` becomes an nbgrader "Autograded answer" (grade_id
    ``exercise-1``, ``exercise-2``, ... in notebook order; a markdown one a "Manually graded
    answer" worth 1 point); a cell tagged ``check`` becomes "Autograder tests" worth 1 point
    (``check-1``, ...). Other cells are left alone. The markers are validated as in
    `make_student_notebook`, which raises the same ``ValueError``.
    """
    make_student_notebook(nb, name)  # validation only
    nb = copy.deepcopy(nb)
    counts = {"exercise": 0, "check": 0}
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        for tag in ("exercise", "check"):
            if tag in tags:
                counts[tag] += 1
                graded = tag == "check" or cell.cell_type == "markdown"
                cell.metadata["nbgrader"] = {
                    "grade": graded, "solution": tag == "exercise", "locked": tag == "check",
                    "grade_id": f"{tag}-{counts[tag]}", "schema_version": 3,
                    **({"points": 1} if graded else {})}
                break
    return nb


def make_student_version(src="notebooks", out="build/student", *, keep_existing=False,
                         nbgrader_source=False):
    """Write the student version of every notebook in ``src`` to ``out``.

    Parameters
    ----------
    src, out : str or path-like
        The folder of solved notebooks (not searched recursively) and where to write.
    keep_existing : bool, optional
        Never overwrite a file that is already in ``out`` (a learner's practice copy).
    nbgrader_source : bool, optional
        Write `add_nbgrader_metadata` versions (solutions kept) instead of student versions.

    Returns
    -------
    dict
        ``{"written": [paths], "kept": [paths]}``; files other than notebooks (except hidden
        ones and `NOT_COPIED`) are copied too and listed.

    Raises
    ------
    FileNotFoundError
        ``src`` holds no notebook.
    ValueError
        A notebook's markers are wrong (see `make_student_notebook`); nothing is written then.
    """
    import nbformat

    src, out = Path(src), Path(out)
    paths = sorted(src.glob("*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"make_student_version: no notebooks (*.ipynb) in {src}")
    transform = add_nbgrader_metadata if nbgrader_source else make_student_notebook
    # Transform everything first, so that one bad notebook leaves no half-written output.
    results = [(path, transform(nbformat.read(path, as_version=4), path.name)) for path in paths]
    out.mkdir(parents=True, exist_ok=True)
    report = {"written": [], "kept": []}
    for path, nb in results:
        target = out / path.name
        if keep_existing and target.exists():
            report["kept"].append(target)
            continue
        nbformat.write(nb, target)
        report["written"].append(target)
    for item in sorted(src.iterdir()):
        if item.suffix == ".ipynb" or item.name.startswith(".") or item.name in NOT_COPIED:
            continue
        target = out / item.name
        if keep_existing and target.exists():
            report["kept"].append(target)
        elif item.is_dir():
            shutil.copytree(item, target, dirs_exist_ok=True)
            report["written"].append(target)
        else:
            shutil.copy2(item, target)
            report["written"].append(target)
    return report


def main(argv=None):
    """Command-line entry point: ``python -m cnnlab.student [SRC_DIR] [OUT_DIR] [options]``."""
    parser = argparse.ArgumentParser(
        prog="python -m cnnlab.student",
        description="Write student versions of the course notebooks (solutions and hidden "
                    "checks removed, outputs cleared).")
    parser.add_argument("src", nargs="?", default="notebooks", help="default: notebooks")
    parser.add_argument("out", nargs="?", default="build/student", help="default: build/student")
    parser.add_argument("--keep-existing", action="store_true",
                        help="never overwrite a file already in OUT (a learner's work)")
    parser.add_argument("--nbgrader-source", action="store_true",
                        help="keep the solutions and add nbgrader cell metadata instead")
    args = parser.parse_args(argv)
    try:
        report = make_student_version(args.src, args.out, keep_existing=args.keep_existing,
                                      nbgrader_source=args.nbgrader_source)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in report["written"]:
        print(f"wrote {path}")
    for path in report["kept"]:
        print(f"kept  {path} (already there; delete it to start that notebook afresh)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
