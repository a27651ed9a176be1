"""The explorers in a real browser: JupyterLab runs the tour notebook, every slider moves one step
with the keyboard, and its explorer's picture or text must change. Screenshots of each explorer
go to build/screenshots/ (or $CNNLAB_SCREENSHOTS)."""

import time

import pytest

pytestmark = pytest.mark.browser

NOTEBOOK = "00_explorers_tour.ipynb"
EXPLORERS = 10

# Everything an explorer shows: image sources (a new blob: URL per new image) and texts.
FINGERPRINT_JS = """el => {
    const srcs = Array.from(el.querySelectorAll('img')).map(i => i.src).join('|');
    const texts = Array.from(el.querySelectorAll('.cnnlab-panel-title, .cnnlab-info, .cnnlab-message'))
        .map(t => t.innerText).join('|');
    return srcs + '#' + texts;
}"""


def _open_and_run(page, lab):
    page.goto(f"{lab.url}/lab/tree/{NOTEBOOK}")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext")
    lab.wait_for_kernel(page)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(f"() => document.querySelectorAll('.cnnlab-explorer').length >= {EXPLORERS}",
                           timeout=90_000)
    # Wait until every explorer has drawn its first images.
    page.wait_for_function("""() => Array.from(document.querySelectorAll('.cnnlab-explorer'))
        .every(e => Array.from(e.querySelectorAll('img')).length > 0 &&
                    Array.from(e.querySelectorAll('img')).every(i => i.src.startsWith('blob:')
                                                                  || i.src.startsWith('data:')))""",
                           timeout=60_000)


def _wait_changed(explorer, before, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = explorer.evaluate(FINGERPRINT_JS)
        if now != before:
            return now
        time.sleep(0.1)
    return None


def test_every_slider_of_every_explorer_redraws(page, lab, screenshots):
    _open_and_run(page, lab)
    explorers = page.locator(".cnnlab-explorer")
    assert explorers.count() == EXPLORERS
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.first.inner_text()
    moved, failures = [], []
    for e in range(EXPLORERS):
        explorer = explorers.nth(e)
        explorer.scroll_into_view_if_needed()
        title = explorer.locator(".cnnlab-title").inner_text()
        explorer.screenshot(path=str(screenshots / f"explorer{e}_before.png"))
        handles = explorer.locator(".widget-slider .noUi-handle")
        assert handles.count() >= 1, f"{title}: no sliders found"
        # Last slider first: the "position"/"window" sliders come last and their range depends
        # on the others, so moving them first never finds a slider with nowhere to go.
        for h in reversed(range(handles.count())):
            handle = handles.nth(h)
            label = handle.get_attribute("aria-valuenow")
            at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
            key = "ArrowLeft" if at_max else "ArrowRight"
            before = explorer.evaluate(FINGERPRINT_JS)
            handle.focus()
            handle.press(key)
            after = _wait_changed(explorer, before)
            name = f"{title} slider {h} ({key} from {label})"
            (moved if after is not None else failures).append(name)
        explorer.screenshot(path=str(screenshots / f"explorer{e}_after.png"))
    assert not failures, f"nothing changed after moving: {failures}"
    broken = [t for t in page.locator(".cnnlab-message").all_inner_texts() if "went wrong" in t]
    assert not broken, broken
    assert len(moved) >= 40, moved  # 41 sliders in the ten explorers of the tour
