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
A failure shows the first; `hint()` shows the next one (running the check again does not: the
learner decides when to see more). ``mistakes={1200: "the bias ..."}`` names common wrong
answers (values, or predicates of the answer) with the hint each deserves, shown instead of the
tiers. ``explain`` is printed once the answer is right: why it is right, or what the bug in a
find-the-bug exercise was.

A wrong `check_value` answer is described without the expected value: which entry is wrong and
whether it is too big, too small or of the wrong sign, how many entries or what shape the answer
has, and text ("1216") or a bool (True) is refused where a number is expected. `check_function`
shows the failing case in full (called with, expected, got): a test case, not the answer.

In the learners' copies (written by `cnnlab.student`) a check cell is a short call,
``check("02.3")``: the check's code, hints, explanation and the exercise's model solution are in
``.checks/NAME.json`` beside the notebook (`load_checks`), encoded so that a learner opening the
file sees no answer at a glance (base64 of zlib-compressed JSON: not security, anyone can decode
it). `check` runs that code in the notebook, first making sure the exercise cell above ran
without an error on its last run (in IPython, cnnlab records each cell's last run, see
`_install_ipython`), and `solution` shows the model solution on request.

Examples
--------
>>> answer = 784
>>> check_value("answer", 28 * 28, namespace={"answer": 784})
Correct!
"""

import base64
import copy
import inspect
import json
import numbers
import re
import sys
import zlib
from pathlib import Path

import numpy as np

__all__ = ["ExerciseNotDone", "ExerciseError", "check_value", "check_function", "check_that", "hint",
           "check", "solution", "written_answer", "encode_check", "decode_check", "load_checks", "CHECKS_DIR"]


class _MessageOnly:
    """In a notebook, show the message alone: the traceback through this module's checks would
    only push what the learner needs (and a graded student's feedback) below the fold."""

    def _render_traceback_(self):  # IPython shows these lines instead of the traceback
        return [f"{type(self).__name__}: {self}"]


class ExerciseNotDone(_MessageOnly, NotImplementedError):
    """The exercise has not been answered yet."""


class ExerciseError(_MessageOnly, AssertionError):
    """The exercise has an answer, but it is not right yet."""


# How many hint tiers the learner has asked for per check (at least the first is shown on a
# failure; `hint()` unlocks the next), and which check failed last.
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


def _fail(key, message, hints, part=None, mistake=None):
    """The ExerciseError of check ``key``: the mistake's own hint if the answer is a known
    mistake, else the hint tiers unlocked so far (the first, and one more per `hint` call).
    Running the check again does not unlock a tier."""
    global _last_failed
    if part == "hidden":
        message = HIDDEN_FAILED + message
    n = _failures.setdefault(key, 0 if mistake is not None else 1)  # tiers shown (asked for) so far
    _last_failed = (key, hints)
    if mistake is not None:
        text = f"{message}\nHint: {mistake}"
        if hints:
            text += "\n(Run hint() for a more general hint.)"
        return ExerciseError(text)
    n = _failures[key] = max(n, 1)
    shown = hints[:n]
    text = message + "".join(f"\nHint {i + 1}: {h}" if len(hints) > 1 else f"\nHint: {h}"
                             for i, h in enumerate(shown))
    if len(hints) > n:
        text += "\n(Run hint() for the next hint, or fix and run this check again.)"
    return ExerciseError(text)


def _mistake_list(func, mistakes):
    """``mistakes`` as a list of (value or predicate, hint) pairs."""
    if mistakes is None:
        return []
    items = list(mistakes.items()) if isinstance(mistakes, dict) else list(mistakes)
    for item in items:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], str)):
            raise TypeError(f"{func}: mistakes must be a dict {{wrong answer: hint}} or a list of "
                            "(wrong answer or predicate, hint) pairs")
    return items


def _match_mistake(got, mistakes, rtol, atol):
    """The hint of the first mistake ``got`` is (a value it matches, or a predicate it passes)."""
    for wrong, text in mistakes:
        if callable(wrong):
            try:
                if wrong(got):
                    return text
            except Exception:  # a predicate that does not apply to this answer
                continue
        elif _strict_type_problem(got, wrong) is None and _mismatch(got, wrong, rtol, atol) is None:
            return text
    return None


def _passed(key, message, explain):
    _failures.pop(key, None)
    print(message if explain is None else f"{message}\n{explain}")


def _pass_message(part, cases=None):
    """What a passing check prints: "Correct!" only where no hidden test is still to come."""
    if part == "visible" and _running is not None and not _running.get("graded"):
        part = None  # a learner's copy (not graded): there are no hidden tests to come
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
    `pixels` is 28, which is too small.
    Hint 1: Count the pixels.
    (Run hint() for the next hint, or fix and run this check again.)
    >>> hint()
    Hint 2: 28 rows of 28.
    """
    if _last_failed is None:
        print("No check has failed yet: run the check cell first.")
        return
    key, hints = _last_failed
    n = _failures.get(key, 1)
    if not hints:
        print("This check has no hints.")
        return
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


def _is_bool(value):
    return isinstance(value, (bool, np.bool_))


def _flat_items(value):
    """The items of a (nested) list or tuple, or ``[value]``."""
    if isinstance(value, (list, tuple)):
        return [x for item in value for x in _flat_items(item)]
    return [value]


def _strict_type_problem(got, expected):
    """None when ``got`` has the kind of value ``expected`` has, else what is wrong, in words.

    A number is never accepted as text ("1216") or as a bool (True), nor a bool as a number.
    """
    if _is_bool(expected):
        if not _is_bool(got):
            return f"is a {type(got).__name__}, but the answer is True or False"
        return None
    if isinstance(expected, (str, bytes)) or expected is None:
        return None
    exp_items = (list(np.asarray(expected).reshape(-1)) if isinstance(expected, np.ndarray)
                 else _flat_items(expected))
    if not exp_items or not all(isinstance(x, (numbers.Number, np.generic)) and not _is_bool(x)
                                for x in exp_items):
        return None  # not an answer made of numbers: compared as it is
    got_items = (list(got.reshape(-1)) if isinstance(got, np.ndarray) and got.dtype != object
                 else _flat_items(got))
    if isinstance(got, np.ndarray) and got.dtype.kind in "US":
        return f"holds text ({got.dtype}), but the answer is made of numbers: write them without quotes"
    if isinstance(got, np.ndarray) and got.dtype.kind == "b":
        return "holds True/False values, but the answer is made of numbers"
    for item in got_items:
        if isinstance(item, (str, bytes)):
            return (f"is text ({item!r}), but the answer is a number: write it without quotes"
                    if item is got else f"holds text ({item!r}), but the answer is made of numbers: "
                    "write them without quotes")
        if _is_bool(item):
            return (f"is {item}, a bool (True or False), but the answer is a number"
                    if item is got else f"holds {item}, a bool (True or False), but the answer is "
                    "made of numbers")
    return None


def _how_wrong(got, expected):
    """How the number ``got`` differs from ``expected``, without saying ``expected``."""
    if expected != 0 and got == -expected:
        return "has the wrong sign"
    words = "too big" if got > expected else "too small"
    if abs(got - expected) == 1 and float(expected).is_integer():
        words += " (off by one)"
    return f"is {words}"


def _value_problem(got, expected, rtol, atol):
    """None when ``got`` matches ``expected``, else which part is wrong and how, in words that do
    not give ``expected`` away (the message of a wrong `check_value` answer)."""
    problem = _strict_type_problem(got, expected)
    if problem:
        return problem
    if isinstance(expected, (str, bool, np.bool_, type(None))):
        return None if got == expected else "is not right yet"
    if _mismatch(got, expected, rtol, atol) is None:
        return None
    try:
        exp = np.asarray(expected, dtype=float)
        val = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return _mismatch(got, expected, rtol, atol)  # the kind of value is wrong: says so
    if val.shape != exp.shape:
        if exp.ndim == 0:
            return f"has {val.size} entries (shape {val.shape}), but the answer is one number"
        if val.ndim == 0:
            what = f"{exp.size} entries" if exp.ndim == 1 else f"shape {exp.shape}"
            return f"is one number, but the answer has {what}"
        if exp.ndim == 1 and val.ndim == 1:
            return f"has {val.size} entries, but the answer has {exp.size}"
        return f"has shape {val.shape}, but the answer has shape {exp.shape}"
    if exp.ndim == 0:
        return f"is {float(val):g}, which {_how_wrong(float(val), float(exp))}"
    bad = np.argwhere(~np.isclose(val, exp, rtol=rtol, atol=atol, equal_nan=False))
    first = tuple(int(i) for i in bad[0])
    where = f"[{first[0]}]" if exp.ndim == 1 else str(first)
    how = _how_wrong(float(val[first]), float(exp[first]))
    if len(bad) == 1:
        return f"entry {where} {how}; the other entries are right"
    return f"{len(bad)} of {exp.size} entries are wrong; the first, entry {where}, {how}"


def check_value(name, expected, *, hint=None, hints=None, explain=None, mistakes=None, rtol=1e-6,
                atol=1e-9, namespace=None, part=None):
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
        Tiers, vaguest first: a failure shows the first, and each `hint` call one more (running
        the check again does not). None of them should give away the answer's expression.
    mistakes : dict or list of (answer or predicate, str), optional
        Common wrong answers and the hint each deserves, e.g. ``{1200: "the bias ..."}``, or
        ``[(lambda got: got > 1000, "...")]``; the first that matches the answer is shown
        instead of the tiers.
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
        ``name`` has a wrong value. The message says which part is wrong and how (too big, too
        small, the wrong sign, the number of entries or the shape, the wrong kind of value:
        text or a bool for a number) without the expected value.
    """
    __tracebackhide__ = True
    hints = _hint_list("check_value", hint, hints)
    mistakes = _mistake_list("check_value", mistakes)
    part = _part("check_value", part)
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    if name not in namespace:
        raise ExerciseNotDone(f"`{name}` is not defined yet: write your answer in the exercise "
                              "cell above, run that cell, then run this check again (after a restart: "
                              "Run > Run All Above Selected Cell).")
    got = namespace[name]
    problem = _value_problem(got, expected, rtol, atol)
    key = _key(("value", name), part)
    if problem:
        raise _fail(key, f"`{name}` {problem}.", hints, part, _match_mistake(got, mistakes, rtol, atol))
    _passed(key, _pass_message(part), explain)


def check_function(func, cases, *, hint=None, hints=None, explain=None, mistakes=None, case_hints=None,
                   rtol=1e-6, atol=1e-9, namespace=None, part=None, allow_mutation=False):
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
    mistakes : dict or list of (result or predicate, str), optional
        As for `check_value`, matched against the result of the failing case.
    case_hints : dict of int to str, optional
        A hint about one case (its index in ``cases``), shown only when that case is the one
        that fails: a hint never talks about a case that passed. Known mistakes come first.
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
    mistakes = _mistake_list("check_function", mistakes)
    case_hints = dict(case_hints or {})
    if not all(isinstance(k, int) and isinstance(v, str) for k, v in case_hints.items()):
        raise TypeError("check_function: case_hints must map case indices (int) to hints (str)")
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
    for number, (args, expected) in enumerate(cases):
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
                        f"when called with: {shown}", hints, part, case_hints.get(number)) from None
        problem = _mismatch(got, expected, rtol, atol)
        if problem:
            raise _fail(key,
                        f"`{fname}` is not right yet: {problem}.\nCalled with: {shown}\n"
                        f"Expected: {_describe(expected)}\nGot: {_describe(got)}", hints, part,
                        _match_mistake(got, mistakes, rtol, atol) or case_hints.get(number))
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


# ---------------------------------------------------------------- the learners' copies: check("02.3")

#: The folder beside a learner's notebooks holding each notebook's checks (`load_checks`).
CHECKS_DIR = ".checks"
CHECKS_FORMAT = "cnnlab-checks 1"
CHECKS_NOTE = ("Encoded (base64 of zlib-compressed JSON) so that the answers are not the first thing one "
               "reads here; this is not security: cnnlab.exercises.decode_check reads it back.")
RUN_ABOVE = "run the cells above first (Run > Run All Above Selected Cell), then this check again"
#: The line the student version puts first in an exercise code cell: how `check` finds that cell.
EXERCISE_MARK = re.compile(r"^# exercise (\S+)", re.M)

# The check being run by `check` (its id, kind, whether graded), the wrong tries per check id,
# the last run of each cell (by cell id and by exercise mark): None when it ran without error.
_running = None
_tries = {}
_last_runs = {}
_last_check = None


def encode_check(entry):
    """``entry`` (a JSON-serialisable dict) as the text stored in a checks file (`decode_check`)."""
    return base64.b64encode(zlib.compress(json.dumps(entry).encode("utf-8"), 9)).decode("ascii")


def decode_check(text):
    """The dict that `encode_check` encoded as ``text``."""
    return json.loads(zlib.decompress(base64.b64decode(text)).decode("utf-8"))


def load_checks(folder=None):
    """Every check in ``folder/.checks/*.json`` (the current folder by default): {id: entry}."""
    base = Path.cwd() if folder is None else Path(folder)
    found = {}
    for path in sorted((base / CHECKS_DIR).glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if data.get("format") != CHECKS_FORMAT:
            continue
        for check_id, text in data.get("checks", {}).items():
            found[check_id] = (text, bool(data.get("graded")))
    return found


def _entry(func, check_id):
    if not isinstance(check_id, str):
        raise TypeError(f"{func}: check_id must be a string such as '02.3', got {check_id!r}")
    checks = load_checks()
    if check_id not in checks:
        raise ExerciseNotDone(f"{func}: no check {check_id!r} in {Path.cwd() / CHECKS_DIR}: open this "
                              "notebook from the folder cnnlab wrote it to (make practice writes "
                              "practice/ with its .checks/ folder)")
    text, graded = checks[check_id]
    entry = decode_check(text)
    entry["graded"] = graded
    return entry


def _exercise_failed(entry):
    """The error of the exercise cell's last run, if it raised (None if it ran, or if unknown)."""
    runs = [_last_runs[k] for k in (entry.get("exercise_cells") or []) if k in _last_runs]
    runs += [_last_runs[k] for k in [("mark", entry["id"])] if k in _last_runs]
    return next((error for error in runs if error is not None), None)


def check(check_id):
    """Run the check ``check_id`` (e.g. ``"02.3"``) of a learner's copy of a lesson.

    The check's code comes from the notebook's checks file (``.checks/NAME.json``, written by
    ``python -m cnnlab.student``) and runs in the notebook, as the solved notebook's check cell
    does. Before it runs: if the exercise cell above raised on its last run (the stub's
    ``raise NotImplementedError()``, or an error), the check says so instead of checking a
    value left over from an earlier run. A name the check needs that is not defined (after a
    kernel restart) gives "run the cells above first". A predict exercise, when right, says
    whether it was right on the first try.

    Raises
    ------
    ExerciseNotDone
        The exercise is not done (or its cell failed with NotImplementedError on its last run),
        the cells above have not run, or there is no such check in the checks file.
    ExerciseError
        The answer is wrong, or the exercise cell raised another error on its last run.
    """
    global _running, _last_check
    __tracebackhide__ = True
    entry = _entry("check", check_id)
    _last_check = check_id
    failed = _exercise_failed(entry)
    if isinstance(failed, NotImplementedError):
        raise ExerciseNotDone("The exercise cell above is not done yet: its last run stopped at "
                              "`raise NotImplementedError()`. Write your answer there, run it, then "
                              "run this check again.")
    if failed is not None:
        raise ExerciseError(f"The exercise cell above raised {type(failed).__name__} on its last run: "
                            f"{failed}\nFix it and run it again; this check looks at what that cell "
                            "computes, not at what an earlier run left behind.")
    namespace = sys._getframe(1).f_globals
    _running = entry
    try:
        exec(compile(entry["code"], f"<check {check_id}>", "exec"), namespace)
    except NameError as exc:
        raise ExerciseNotDone(f"This check needs a name that is not defined ({exc}): "
                              f"{RUN_ABOVE}.") from None
    except (ExerciseError, ExerciseNotDone) as exc:
        if isinstance(exc, ExerciseError):
            _tries[check_id] = _tries.get(check_id, 0) + 1
        raise exc.with_traceback(None) from None
    finally:
        _running = None
    if entry.get("kind") == "predict":
        wrong = _tries.get(check_id, 0)
        print("Right on the first try." if wrong == 0 else
              f"Right after {wrong + 1} tries ({wrong} wrong answer{'s' if wrong > 1 else ''} before).")


def solution(check_id=None):
    """Show the model solution of the check ``check_id`` (default: the check run last).

    In a learner's copy this is the solved notebook's exercise cell (or the model answer of a
    written question), read from the checks file. Try the exercise first: the hints (`hint`)
    come before the solution.
    """
    check_id = _last_check if check_id is None else check_id
    if check_id is None:
        print("Run a check first (or give its id, e.g. solution('02.3')).")
        return
    entry = _entry("solution", check_id)
    if not entry.get("solution"):
        print(f"Check {check_id} has no model solution stored.")
        return
    print(f"Model solution of {check_id}:\n{entry['solution']}")


def written_answer():
    """The cell after a written question ("explain in your own words"): in a learner's copy it
    says how to compare one's answer with the model answer (`solution`); in the solved notebook,
    where the model answer is the cell above, it prints nothing."""
    if _running is not None:
        print("Written your answer in the cell above, in your own words? Then run solution() to "
              "compare it with a model answer.")


def _record_run(result):
    """IPython's post_run_cell: remember whether each cell's last run raised."""
    error = result.error_in_exec if result.error_in_exec is not None else result.error_before_exec
    info = getattr(result, "info", None)
    cell_id = getattr(info, "cell_id", None)
    if cell_id:
        _last_runs[cell_id] = error
    raw = getattr(info, "raw_cell", "") or ""
    mark = EXERCISE_MARK.match(raw)
    if mark:
        _last_runs[("mark", mark.group(1))] = error


def _stub_only(shell, etype, value, tb, tb_offset=None):
    """IPython's handler for NotImplementedError: an exercise's stub raised at a cell's top level
    shows one line (ExerciseNotDone's message), any other one its usual traceback."""
    frames = []
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    top = frames[-1].tb_frame if frames else None
    is_stub = (top is not None and top.f_globals.get("__name__") == "__main__"
               and top.f_code.co_name == "<module>" and type(value) is NotImplementedError
               and not value.args)
    if not is_stub:
        if hasattr(value, "_render_traceback_"):  # as IPython's showtraceback does
            stb = value._render_traceback_()
        else:
            stb = shell.InteractiveTB.structured_traceback(etype, value, frames[0] if frames else None,
                                                           tb_offset=tb_offset)
        shell._showtraceback(etype, value, stb)
        return stb
    done = ExerciseNotDone("exercise not done yet: replace `raise NotImplementedError()` with your "
                           "answer and run the cell.")
    stb = done._render_traceback_()
    shell._showtraceback(ExerciseNotDone, done, stb)
    return stb


def _install_ipython():
    """In IPython (a notebook's kernel), record each cell's last run and show an unfinished
    exercise's NotImplementedError as one line. Done once, when this module is imported."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    if shell is None or getattr(shell, "_cnnlab_exercises", False):
        return
    shell._cnnlab_exercises = True
    shell.events.register("post_run_cell", _record_run)
    if not shell.custom_exceptions:
        shell.set_custom_exc((NotImplementedError,), _stub_only)


_install_ipython()
