"""Self-checks for the notebooks' exercises, with messages a learner can act on.

A check passes quietly with a short "Correct" line, or stops the notebook with one of two
errors whose message says what to do:

- `ExerciseNotDone` (a NotImplementedError): the answer is missing, or the function still
  raises NotImplementedError, as in the student version before the exercise is done;
- `ExerciseError` (an AssertionError): an answer is there but wrong; the message shows the
  smallest failing case (input, expected shape, what came back) and the first hint.

Hints come in tiers, from a nudge to nearly the answer: ``hints=["what is wrong", "more"]``.
A first failure shows the first; each further failure of the same check adds the next, and
`hint()` shows the next one without running the check again. ``explain`` is printed once the
answer is right: why it is right, or what the bug in a find-the-bug exercise was.

Examples
--------
>>> answer = 784
>>> check_value("answer", 28 * 28, namespace={"answer": 784})
Correct!
"""

import sys

import numpy as np

__all__ = ["ExerciseNotDone", "ExerciseError", "check_value", "check_function", "hint"]


class ExerciseNotDone(NotImplementedError):
    """The exercise has not been answered yet."""


class ExerciseError(AssertionError):
    """The exercise has an answer, but it is not right yet."""


# How often each check has failed in this kernel, and which failed last: the tiers of hints.
_failures = {}
_last_failed = None


def _hint_list(func, hint, hints):
    if hint is not None and hints is not None:
        raise TypeError(f"{func}: give hint or hints, not both")
    out = [hint] if hint is not None else list(hints or [])
    if not all(isinstance(h, str) for h in out):
        raise TypeError(f"{func}: hints must be strings")
    return out


def _fail(key, message, hints):
    """The ExerciseError for the n-th failure of check ``key``: the first n hints."""
    global _last_failed
    n = _failures[key] = _failures.get(key, 0) + 1
    _last_failed = (key, hints)
    shown = hints[:n]
    text = message + "".join(f"\nHint {i + 1}: {h}" if len(hints) > 1 else f"\nHint: {h}"
                             for i, h in enumerate(shown))
    if len(hints) > n:
        text += "\n(Run hint() for the next hint, or fix and run this check again.)"
    return ExerciseError(text)


def _passed(key, message, explain):
    _failures.pop(key, None)
    print(message if explain is None else f"{message}\n{explain}")


def hint():
    """Print the next hint for the check that failed last (all of them once they run out).

    Examples
    --------
    >>> try:
    ...     check_value("pixels", 784, hints=["Count the pixels.", "28 rows of 28."],
    ...                 namespace={"pixels": 28})
    ... except ExerciseError as e:
    ...     print(e)
    `pixels`: got 28, which is not right yet.
    Hint 1: Count the pixels.
    (Run hint() for the next hint, or fix and run this check again.)
    >>> hint()
    Hint 2: 28 rows of 28.
    """
    if _last_failed is None:
        print("No check has failed yet: run the check cell first.")
        return
    key, hints = _last_failed
    n = _failures.get(key, 0)
    if n >= len(hints):
        print("No more hints for this check: the ones above are all there are."
              if hints else "This check has no hints.")
        return
    _failures[key] = n + 1
    print(f"Hint {n + 1}: {hints[n]}")


def _describe(value):
    arr = np.asarray(value) if not isinstance(value, (str, bytes)) else None
    if arr is not None and arr.dtype != object and arr.ndim > 0:
        if arr.size <= 25:
            return f"array of shape {arr.shape}:\n{np.array2string(arr, precision=4)}"
        return f"array of shape {arr.shape}"
    return repr(value)


def _mismatch(got, expected, rtol, atol):
    """None when ``got`` matches ``expected``, else a sentence saying how it differs."""
    if isinstance(expected, (str, bool, type(None))):
        return None if got == expected else f"got {got!r}, expected a different value"
    try:
        exp = np.asarray(expected, dtype=float)
        val = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return f"expected a number or an array of numbers, got {type(got).__name__}"
    if val.shape != exp.shape:
        return f"the shape is {val.shape}, but it should be {exp.shape}"
    if not np.allclose(val, exp, rtol=rtol, atol=atol, equal_nan=False):
        if exp.ndim == 0:
            return f"got {float(val):g}, which is not right yet"
        bad = np.argwhere(~np.isclose(val, exp, rtol=rtol, atol=atol))
        first = tuple(int(i) for i in bad[0])
        return (f"the shape is right, but {len(bad)} of {exp.size} entries differ; the first at "
                f"index {first}: got {val[first]:g}, expected {exp[first]:g}")
    return None


def check_value(name, expected, *, hint=None, hints=None, explain=None, rtol=1e-6, atol=1e-9,
                namespace=None):
    """Check the variable ``name`` (looked up in the calling notebook) against ``expected``.

    Parameters
    ----------
    name : str
        The variable the exercise asks for.
    expected : number, array_like, str or bool
        The right answer. Numbers and arrays are compared with ``numpy.allclose``.
    hint : str, optional
        A nudge shown when the answer is wrong (the one-tier form of ``hints``).
    hints : list of str, optional
        Tiers, vaguest first: the n-th failure shows the first n (see `hint`). None of them
        should give away the answer's expression.
    explain : str, optional
        Printed after "Correct!": why, or what the bug was.
    namespace : dict, optional
        Where to look ``name`` up; the caller's globals by default.

    Returns
    -------
    None, after printing "Correct!", when the answer matches (so nothing else is shown).

    Raises
    ------
    ExerciseNotDone
        ``name`` is not defined yet.
    ExerciseError
        ``name`` has a wrong value.
    """
    __tracebackhide__ = True
    hints = _hint_list("check_value", hint, hints)
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    if name not in namespace:
        raise ExerciseNotDone(f"`{name}` is not defined yet: write your answer in the exercise "
                              "cell above, run that cell, then run this check again.")
    problem = _mismatch(namespace[name], expected, rtol, atol)
    if problem:
        raise _fail(("value", name), f"`{name}`: {problem}.", hints)
    _passed(("value", name), "Correct!", explain)


def check_function(func, cases, *, hint=None, hints=None, explain=None, rtol=1e-6, atol=1e-9,
                   namespace=None):
    """Call the learner's function on each case and compare with the expected result.

    Parameters
    ----------
    func : callable or str
        The function, or its name in the calling notebook.
    cases : list of (args, expected)
        ``args`` is a tuple of positional arguments (or a dict of keyword arguments);
        ``expected`` the right result. Put the smallest, most telling cases first: the first
        that fails is the one shown.
    hint, hints, explain : optional
        As for `check_value`.

    Returns
    -------
    None, after printing "Correct! (k cases checked)", when every case matches.

    Raises
    ------
    ExerciseNotDone
        The function is missing or raises NotImplementedError.
    ExerciseError
        A case fails; the message shows its input, what was expected and what came back.
    """
    __tracebackhide__ = True
    hints = _hint_list("check_function", hint, hints)
    if isinstance(func, str):
        ns = sys._getframe(1).f_globals if namespace is None else namespace
        if func not in ns:
            raise ExerciseNotDone(f"`{func}` is not defined yet: run the exercise cell above first.")
        func = ns[func]
    fname = getattr(func, "__name__", "your function")
    for args, expected in cases:
        kwargs = args if isinstance(args, dict) else {}
        pos = () if isinstance(args, dict) else tuple(args)
        shown = ", ".join([_describe(a) for a in pos] + [f"{k}={_describe(a)}" for k, a in kwargs.items()])
        try:
            got = func(*pos, **kwargs)
        except NotImplementedError:
            raise ExerciseNotDone(f"`{fname}` is not implemented yet: replace "
                                  "`raise NotImplementedError()` with your code and run the cell.") from None
        except Exception as exc:
            raise _fail(("function", fname), f"`{fname}` raised {type(exc).__name__}: {exc}\n"
                        f"when called with: {shown}", hints) from None
        problem = _mismatch(got, expected, rtol, atol)
        if problem:
            raise _fail(("function", fname),
                        f"`{fname}` is not right yet: {problem}.\nCalled with: {shown}\n"
                        f"Expected: {_describe(expected)}\nGot: {_describe(got)}", hints)
    _passed(("function", fname),
            f"Correct! ({len(cases)} case{'s' if len(cases) != 1 else ''} checked)", explain)
