"""Run All in JupyterLab, as a learner and as a teacher meet it.

- A student version (``make practice``, ``make student``): Run All goes on past the unfinished
  exercises to the last cell, and each unfinished exercise still says so. The same notebook
  without the ``raises-exception`` tag stops at the first one: the tag is what makes the difference.
- The demo version (``make demo``): exercise cells are folded (no solution on the screen), the
  fonts are the demo's large ones, and Run All runs everything, every check printing "Correct!".
"""

from pathlib import Path

import nbformat
import pytest

from cnnlab.student import (
    DEMO_FONTS,
    DEMO_SETTINGS,
    RUN_ON_TAG,
    make_student_notebook,
    make_student_version,
    write_checks,
)

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser

LESSON = "01_why_cnns.ipynb"  # a short lesson: three exercises, figures after them
UNTAGGED = "01_why_cnns_untagged.ipynb"
DEMO_LESSON = "03_padding_and_stride.ipynb"

# Every cell of the current notebook as JupyterLab holds it.
CELLS_JS = """() => window.jupyterapp.shell.currentWidget.content.widgets.map(c => ({
    type: c.model.type,
    tags: c.model.getMetadata('tags') || [],
    count: c.model.type === 'code' ? c.model.executionCount : null,
    outputs: c.model.type === 'code' ? JSON.stringify(c.model.outputs.toJSON()) : '',
    inputHidden: c.inputHidden,
}))"""


def _open_and_run_all(page, lab, name):
    page.goto(f"{lab.url}/lab/tree/{name}?reset")
    page.wait_for_function(f"""() => window.jupyterapp && window.jupyterapp.shell.currentWidget
        && window.jupyterapp.shell.currentWidget.context
        && window.jupyterapp.shell.currentWidget.context.path === '{name}'""")
    lab.wait_for_kernel(page)
    # The command sends every cell at once and resolves at the first error (KernelReplyNotOK),
    # while the kernel goes on with the rest unless that cell's request said stop_on_error=false
    # (raises-exception), and JupyterLab stops marking the rest as running. So wait until the kernel
    # is idle, no cell is running and no execution count has changed for three seconds: the kernel
    # is idle for a moment between two cells, which once ended the wait five cells too early.
    page.evaluate("""() => { window.__runAll = {counts: null, since: Date.now()};
        window.jupyterapp.commands.execute('notebook:run-all-cells'); }""")
    page.wait_for_function("""() => {
        const nb = window.jupyterapp.shell.currentWidget;
        const counts = JSON.stringify(nb.content.widgets.map(c => c.model.executionCount));
        const quiet = nb.sessionContext.session.kernel.status === 'idle' && nb.content.widgets.every(
            c => c.model.type !== 'code' || c.model.executionState !== 'running');
        const now = Date.now();
        if (!quiet || counts !== window.__runAll.counts) {
            window.__runAll = {counts: counts, since: now};
            return false;
        }
        return now - window.__runAll.since > 3000;
    }""", timeout=300_000, polling=500)
    return page.evaluate(CELLS_JS)


@pytest.fixture(scope="module")
def lab(chromium_path, lab_server, tmp_path_factory):
    folder = tmp_path_factory.mktemp("run-all")
    solved = nbformat.read(REPO / "notebooks" / LESSON, as_version=4)
    student = make_student_notebook(solved, LESSON)
    nbformat.write(student, folder / LESSON)
    write_checks(solved, LESSON, folder)  # .checks/, beside the notebooks, as make practice writes it
    for cell in student.cells:
        tags = cell.metadata.get("tags", [])
        if RUN_ON_TAG in tags:
            tags.remove(RUN_ON_TAG)
    nbformat.write(student, folder / UNTAGGED)
    server = lab_server(folder)  # the folder as the root: the notebooks and their .checks/
    yield server
    server.stop()


@pytest.fixture(scope="module")
def demo_lab(chromium_path, lab_server, tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "demo"
    make_student_version(REPO / "notebooks", folder, demo=True, only=DEMO_LESSON)
    server = lab_server(folder, settings_dir=DEMO_SETTINGS)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def page(chromium_page, chromium_path):
    """A Chromium page; each test shuts its own kernels down (the servers are module-scoped)."""
    with chromium_page(chromium_path) as pg:
        yield pg


def _graded(cells):
    exercises = [c for c in cells if c["type"] == "code" and "exercise" in c["tags"]]
    checks = [c for c in cells if c["type"] == "code" and "check" in c["tags"]]
    return exercises, checks


def test_run_all_in_a_student_version_reaches_the_last_cell(page, lab, screenshots):
    cells = _open_and_run_all(page, lab, LESSON)
    code = [c for c in cells if c["type"] == "code"]
    exercises, checks = _graded(cells)
    assert len(exercises) == 3 and len(checks) == 3
    assert all(c["count"] is not None for c in code), \
        [i for i, c in enumerate(cells) if c["type"] == "code" and c["count"] is None]
    assert code[-1]["count"] == len(code)          # the last code cell ran, after all the others
    # Each unfinished exercise says so: the stub's NotImplementedError where it runs at once, and
    # every check cell the learner-facing ExerciseNotDone.
    assert any("NotImplementedError" in c["outputs"] for c in exercises)
    for check in checks:
        assert '"ename":"ExerciseNotDone"' in check["outputs"], check["outputs"][:300]
    errors = [c for c in code if '"error"' in c["outputs"]]
    assert all({"exercise", "check"} & set(c["tags"]) for c in errors)  # no other cell failed
    shown = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert "ExerciseNotDone" in " ".join(shown.all_inner_texts())          # visible on the page
    page.locator(".jp-Notebook").screenshot(path=str(screenshots / "run_all_student.png"))
    lab.shutdown_kernels(page)


def test_without_the_tag_run_all_stops_at_the_first_unfinished_exercise(page, lab):
    cells = _open_and_run_all(page, lab, UNTAGGED)
    code = [c for c in cells if c["type"] == "code"]
    first = next(i for i, c in enumerate(code) if "exercise" in c["tags"])
    assert "NotImplementedError" in code[first]["outputs"]
    assert all(c["count"] is None for c in code[first + 1:])  # nothing after it ran
    lab.shutdown_kernels(page)


def test_demo_folds_solutions_uses_large_fonts_and_runs_to_the_end(page, demo_lab, screenshots):
    cells = _open_and_run_all(page, demo_lab, DEMO_LESSON)
    exercises, checks = _graded(cells)
    assert exercises and all(c["inputHidden"] for c in exercises)
    assert not any(c["inputHidden"] for c in cells if "exercise" not in c["tags"])
    shown = page.locator(".jp-Notebook").inner_text()
    solved = nbformat.read(REPO / "notebooks" / DEMO_LESSON, as_version=4)
    answers = [line.strip() for cell in solved.cells if "exercise" in cell.metadata.get("tags", [])
               for line in cell.source.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0].split("\n")
               if len(line.strip()) > 8]
    assert answers and not [a for a in answers if a in shown]   # no line of a solution on the screen
    assert "# exercise 03.2" in shown    # folded to its first line (the mark naming it), not gone
    code = [c for c in cells if c["type"] == "code"]
    assert [c["count"] for c in code] == list(range(1, len(code) + 1))         # everything ran
    assert not any('"error"' in c["outputs"] for c in code)
    assert all("Correct!" in c["outputs"] for c in checks)
    # The cell number our messages give (describe_cell: from 1 over all cells) is the status bar's.
    exercise = next(i for i, c in enumerate(cells) if "exercise" in c["tags"])
    page.evaluate(f"() => {{ window.jupyterapp.shell.currentWidget.content.activeCellIndex = {exercise}; }}")
    page.wait_for_function(f"() => document.querySelector('#jp-main-statusbar').innerText"
                           f".includes('Cell {exercise + 1}/{len(cells)}')", timeout=10_000)
    font = page.evaluate("() => getComputedStyle(document.body).getPropertyValue('--jp-code-font-size').trim()")
    assert font == DEMO_FONTS["code-font-size"]
    page.locator(".jp-Notebook").screenshot(path=str(screenshots / "demo_run_all.png"))
    demo_lab.shutdown_kernels(page)
