"""The explorers on a projector: JupyterLab at 1024 x 768 runs the tour notebook; every explorer's
output must be at most 600 px tall and must not overflow sideways. The height, the width and the
end-to-end redraw time of one slider step (key press to changed picture) of each explorer are
printed; the timings are not asserted (they depend on the machine). Every control's label must sit
beside its control, on the same line."""

import statistics
import time

import pytest

pytestmark = pytest.mark.browser

NOTEBOOK = "00_explorers_tour.ipynb"
EXPLORERS = 10
VIEWPORT = {"width": 1024, "height": 768}
MAX_HEIGHT = 600

# The explorer's output area: its height, its width, the width it may use, and how far any of its
# content reaches beyond it on the right (0 when nothing overflows sideways).
MEASURE_JS = """el => {
    const out = el.closest('.jp-OutputArea-output') || el;
    const box = out.getBoundingClientRect();
    let right = box.right;
    for (const child of el.querySelectorAll('*')) {
        const r = child.getBoundingClientRect();
        if (r.width > 0 && r.height > 0) right = Math.max(right, r.right);
    }
    // Every control's label sits left of its control, on the same line.
    const labels = [];
    for (const label of el.querySelectorAll('.widget-inline-hbox > .widget-label')) {
        const next = label.nextElementSibling;
        const l = label.getBoundingClientRect();
        if (!next || !label.innerText.trim() || l.width === 0) continue;
        const n = next.getBoundingClientRect();
        const mid = (l.top + l.bottom) / 2;
        if (l.right > n.left + 1 || mid < n.top || mid > n.bottom) labels.push(label.innerText);
    }
    return {height: box.height, width: box.width, overflow: Math.max(0, right - box.right),
            labels: labels,
            scroll: Math.max(0, out.scrollWidth - out.clientWidth,
                             el.scrollWidth - el.clientWidth),
            title: (el.querySelector('.cnnlab-title') || {innerText: '?'}).innerText};
}"""

FINGERPRINT_JS = """el => Array.from(el.querySelectorAll('img')).map(i => i.src).join('|') + '#' +
    Array.from(el.querySelectorAll('.cnnlab-panel-title, .cnnlab-info, .cnnlab-message'))
        .map(t => t.innerText).join('|')"""


def _run_tour(page, lab):
    page.set_viewport_size(VIEWPORT)
    page.goto(f"{lab.url}/lab/tree/{NOTEBOOK}")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext")
    lab.wait_for_kernel(page)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(f"() => document.querySelectorAll('.cnnlab-explorer').length >= {EXPLORERS}",
                           timeout=120_000)
    page.wait_for_function("""() => Array.from(document.querySelectorAll('.cnnlab-explorer'))
        .every(e => e.querySelectorAll('img').length > 0 &&
                    Array.from(e.querySelectorAll('img')).every(i => i.complete &&
                        (i.src.startsWith('blob:') || i.src.startsWith('data:'))))""",
                           timeout=120_000)


def _redraw_ms(explorer):
    """Milliseconds from a key press on the first slider to a changed picture, or None."""
    handle = explorer.locator(".widget-slider .noUi-handle").first
    at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
    before = explorer.evaluate(FINGERPRINT_JS)
    handle.focus()
    start = time.perf_counter()
    handle.press("ArrowLeft" if at_max else "ArrowRight")
    deadline = start + 10
    while time.perf_counter() < deadline:
        if explorer.evaluate(FINGERPRINT_JS) != before:
            return (time.perf_counter() - start) * 1000
        time.sleep(0.005)
    return None


def test_every_explorer_fits_a_projector(page, lab, screenshots):
    _run_tour(page, lab)
    explorers = page.locator(".cnnlab-explorer")
    assert explorers.count() == EXPLORERS
    page.wait_for_timeout(500)  # the last images laid out
    rows, too_big = [], []
    for e in range(EXPLORERS):
        explorer = explorers.nth(e)
        explorer.scroll_into_view_if_needed()
        m = explorer.evaluate(MEASURE_JS)
        explorer.screenshot(path=str(screenshots / f"projector_explorer{e}.png"))
        times = [t for t in (_redraw_ms(explorer) for _ in range(3)) if t is not None]
        median = f"{statistics.median(times):.0f} ms" if times else "no change"
        rows.append(f"{m['title'][:40]:40s} {m['height']:5.0f} x {m['width']:4.0f} px  "
                    f"overflow {m['overflow']:3.0f} px  redraw {median}")
        if m["labels"]:
            too_big.append(f"{m['title']}: labels not beside their controls: {m['labels']}")
        if m["height"] > MAX_HEIGHT or m["overflow"] > 1 or m["scroll"] > 1:
            too_big.append(f"{m['title']}: {m['height']:.0f} px tall, {m['overflow']:.0f} px "
                           f"beyond the right edge, scroll {m['scroll']:.0f} px")
    print(f"\nexplorers at {VIEWPORT['width']} x {VIEWPORT['height']} (limit {MAX_HEIGHT} px tall):")
    print("\n".join(rows))
    assert not too_big, too_big
