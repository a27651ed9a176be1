"""fit's notebook bar as nbval sees it.

nbval compares a fresh run with the stored notebook but ignores ``update_display_data``: it sees
only the bar's first display. So that display must already carry the finished bar's text, which
is what the saved notebook stores once the run ends (`nbconvert` applies the update).
"""

import IPython.display
import numpy as np

import cnnlab as cl
from cnnlab import train


def test_the_first_display_of_the_bar_is_already_its_final_text(monkeypatch):
    shown = []

    class Handle:
        def update(self, obj, **kwargs):
            shown.append(("update", obj))

    def fake_display(obj, raw=False, display_id=None, **kwargs):
        shown.append(("display", obj if raw else {"text/plain": repr(obj)}))
        return Handle()

    monkeypatch.setattr(train, "_in_notebook", lambda: True)
    monkeypatch.setattr(IPython.display, "display", fake_display)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 1, 4, 4)), rng.integers(0, 3, 40)
    model = cl.Sequential(cl.Flatten(), cl.Linear(16, 3, rng=0))
    train.fit(model, X, y, 2, 10, train.SGD(model, lr=0.1), rng=0)

    kind, first = shown[0]
    assert kind == "display"
    assert first["text/plain"] == "[##############################] 100%  2 epochs of 4 batches"
    assert "application/vnd.jupyter.widget-view+json" in first      # still a live widget in Lab
    kind, last = shown[-1]
    assert kind == "update" and last.data == first["text/plain"]      # the same text at the end
