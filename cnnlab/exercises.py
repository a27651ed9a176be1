"""Self-checks for the notebooks' exercises, with messages a learner can act on.

A check passes quietly with a short "Correct" line, or stops the notebook with one of two
errors whose message says what to do:

- `ExerciseNotDone` (a NotImplementedError): the answer is missing, or the function still
  raises NotImplementedError, as in the student version before the exercise is done;
- `ExerciseError` (an AssertionError): an answer is there but wrong; the message shows the
  smallest failing case (input, expected shape, what came back) and the first hint.

In a check cell with hidden tests (nbgrader's ``### BEGIN HIDDEN TESTS`` region, run only when
grading), the checks say which part they are, so a feedback report never says "Correct!" before a
hidden test fails: ``part="visible"`` on the checks above the region ("Correct on the 4 visible
cases; grading runs hidden tests too."), ``part="hidden"`` on those inside it (a failure starts
"A hidden test failed (the visible cases passed)"; a pass prints "Correct! ..."). `check_that`
checks any condition with a message in words, instead of a bare ``assert``.

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

import copy
import inspect
import numbers
import sys

import numpy as np

__all__ = ["ExerciseNotDone", "ExerciseError", "check_value", "check_function", "check_that", "hint"]


class _MessageOnly:
    """In a notebook, show the message alone: the traceback through this module's checks would
    only push what the learner needs (and a graded student's feedback) below the fold."""

    def _render_traceback_(self):  # IPython shows these lines instead of the traceback
        return [f"{type(self).__name__}: {self}"]


class ExerciseNotDone(_MessageOnly, NotImplementedError):
    """The exercise has not been answered yet."""


class ExerciseError(_MessageOnly, AssertionError):
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


PARTS = (None, "visible", "hidden")
HIDDEN_FAILED = "A hidden test failed (the visible cases passed): "


def _part(func, part):
    if part not in PARTS:
        raise ValueError(f"{func}: part must be None, 'visible' or 'hidden', not {part!r}")
    return part


def _key(key, part):
    """Hidden checks count their failures apart from the visible check of the same name."""
    return key + ("hidden",) if part == "hidden" else key


def _fail(key, message, hints, part=None):
    """The ExerciseError for the n-th failure of check ``key``: the first n hints."""
    global _last_failed
    if part == "hidden":
        message = HIDDEN_FAILED + message
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


def _pass_message(part, cases=None):
    """What a passing check prints: "Correct!" only where no hidden test is still to come."""
    counted = "" if cases is None else f" ({cases} case{'s' if cases != 1 else ''} checked)"
    if part == "visible":
        what = ("the visible check" if cases is None
                else f"the {cases} visible case{'s' if cases != 1 else ''}")
        return f"Correct on {what}; grading runs hidden tests too."
    if part == "hidden":
        return ("Correct! The hidden test passes too." if cases is None
                else f"Correct! The hidden tests pass too{counted}.")
    return f"Correct!{counted}"


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
    try:
        arr = np.asarray(value) if not isinstance(value, (str, bytes)) else None
    except (TypeError, ValueError):  # a ragged list, say: shown as it is
        arr = None
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
        raw = np.asarray(got) if not isinstance(got, (str, bytes)) else None
    except (TypeError, ValueError):  # NumPy cannot make one array of it
        return (f"got a {type(got).__name__} whose rows have different lengths (a ragged "
                f"{type(got).__name__}), not an array of numbers; every row must have as many "
                f"entries as the others")
    if raw is not None and raw.dtype.kind == "c" and np.asarray(expected).dtype.kind != "c":
        return (f"got complex numbers (dtype {raw.dtype}), but the answer has real numbers; "
                f"if the imaginary parts are only rounding noise, return the real part (.real)")
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
                namespace=None, part=None):
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
    part : None, "visible" or "hidden", optional
        In a check cell with hidden tests: "visible" for a check above the hidden region (it
        then prints "Correct on the visible check; grading runs hidden tests too." instead of
        "Correct!"), "hidden" for one inside it (a failure then starts "A hidden test failed").

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
    part = _part("check_value", part)
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    if name not in namespace:
        raise ExerciseNotDone(f"`{name}` is not defined yet: write your answer in the exercise "
                              "cell above, run that cell, then run this check again.")
    problem = _mismatch(namespace[name], expected, rtol, atol)
    key = _key(("value", name), part)
    if problem:
        raise _fail(key, f"`{name}`: {problem}.", hints, part)
    _passed(key, _pass_message(part), explain)


def check_function(func, cases, *, hint=None, hints=None, explain=None, rtol=1e-6, atol=1e-9,
                   namespace=None, part=None, allow_mutation=False):
    """Call the learner's function on each case and compare with the expected result.

    Parameters
    ----------
    func : callable or str
        The function, or its name in the calling notebook.
    cases : list of (args, expected)
        ``args`` is a tuple of positional arguments (or a dict of keyword arguments);
        ``expected`` the right result. Put the smallest, most telling cases first: the first
        that fails is the one shown.
    hint, hints, explain, part : optional
        As for `check_value`.
    allow_mutation : bool, optional
        False (default): the function must leave its arguments as they were; a case whose
        array, list or dict argument the function changed in place fails, naming the argument.
        True for an exercise that asks for a change in place.

    Returns
    -------
    None, after printing "Correct! (k cases checked)", when every case matches (with
    ``part="visible"``: "Correct on the k visible cases; grading runs hidden tests too.").

    Raises
    ------
    ExerciseNotDone
        The function is missing or raises NotImplementedError.
    ExerciseError
        A case fails; the message shows its input, what was expected and what came back, or
        which argument the function changed in place.

    Notes
    -----
    The function is called on deep copies of each case's arguments, so neither the cases
    nor the notebook's arrays they came from are ever changed by the check.

    Examples
    --------
    >>> def flip_in_place(k):
    ...     k[...] = k[::-1].copy()
    ...     return k
    >>> sobel = np.array([1, 0, -1])
    >>> try:
    ...     check_function(flip_in_place, [((sobel,), [-1, 0, 1])])
    ... except ExerciseError as e:
    ...     print(str(e).split(":")[0])
    `flip_in_place` changed its argument `k` in place
    >>> sobel                                   # the caller's array is untouched
    array([ 1,  0, -1])
    """
    __tracebackhide__ = True
    hints = _hint_list("check_function", hint, hints)
    part = _part("check_function", part)
    if isinstance(func, str):
        ns = sys._getframe(1).f_globals if namespace is None else namespace
        if func not in ns:
            raise ExerciseNotDone(f"`{func}` is not defined yet: run the exercise cell above first.")
        func = ns[func]
    fname = getattr(func, "__name__", "your function")
    key = _key(("function", fname), part)
    if not isinstance(allow_mutation, (bool, np.bool_)):
        raise TypeError(f"check_function: allow_mutation must be True or False, got {allow_mutation!r}")
    for args, expected in cases:
        kwargs = args if isinstance(args, dict) else {}
        pos = () if isinstance(args, dict) else tuple(args)
        shown = ", ".join([_describe(a) for a in pos] + [f"{k}={_describe(a)}" for k, a in kwargs.items()])
        given_pos, given_kw = [_copy(a) for a in pos], {k: _copy(a) for k, a in kwargs.items()}
        try:
            got = func(*given_pos, **given_kw)
        except NotImplementedError:
            raise ExerciseNotDone(f"`{fname}` is not implemented yet: replace "
                                  "`raise NotImplementedError()` with your code and run the cell.") from None
        except Exception as exc:
            raise _fail(key, f"`{fname}` raised {type(exc).__name__}: {exc}\n"
                        f"when called with: {shown}", hints, part) from None
        problem = _mismatch(got, expected, rtol, atol)
        if problem:
            raise _fail(key,
                        f"`{fname}` is not right yet: {problem}.\nCalled with: {shown}\n"
                        f"Expected: {_describe(expected)}\nGot: {_describe(got)}", hints, part)
        if not allow_mutation:
            names = _argument_names(func, len(pos), kwargs)
            for name, before, after in zip(names, list(pos) + list(kwargs.values()),
                                           given_pos + list(given_kw.values())):
                if _changed(before, after):
                    raise _fail(key,
                                f"`{fname}` changed its argument `{name}` in place: the exercise "
                                f"asks for a new result with the input left as it was. Work on a "
                                f"copy (e.g. `{name} = {name}.copy()` first) or build a new "
                                f"array.\nCalled with: {shown}\nAfterwards `{name}` was: "
                                f"{_describe(after)}", hints, part)
    _passed(key, _pass_message(part, len(cases)), explain)


def _copy(value):
    """A deep copy of a case's argument (the argument itself if it cannot be copied)."""
    try:
        return copy.deepcopy(value)
    except Exception:  # a module, a lock, a generator...: passed as it is
        return value


def _argument_names(func, n_positional, kwargs):
    """The names of the first ``n_positional`` parameters of ``func``, then the keywords'."""
    names = [f"argument {i + 1}" for i in range(n_positional)]
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):  # no signature (some built-ins)
        params = []
    for i, p in enumerate(params[:n_positional]):
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names[i] = p.name
        else:
            break
    return names + list(kwargs)


def _changed(before, after):
    """Whether ``after`` (the copy the function was given) differs from ``before``: arrays and
    lists, tuples and dicts of them are compared; other objects are taken as unchanged."""
    if after is before:
        return False
    if isinstance(before, np.ndarray):
        if not isinstance(after, np.ndarray) or after.shape != before.shape or after.dtype != before.dtype:
            return True
        try:
            return not np.array_equal(before, after, equal_nan=before.dtype.kind in "fc")
        except TypeError:  # object arrays
            return not np.array_equal(before, after)
    if isinstance(before, (list, tuple)):
        return (type(after) is not type(before) or len(after) != len(before)
                or any(_changed(b, a) for b, a in zip(before, after)))
    if isinstance(before, dict):
        return (not isinstance(after, dict) or list(after) != list(before)
                or any(_changed(before[k], after[k]) for k in before))
    if isinstance(before, (numbers.Number, str, bytes, type(None), np.generic)):  # inside a list
        same = type(after) is type(before) and (after == before or (after != after and before != before))
        return not same
    return False


def check_that(condition, message, *, hint=None, hints=None, explain=None, part=None):
    """Check a condition that no expected value expresses, failing with ``message`` in words.

    Use it instead of a bare ``assert`` (whose failure in nbgrader's feedback is an empty
    AssertionError), e.g. that a function leaves its input unchanged.

    Parameters
    ----------
    condition : bool or callable
        The condition, or a function of no arguments that computes it: then an exception it
        raises (the learner's code failing) is reported with ``message`` instead of escaping.
    message : str
        What is wrong when the condition is false, in words a learner can act on.
    hint, hints, explain, part : optional
        As for `check_value`.

    Returns
    -------
    None, after printing "Correct!" (or the `part`'s line), when the condition holds.

    Raises
    ------
    ExerciseNotDone
        ``condition`` is a callable that raises NotImplementedError.
    ExerciseError
        The condition is false, or computing it raised; the message is ``message``.

    Examples
    --------
    >>> def double(v):
    ...     v *= 2
    ...     return v
    >>> a = np.array([1, 2])
    >>> before = a.copy()
    >>> check_that(np.array_equal(double(a), 2 * before), "`double` must double every entry")
    Correct!
    >>> try:
    ...     check_that(np.array_equal(a, before), "`double` must not change its input: work on "
    ...                "a copy.", part="hidden")
    ... except ExerciseError as e:
    ...     print(e)
    A hidden test failed (the visible cases passed): `double` must not change its input: work on a copy.
    """
    __tracebackhide__ = True
    hints = _hint_list("check_that", hint, hints)
    part = _part("check_that", part)
    if not isinstance(message, str) or not message.strip():
        raise TypeError("check_that: message must say in words what is wrong")
    key = _key(("that", message), part)
    if callable(condition):
        try:
            condition = condition()
        except NotImplementedError:
            raise ExerciseNotDone("The exercise is not implemented yet: replace "
                                  "`raise NotImplementedError()` with your code and run the cell.") from None
        except Exception as exc:
            raise _fail(key, f"{message}\n(Checking it raised {type(exc).__name__}: {exc})",
                        hints, part) from None
    if not bool(condition):
        raise _fail(key, message, hints, part)
    _passed(key, _pass_message(part), explain)
