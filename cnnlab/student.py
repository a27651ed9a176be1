"""Student versions of the course notebooks: solutions out, hidden checks out, outputs cleared.

The notebooks in ``notebooks/`` are the instructor's version: every exercise is solved between
``### BEGIN SOLUTION`` and ``### END SOLUTION`` lines, and check cells may hold extra checks
between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``. These are nbgrader's markers, and
this module treats them exactly as nbgrader's ``ClearSolutions`` and ``ClearHiddenTests`` do: a
line that contains the words starts or ends a region; a solution region becomes
``# YOUR CODE HERE`` / ``raise NotImplementedError()`` at the indentation of its BEGIN line
(``YOUR ANSWER HERE`` in a markdown cell); a hidden-test region disappears. Outputs, execution
counts, run timings and the stored widget state are dropped, and so are the attachments (pasted
images) of a cell whose solution is removed; everything else is kept as it is.

Three stricter rules than nbgrader's ``--no-metadata`` mode catch authoring slips early:
solution regions only in cells tagged ``exercise`` (and each such cell has one), hidden tests
only in cells tagged ``check``, and no END line without its BEGIN. Messages name a cell as
JupyterLab counts it (`describe_cell`: "cell 38", counted from 1 over all cells, and its first
line).

The learners' copies keep no answer in sight (`_split_checks`): each check cell becomes a short
call, ``check("02.3")``, and its code (with the hints, explanation and expected values), the
model solution of the exercise above it and the exercise's kind go, encoded, into
``OUT/.checks/NAME.json`` (`write_checks`), which `cnnlab.exercises.check` reads. Each exercise
code cell gets a first line ``# exercise 02.3`` (how the check knows whether that cell failed on
its last run), and the setup cell's ``from cnnlab.exercises import ...`` also imports ``check``
and ``solution``, with a comment on running the cells above after a restart. The nbgrader
source keeps each check cell's hidden tests after the short call, and its checks file says
``graded`` (only there does a visible check say that grading runs hidden tests too); nbgrader
copies the ``.checks`` folder into the release and, when autograding, from the source.

One addition of ours: exercise and check code cells get the tag ``raises-exception``
(`RUN_ON_TAG`), which JupyterLab's *Run All* and nbclient honour: an unfinished exercise still
shows its ``NotImplementedError`` / ``ExerciseNotDone``, and the cells after it still run.
The ``--nbgrader-source`` notebooks carry the tag too, so nbgrader's release has it.

A third version is for teaching live (``make demo``, `make_demo_notebook`): the solutions kept
but folded away (``metadata.jupyter.source_hidden``), hidden tests out, outputs cleared.

Command line (the ``make`` targets run these)::

    python -m cnnlab.student [SRC_DIR] [OUT_DIR]          # make student: notebooks/ -> build/student/
    python -m cnnlab.student notebooks practice --keep-existing              # make practice
    python -m cnnlab.student notebooks practice --only NAME --force --backup  # make reset NB=NAME
    python -m cnnlab.student notebooks demo --demo --keep-changed            # make demo
    python -m cnnlab.student notebooks demo --demo --force [--only NAME]     # make demo-reset
    python -m cnnlab.student notebooks course/source/cnnlab --nbgrader-source

No command overwrites or deletes a notebook that a person changed since it was written, unless
told ``--force``, and then it first copies it to ``OUT/backups/NAME-N.ipynb`` with a new N each
time (`make_student_version`): every notebook written carries a `fingerprint` of its cells'
types, sources and attachments (not outputs: running cells is not changing them), and a notebook
whose content matches neither that fingerprint nor the new version is the person's. Changed
notebooks are kept and named on stderr, with the command that replaces them; the exit status is
then 1, except with ``--keep-existing`` (a learner's folder: the other files there are kept too,
and a notebook only run, not changed, keeps its outputs until the course's version changes) and
``--keep-changed`` (the demo), where keeping is the point. An OUT_DIR equal to SRC_DIR, inside it
or containing it is refused (exit 1, nothing written). ``--nbgrader-source`` writes the solved
notebooks with nbgrader cell metadata derived from the tags, ready for ``nbgrader
generate_assignment`` and ``nbgrader autograde``; ``--demo`` writes the live-teaching versions;
``--only NAME`` writes one notebook (and no other file); ``--backup`` copies every notebook it
replaces to ``OUT/backups/`` first, changed or not.

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

__all__ = ["CODE_STUB", "TEXT_STUB", "RUN_ON_TAG", "BACKUPS", "CHECKS_DIR", "describe_cell",
           "select_notebooks", "check_id", "notebook_checks", "write_checks", "make_student_notebook",
           "make_demo_notebook", "add_nbgrader_metadata", "fingerprint", "check_folders",
           "make_student_version", "write_demo_settings", "main"]

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
#: The tag that lets Run All (JupyterLab, nbclient) go on past a cell that raises.
RUN_ON_TAG = "raises-exception"


def describe_cell(cells, index, width=60):
    """How every cnnlab message names a cell: ``cell N (`first line`)``.

    N is the cell's position among *all* cells, counted from 1, markdown included: what you
    count in JupyterLab from the top of the notebook (nbformat's index plus one; nbval's
    ``Cell k`` counts code cells only, from 0). The first line that is not blank is quoted and
    cut to ``width`` characters, so the cell can be found by eye or with *Find* (Ctrl+F).

    Parameters
    ----------
    cells : list of dict or nbformat.NotebookNode
        The notebook's cells (``nb.cells``, or ``json.load(f)["cells"]``).
    index : int
        The cell's index in ``cells`` (from 0).

    Examples
    --------
    >>> cells = [{"cell_type": "markdown", "source": "# Title"},
    ...          {"cell_type": "code", "source": ["\\n", "x = 1\\n", "print(x)"]}]
    >>> describe_cell(cells, 1)
    'cell 2 (`x = 1`)'
    >>> describe_cell([{"cell_type": "code", "source": ""}], 0)
    'cell 1 (empty)'
    """
    source = cells[index].get("source", "")
    source = source if isinstance(source, str) else "".join(source)
    first = next((line.strip() for line in source.split("\n") if line.strip()), "")
    if not first:
        return f"cell {index + 1} (empty)"
    if len(first) > width:
        first = first[:width - 3] + "..."
    return f"cell {index + 1} (`{first}`)"


def select_notebooks(paths, only=None):
    """``paths`` (notebook files), or the one named ``only`` among them.

    ``only`` may be a file name (``03_padding_and_stride.ipynb``), the name without
    ``.ipynb``, or a path ending in that name; ``None`` or ``""`` selects every notebook.

    Raises
    ------
    ValueError
        ``only`` names none of the notebooks (the message lists them).
    """
    paths = list(paths)
    if not only:
        return paths
    name = Path(only).name
    name = name if name.endswith(".ipynb") else name + ".ipynb"
    chosen = [p for p in paths if Path(p).name == name]
    if not chosen:
        raise ValueError(f"no notebook {name!r}; the notebooks are: "
                         + ", ".join(Path(p).name for p in paths))
    return chosen


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


def _versions(nb, name, keep_solutions):
    """The shared transformation of `make_student_notebook` and `make_demo_notebook`."""
    nb = copy.deepcopy(nb)
    for index, cell in enumerate(nb.cells):
        where = f"{name}, {describe_cell(nb.cells, index)}"
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
        if keep_solutions and cell.cell_type == "code":  # a markdown model answer would show rendered
            source = _source(cell)
        if n_solutions and (not keep_solutions or cell.cell_type == "markdown"):
            cell.pop("attachments", None)  # an image pasted into the model answer goes with it
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
        if keep_solutions and "exercise" in tags:
            cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
        if cell.cell_type == "code" and {"exercise", "check"} & set(tags) and RUN_ON_TAG not in tags:
            cell.metadata["tags"] = [*tags, RUN_ON_TAG]
    nb.metadata.pop("widgets", None)
    return nb


#: The folder, beside the notebooks written, of their checks files (``.checks/NAME.json``).
CHECKS_DIR = ".checks"
#: What the learners' copies add after the exercises import of their setup cell.
RUN_ABOVE_NOTE = ("# A check that says a name is not defined (after a restart): run the cells above it first "
                  "(Run > Run All Above Selected Cell).")
_EXERCISES_IMPORT = "from cnnlab.exercises import "


def check_id(name, number):
    """The id of a notebook's ``number``-th check cell (from 1): ``"02.3"`` in ``02_convolution``."""
    return f"{Path(name).stem.split('_')[0]}.{number}"


def _hidden_regions(source):
    """The lines of ``source`` inside hidden-test regions, markers included, as one text."""
    out, inside = [], False
    for line in source.split("\n"):
        if BEGIN_HIDDEN in line:
            inside = True
        if inside:
            out.append(line)
        if END_HIDDEN in line:
            inside = False
    return "\n".join(out)


def _split_checks(solved, version, name, graded):
    """``version`` (a transformed copy of ``solved``, cell for cell) with its check cells made
    short calls, and the checks they call: {id: entry}.

    Each check code cell becomes ``check("NN.k")`` (with its hidden-test regions after it when
    ``graded``: the nbgrader source); its visible code, the solved source of the exercise cells
    before it (the model solution), the exercise's kind (``predict``, ``debug``, ``written``) and
    those cells' ids go into the entry, for the checks file. A code cell tagged ``written`` (after
    a markdown exercise cell: a written question, whose model answer is its solution region)
    becomes a check call too, its entry holding that model answer. Exercise code cells get a first line
    ``# exercise NN.k`` (how the check finds the cell's last run), and the setup cell's
    ``from cnnlab.exercises import ...`` also imports ``check`` and ``solution``, followed by
    `RUN_ABOVE_NOTE`.
    """
    checks, pending, number, model_answer, imported = {}, [], 0, "", False
    has_import = any(_EXERCISES_IMPORT in _source(c) for c in solved.cells if c.cell_type == "code")
    for index, (old, cell) in enumerate(zip(solved.cells, version.cells)):
        tags = old.get("metadata", {}).get("tags", [])
        if "exercise" in tags:
            if old.cell_type == "markdown":
                model_answer = _solution_text(_source(old)).strip("\n")
            else:
                pending.append(index)
            continue
        if old.cell_type != "code":
            continue
        if "written" in tags:  # the cell after a written answer: the model answer on request
            number += 1
            this = check_id(name, number)
            checks[this] = {"id": this, "code": _source(old).strip("\n"), "kind": "written",
                            "solution": model_answer, "exercise_cells": []}
            cell.source = f'check("{this}")'
            model_answer = ""
            continue
        if "check" in tags:
            number += 1
            this = check_id(name, number)
            where = f"{name}, {describe_cell(solved.cells, index)}"
            visible, _ = _replace_regions(_source(old), BEGIN_HIDDEN, END_HIDDEN, [], where)
            exercises = [solved.cells[i] for i in pending if solved.cells[i].cell_type == "code"]
            kinds = [t for c in exercises for t in c.get("metadata", {}).get("tags", [])
                     if t in ("predict", "debug")]
            checks[this] = {"id": this, "code": visible.strip("\n"),
                            "solution": "\n\n".join(_solution_text(_source(c)) for c in exercises),
                            "kind": kinds[0] if kinds else "",
                            "exercise_cells": [c.get("id") for c in exercises if c.get("id")]}
            call = f'check("{this}")'
            if not has_import:
                call = f"from cnnlab.exercises import check, hint, solution\n{call}"
            hidden = _hidden_regions(_source(old)) if graded else ""
            cell.source = call + ("\n" + hidden if hidden else "")
            for i in pending:
                if version.cells[i].cell_type == "code":
                    version.cells[i].source = f"# exercise {this}\n" + _source(version.cells[i])
            pending = []
        elif _EXERCISES_IMPORT in _source(cell) and not imported:
            cell.source, imported = _with_check_import(_source(cell)), True
    return version, checks


def _solution_text(source):
    """The solved cell's source without the solution markers (what `solution()` shows)."""
    return "\n".join(line for line in source.split("\n")
                     if BEGIN_SOLUTION not in line and END_SOLUTION not in line)


def _with_check_import(source):
    lines, done = [], False
    for line in source.split("\n"):
        if line.startswith(_EXERCISES_IMPORT) and not done:
            done = True
            names = [n.strip() for n in line[len(_EXERCISES_IMPORT):].split(",") if n.strip()]
            names += [n for n in ("check", "solution") if n not in names]
            lines += [_EXERCISES_IMPORT + ", ".join(names), RUN_ABOVE_NOTE]
        else:
            lines.append(line)
    return "\n".join(lines)


def notebook_checks(nb, name="notebook", graded=False):
    """The checks of the learners' copies of ``nb`` (see `_split_checks`): {id: entry}."""
    return _split_checks(nb, copy.deepcopy(nb), name, graded)[1]


def write_checks(nb, name, folder, graded=False):
    """Write ``folder/.checks/STEM.json``: the checks the copies of ``nb`` (a solved notebook)
    call, each entry encoded (`cnnlab.exercises.encode_check`: not readable at a glance, but not
    secret either). Returns the path, or None when the notebook has no checks."""
    import json

    from .exercises import CHECKS_FORMAT, CHECKS_NOTE, encode_check

    checks = notebook_checks(nb, name, graded)
    if not checks:
        return None
    path = Path(folder) / CHECKS_DIR / (Path(name).stem + ".json")
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"format": CHECKS_FORMAT, "note": CHECKS_NOTE, "notebook": Path(name).name, "graded": graded,
            "checks": {k: encode_check(v) for k, v in checks.items()}}
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return path


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
        output metadata in `OUTPUT_METADATA` and ``metadata.widgets`` dropped, the attachments
        (pasted images) of every cell whose solution was removed dropped, and the tag
        `RUN_ON_TAG` added to exercise and check code cells. Every other cell, tag and metadata
        entry is kept unchanged.

    Raises
    ------
    ValueError
        Unbalanced or nested markers, a solution region outside a cell tagged ``exercise``, an
        ``exercise`` cell without one, or hidden tests outside a cell tagged ``check``; the
        message names the notebook and the cell (`describe_cell`: counted from 1 over all
        cells, as in JupyterLab, with its first line).
    """
    return _split_checks(nb, _versions(nb, name, keep_solutions=False), name, graded=False)[0]


def make_demo_notebook(nb, name="notebook"):
    """The live-teaching version of one notebook: solutions there, but folded away.

    What learners see in the student version, except that each exercise cell keeps its
    solution and is stored with its input collapsed (``metadata.jupyter.source_hidden``, which
    JupyterLab honours: the cell shows as a bar with its first line, a click unfolds it). Run All
    therefore runs every cell without an error, and nothing on the screen gives an answer away
    before it runs: hidden tests are removed, and every output is cleared (a stored output after
    an exercise would show it). Folding a cell's outputs would not help: JupyterLab unfolds them
    when the cell runs, so what an exercise cell prints is seen once it has run.
    Exercise and check code cells carry `RUN_ON_TAG` as in the student version, so an exercise
    emptied to be solved live with the class does not stop Run All either.
    Attachments are kept (the solutions are there anyway).
    The markers are validated as in `make_student_notebook`, which raises the same errors.
    """
    return _split_checks(nb, _versions(nb, name, keep_solutions=True), name, graded=False)[0]


def add_nbgrader_metadata(nb, name="notebook"):
    """The solved notebook with nbgrader cell metadata derived from its tags.

    A code cell tagged ``exercise`` becomes an nbgrader "Autograded answer" (grade_id
    ``exercise-1``, ``exercise-2``, ... in notebook order; a markdown one a "Manually graded
    answer" worth 1 point); a cell tagged ``check`` becomes "Autograder tests" worth 1 point
    (``check-1``, ...); exercise and check code cells get the tag `RUN_ON_TAG`, as in the student
    version. Other cells are left alone. The markers are validated as in
    `make_student_notebook`, which raises the same ``ValueError``; so does an exercise cell with
    attachments (images pasted into a markdown cell): nbgrader's ``ClearSolutions`` replaces the
    solution but keeps the attachments, and its release would give them to the learners.
    """
    make_student_notebook(nb, name)  # validation only
    for index, cell in enumerate(nb.cells):
        if "exercise" in cell.get("metadata", {}).get("tags", []) and cell.get("attachments"):
            raise ValueError(f"add_nbgrader_metadata: {name}, {describe_cell(nb.cells, index)}: an "
                             "exercise cell with attachments; nbgrader's release keeps a cell's "
                             "attachments, so learners would get the images of the answer. Put "
                             "images of the question in a cell of their own")
    nb = _split_checks(nb, copy.deepcopy(nb), name, graded=True)[0]
    counts = {"exercise": 0, "check": 0}
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.cell_type == "code" and {"exercise", "check"} & set(tags) and RUN_ON_TAG not in tags:
            cell.metadata["tags"] = tags = [*tags, RUN_ON_TAG]  # nbgrader's release keeps tags
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


#: Where the notebook metadata of every notebook `make_student_version` writes holds its fingerprint.
FINGERPRINT_KEY = "cnnlab"
#: The folder inside ``out`` where a notebook is copied before it is replaced (``--force``,
#: ``--backup``): ``backups/NAME-1.ipynb``, ``backups/NAME-2.ipynb``, ..., never overwritten.
BACKUPS = "backups"


def fingerprint(nb):
    """A digest of what a person edits in a notebook: ``"sha256:..."``.

    It covers each cell's type, source and attachments, in order, and nothing else: outputs,
    execution counts, cell ids, cell and notebook metadata (tags, kernel, the fingerprint itself)
    are left out, so running cells, restarting the kernel or saving in JupyterLab leaves it as it
    was, and editing, adding, deleting or moving a cell (or pasting an image into it) changes it.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    >>> before = fingerprint(nb)
    >>> nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="ran")]
    >>> fingerprint(nb) == before
    True
    >>> nb.cells[0].source = "x = 2"
    >>> fingerprint(nb) == before
    False
    """
    import hashlib
    import json

    cells = [[cell.get("cell_type"), _source(cell), cell.get("attachments") or {}]
             for cell in nb.get("cells", [])]
    text = json.dumps(cells, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _changed_by_a_person(target, new_nb):
    """Whether replacing the notebook file ``target`` by ``new_nb`` could lose a person's work.

    Not so when its content is what this module wrote there (the fingerprint stored in its
    metadata matches) or is the same as ``new_nb``'s. A file that cannot be read as a notebook,
    or has no fingerprint and other content, counts as changed.
    """
    import nbformat

    try:
        old = nbformat.read(target, as_version=4)
        now = fingerprint(old)
    except Exception:  # not a notebook any more (a person's file, or broken by hand): keep it
        return True, None
    stored = old.metadata.get(FINGERPRINT_KEY, {})
    stored = stored.get("fingerprint") if isinstance(stored, dict) else None
    return now != stored and now != fingerprint(new_nb), stored


def _backup(target):
    """Copy ``target`` to a new file ``BACKUPS/STEM-N.SUFFIX`` beside it (N = 1, 2, ...)."""
    folder = target.parent / BACKUPS
    folder.mkdir(exist_ok=True)
    data = target.read_bytes()
    n = 1 + max((int(p.stem[len(target.stem) + 1:]) for p in folder.glob(f"{target.stem}-*{target.suffix}")
                 if p.stem[len(target.stem) + 1:].isdigit()), default=0)
    while True:
        saved = folder / f"{target.stem}-{n}{target.suffix}"
        try:
            with open(saved, "xb") as f:  # exclusive: an existing file is never overwritten
                f.write(data)
            return saved
        except FileExistsError:
            n += 1


def _write_notebook(nb, target):
    """Write ``nb`` to ``target`` through a temporary file, so no half-written notebook is left."""
    import os

    import nbformat

    temporary = target.with_name(f".{target.name}.cnnlab-tmp")
    nbformat.write(nb, temporary)
    os.replace(temporary, target)


def check_folders(src, out):
    """Refuse an output folder that is ``src``, inside it, or holds it (symlinks resolved).

    Writing there would replace the solved notebooks by student versions, or put the versions
    among the notebooks they are made from.

    Raises
    ------
    ValueError
        The message names both folders and says nothing was written.
    """
    real_src, real_out = Path(src).resolve(), Path(out).resolve()
    if real_out == real_src:
        how = "is the source folder"
    elif real_src in real_out.parents:
        how = "is inside the source folder"
    elif real_out in real_src.parents:
        how = "contains the source folder"
    else:
        return
    raise ValueError(f"make_student_version: the output folder {out} ({real_out}) {how} {src} "
                     f"({real_src}); nothing was written. Choose a folder apart from it, "
                     "e.g. build/student or practice")


def make_student_version(src="notebooks", out="build/student", *, keep_existing=False,
                         keep_changed=False, force=False, nbgrader_source=False, demo=False,
                         only=None, backup=False):
    """Write the student version of every notebook in ``src`` to ``out``, never losing work.

    Every notebook written carries a `fingerprint` of its content in its metadata
    (``metadata.cnnlab.fingerprint``). A notebook already in ``out`` counts as *changed by a
    person* when its content (cell types, sources, attachments: not outputs) matches neither
    that fingerprint nor the version about to be written; a file without a fingerprint (from an
    older cnnlab, or made by hand) with other content counts as changed. Then:

    - a new notebook is written; an unchanged one is replaced by the current version (with
      ``keep_existing``: only if the course's version of it changed, so the outputs of cells that
      were only run stay);
    - a changed one is kept as it is and listed in ``report["changed"]``, unless ``force``:
      then it is first copied to ``out/backups/NAME-N.ipynb`` (N = 1, 2, ...: a new file each
      time, never overwritten) and replaced. With ``backup``, every notebook that is replaced,
      changed or not, is copied there first (``make reset``).

    Nothing is deleted. An output folder equal to ``src``, inside it or containing it is refused
    before anything is written (`check_folders`).

    Parameters
    ----------
    src, out : str or path-like
        The folder of solved notebooks (not searched recursively) and where to write.
    keep_existing : bool, optional
        ``out`` is a learner's folder (``make practice``): changed notebooks are kept, and so are
        the other files already there; an unchanged notebook is refreshed only when its version
        in ``src`` changed.
    keep_changed : bool, optional
        Keeping changed notebooks is expected (``make demo``): `main` then exits with status 0.
        Does not change what is written.
    force : bool, optional
        Replace changed notebooks too, each copied under ``out/backups/`` first.
    nbgrader_source : bool, optional
        Write `add_nbgrader_metadata` versions (solutions kept) instead of student versions.
    demo : bool, optional
        Write `make_demo_notebook` versions (solutions folded away) instead, and the demo's
        JupyterLab settings (`write_demo_settings`) in ``out/.lab-settings``.
    only : str, optional
        Write only this notebook (see `select_notebooks`) and no other file.
    backup : bool, optional
        Copy every notebook that is replaced to ``out/backups/`` first, changed or not (a file
        the same byte for byte as the new version is not replaced, so not copied).

    Returns
    -------
    dict
        ``"written"``: files written; ``"kept"``: files left as they were (changed notebooks,
        up-to-date ones, and with ``keep_existing`` the other files); ``"changed"``: the changed
        notebooks that were kept (a subset of ``"kept"``); ``"backups"``: ``(copy, original)``
        pairs; ``"checks"``: the checks files written (``out/.checks/NAME.json``, see
        `write_checks`: always rewritten, they hold no one's work). Files other than notebooks
        (except hidden ones and `NOT_COPIED`) are copied too and listed.

    Raises
    ------
    FileNotFoundError
        ``src`` holds no notebook.
    ValueError
        A notebook's markers are wrong (see `make_student_notebook`), ``only`` names no notebook
        in ``src``, ``out`` overlaps ``src`` (`check_folders`), or ``force`` is given with
        ``keep_existing`` or ``keep_changed``; nothing is written then.
    """
    import nbformat

    if force and (keep_existing or keep_changed):
        raise ValueError("make_student_version: force replaces changed notebooks, keep_existing and "
                         "keep_changed keep them; give one of them")
    src, out = Path(src), Path(out)
    paths = sorted(src.glob("*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"make_student_version: no notebooks (*.ipynb) in {src}")
    check_folders(src, out)
    paths = select_notebooks(paths, only)
    transform = (add_nbgrader_metadata if nbgrader_source else
                 make_demo_notebook if demo else make_student_notebook)
    # Transform everything first, so that one bad notebook leaves no half-written output.
    results, solved = [], {}
    for path in paths:
        solved[path] = nbformat.read(path, as_version=4)
        nb = transform(solved[path], path.name)
        nb.metadata[FINGERPRINT_KEY] = {"fingerprint": fingerprint(nb)}
        results.append((path, nb))
    out.mkdir(parents=True, exist_ok=True)
    report = {"written": [], "kept": [], "changed": [], "backups": [], "checks": []}
    for path in paths:  # the checks the notebooks call, also those of notebooks kept
        written = write_checks(solved[path], path.name, out, graded=nbgrader_source)
        if written:
            report["checks"].append(written)
    for path, nb in results:
        target = out / path.name
        if target.exists():  # (a dangling symlink holds no work: it is replaced)
            changed, stored = _changed_by_a_person(target, nb)
            new_text = nbformat.writes(nb)
            new_text += "" if new_text.endswith("\n") else "\n"  # as nbformat.write ends a file
            if changed and not force:
                report["kept"].append(target)
                report["changed"].append(target)
                continue
            same = not changed and target.read_bytes() == new_text.encode("utf-8")
            if same or (keep_existing and not changed and stored == fingerprint(nb)):
                report["kept"].append(target)  # up to date (with keep_existing: outputs kept)
                continue
            if changed or backup:
                report["backups"].append((_backup(target), target))
        _write_notebook(nb, target)
        report["written"].append(target)
    if demo:
        report["written"].extend(write_demo_settings(out / DEMO_SETTINGS))
    if only:
        return report
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


#: Where `make_student_version(demo=True)` puts the demo's JupyterLab settings, inside ``out``
#: (hidden from the file browser; ``make demo`` passes it as ``--LabApp.user_settings_dir``).
DEMO_SETTINGS = ".lab-settings"
#: Font sizes for a projector (JupyterLab's defaults: code 13px, content 14px, interface 13px).
DEMO_FONTS = {"code-font-size": "20px", "content-font-size1": "20px", "ui-font-size1": "17px"}


def write_demo_settings(folder, fonts=None):
    """JupyterLab user settings for teaching live, written into ``folder``.

    Large fonts (the theme's ``overrides``, `DEMO_FONTS` unless ``fonts`` is given), no news or
    update toasts over the slides. Used only by ``make demo``, which points JupyterLab at this
    folder: the user's own settings (``~/.jupyter/lab/user-settings``) are neither read nor
    changed. Returns the files written.
    """
    import json

    folder = Path(folder)
    files = {
        "apputils-extension/themes.jupyterlab-settings":
            {"overrides": dict(DEMO_FONTS if fonts is None else fonts)},
        "apputils-extension/notification.jupyterlab-settings":
            {"fetchNews": "false", "checkForUpdates": False},
    }
    written = []
    for relative, settings in files.items():
        path = folder / "@jupyterlab" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings, indent=2) + "\n")
        written.append(path)
    return written


def _how_to_replace(name, demo, keep_existing):
    """The command that replaces the changed notebook ``name``, for the message that keeps it."""
    if demo:
        return f"make demo-reset NB={name} (or --force on this command)"
    if keep_existing:
        return f"make reset NB={name} (or --force on this command)"
    return "run this command again with --force"


def main(argv=None):
    """Command-line entry point: ``python -m cnnlab.student [SRC_DIR] [OUT_DIR] [options]``.

    Prints what it wrote and kept on stdout, and each notebook it kept because a person changed
    it on stderr, with the command that replaces it. Exit status: 0 when everything asked was
    done; 1 on an error (nothing written) or when a changed notebook was kept without
    ``--keep-existing`` or ``--keep-changed`` (so ``make student`` over an edited copy fails and
    the instructor notices; ``make practice`` and ``make demo``, where keeping is the point,
    exit 0).
    """
    parser = argparse.ArgumentParser(
        prog="python -m cnnlab.student",
        description="Write student versions of the course notebooks (solutions and hidden "
                    "checks removed, outputs cleared). A notebook in OUT that a person changed "
                    "since it was written is never replaced without --force, and then it is "
                    f"first copied to OUT/{BACKUPS}/NAME-N.ipynb (a new N each time).")
    parser.add_argument("src", nargs="?", default="notebooks", help="default: notebooks")
    parser.add_argument("out", nargs="?", default="build/student", help="default: build/student")
    keeping = parser.add_mutually_exclusive_group()
    keeping.add_argument("--keep-existing", action="store_true",
                         help="OUT is a learner's folder: keep the notebooks they changed and the "
                              "other files there (exit 0); refresh an unchanged notebook only "
                              "when the course's version changed")
    keeping.add_argument("--keep-changed", action="store_true",
                         help="keep the notebooks a person changed and exit 0 (make demo)")
    keeping.add_argument("--force", action="store_true",
                         help=f"replace changed notebooks too, each copied to OUT/{BACKUPS}/ first")
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--nbgrader-source", action="store_true",
                      help="keep the solutions and add nbgrader cell metadata instead")
    kind.add_argument("--demo", action="store_true",
                      help="for teaching live: solutions kept but folded away, outputs cleared, "
                           "large-font JupyterLab settings in OUT/" + DEMO_SETTINGS)
    parser.add_argument("--only", metavar="NAME",
                        help="write only this notebook (e.g. 03_padding_and_stride.ipynb)")
    parser.add_argument("--backup", action="store_true",
                        help=f"copy every notebook that is replaced to OUT/{BACKUPS}/ first, "
                             "changed or not (make reset)")
    args = parser.parse_args(argv)
    try:
        report = make_student_version(args.src, args.out, keep_existing=args.keep_existing,
                                      keep_changed=args.keep_changed, force=args.force,
                                      nbgrader_source=args.nbgrader_source, demo=args.demo,
                                      only=args.only, backup=args.backup)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for saved, original in report["backups"]:
        print(f"saved {original} as {saved} (the copy that was there before)")
    for path in report["written"] + report["checks"]:
        print(f"wrote {path}")
    for path in report["kept"]:
        if path not in report["changed"]:
            print(f"kept  {path} ({'up to date' if path.suffix == '.ipynb' else 'already there'})")
    backups = Path(args.out) / BACKUPS
    for path in report["changed"]:
        print(f"kept  {path}: changed after cnnlab wrote it, so not replaced. For a fresh copy "
              f"(yours is saved first in {backups}/): "
              f"{_how_to_replace(path.name, args.demo, args.keep_existing)}", file=sys.stderr)
    if report["changed"] and not (args.keep_existing or args.keep_changed):
        print(f"error: {len(report['changed'])} notebook(s) in {args.out} changed by a person were "
              "not replaced (listed above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
