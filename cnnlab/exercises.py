"""Self-checks for the notebooks' exercises, with messages a learner can act on.

A check passes quietly with a short "Correct" line, or stops the notebook with one of two
errors whose message says what to do:

- `ExerciseNotDone` (a NotImplementedError): the answer is missing, or the function still
  raises NotImplementedError, as in the student version before the exercise is done;
- `ExerciseError` (an AssertionError): an answer is there but wrong; the message shows the
  smallest failing case (input, expected shape, what came back) and an optional hint.

Examples
--------
>>> answer = 784
>>> check_value("answer", 28 * 28, namespace={"answer": 784})
Correct!
"""

import sys

import numpy as np

__all__ = ["ExerciseNotDone", "ExerciseError", "check_value", "check_function"]


class ExerciseNotDone(NotImplementedError):
    """The exercise has not been answered yet."""


class ExerciseError(AssertionError):
    """The exercise has an answer, but it is not right yet."""


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


def check_value(name, expected, *, hint=None, rtol=1e-6, atol=1e-9, namespace=None):
    """Check the variable ``name`` (looked up in the calling notebook) against ``expected``.

    Parameters
    ----------
    name : str
        The variable the exercise asks for.
    expected : number, array_like, str or bool
        The right answer. Numbers and arrays are compared with ``numpy.allclose``.
    hint : str, optional
        A nudge shown when the answer is wrong.
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
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    if name not in namespace:
        raise ExerciseNotDone(f"`{name}` is not defined yet: write your answer in the exercise "
                              "cell above, run that cell, then run this check again.")
    problem = _mismatch(namespace[name], expected, rtol, atol)
    if problem:
        raise ExerciseError(f"`{name}`: {problem}." + (f"\nHint: {hint}" if hint else ""))
    print("Correct!")


def check_function(func, cases, *, hint=None, rtol=1e-6, atol=1e-9, namespace=None):
    """Call the learner's function on each case and compare with the expected result.

    Parameters
    ----------
    func : callable or str
        The function, or its name in the calling notebook.
    cases : list of (args, expected)
        ``args`` is a tuple of positional arguments (or a dict of keyword arguments);
        ``expected`` the right result. Put the smallest, most telling cases first: the first
        that fails is the one shown.
    hint : str, optional

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
            raise ExerciseError(f"`{fname}` raised {type(exc).__name__}: {exc}\nwhen called with: "
                                f"{shown}" + (f"\nHint: {hint}" if hint else "")) from None
        problem = _mismatch(got, expected, rtol, atol)
        if problem:
            raise ExerciseError(
                f"`{fname}` is not right yet: {problem}.\nCalled with: {shown}\n"
                f"Expected: {_describe(expected)}\nGot: {_describe(got)}"
                + (f"\nHint: {hint}" if hint else ""))
    print(f"Correct! ({len(cases)} case{'s' if len(cases) != 1 else ''} checked)")
