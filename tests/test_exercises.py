"""cnnlab/exercises.py: the self-checks tell a learner what is wrong."""

import numpy as np
import pytest

from cnnlab import exercises
from cnnlab.exercises import ExerciseError, ExerciseNotDone, check_function, check_value


@pytest.fixture(autouse=True)
def fresh_hint_tiers(monkeypatch):
    """Each test starts as a fresh kernel does: no check has failed yet."""
    monkeypatch.setattr(exercises, "_failures", {})
    monkeypatch.setattr(exercises, "_last_failed", None)


def test_check_value_right_wrong_missing(capsys):
    assert check_value("n", 784, namespace={"n": 784}) is None
    assert capsys.readouterr().out == "Correct!\n"
    with pytest.raises(ExerciseError, match=r"`n`: got 785, which is not right yet.\nHint: 28 x 28"):
        check_value("n", 784, hint="28 x 28", namespace={"n": 785})
    with pytest.raises(ExerciseNotDone, match=r"`n` is not defined yet"):
        check_value("n", 784, namespace={})
    with pytest.raises(ExerciseError, match=r"the shape is \(2,\), but it should be \(3,\)"):
        check_value("v", [1, 2, 3], namespace={"v": np.array([1, 2])})


def test_check_value_finds_the_callers_globals():
    global answer_for_test
    answer_for_test = 12
    check_value("answer_for_test", 12)
    answer_for_test = 13
    with pytest.raises(ExerciseError, match="answer_for_test"):
        check_value("answer_for_test", 12)


def test_check_function_reports_the_first_failing_case():
    def double(x):
        return np.asarray(x) * 2

    def off_by_one(x):
        return np.asarray(x) * 2 + (np.asarray(x) > 1)

    cases = [(([1, 2],), [2, 4]), (([3],), [6])]
    check_function(double, cases)
    with pytest.raises(ExerciseError, match=r"first at index \(1,\): got 5, expected 4") as info:
        check_function(off_by_one, cases, hint="multiply only")
    assert "Called with: array of shape (2,)" in str(info.value)
    assert "Hint: multiply only" in str(info.value)


def test_check_function_not_done_and_crashing():
    def todo(x):
        raise NotImplementedError()

    def crash(x):
        return x[5]

    with pytest.raises(ExerciseNotDone, match=r"`todo` is not implemented yet"):
        check_function(todo, [((1,), 1)])
    with pytest.raises(ExerciseError, match=r"`crash` raised IndexError"):
        check_function(crash, [(([1],), 1)])
    assert issubclass(ExerciseNotDone, NotImplementedError)
    with pytest.raises(ExerciseNotDone, match=r"`missing` is not defined yet"):
        check_function("missing", [((1,), 1)], namespace={})


def test_hints_come_in_tiers_per_check(capsys):
    tiers = ["Count the pixels.", "28 rows of 28 pixels.", "Multiply."]
    wrong = {"n": 28}
    with pytest.raises(ExerciseError) as first:
        check_value("n", 784, hints=tiers, namespace=wrong)
    assert "Hint 1: Count the pixels." in str(first.value)
    assert "Hint 2" not in str(first.value) and "Run hint()" in str(first.value)
    with pytest.raises(ExerciseError) as second:
        check_value("n", 784, hints=tiers, namespace=wrong)
    assert "Hint 2: 28 rows of 28 pixels." in str(second.value) and "Hint 3" not in str(second.value)
    exercises.hint()
    assert capsys.readouterr().out == "Hint 3: Multiply.\n"
    exercises.hint()
    assert "no more hints" in capsys.readouterr().out.lower()
    # another check keeps its own count; passing resets it
    with pytest.raises(ExerciseError) as other:
        check_value("m", 1, hints=["m tier one", "m tier two"], namespace={"m": 2})
    assert "Hint 1: m tier one" in str(other.value) and "tier two" not in str(other.value)
    check_value("n", 784, hints=tiers, explain="28 x 28 = 784.", namespace={"n": 784})
    assert capsys.readouterr().out == "Correct!\n28 x 28 = 784.\n"
    with pytest.raises(ExerciseError) as again:
        check_value("n", 784, hints=tiers, namespace=wrong)
    assert "Hint 1" in str(again.value) and "Hint 2" not in str(again.value)


def test_check_function_tiers_and_explanation(capsys):
    def half(x):
        return np.asarray(x) / 2

    def double(x):
        return np.asarray(x) * 2

    with pytest.raises(ExerciseError) as first:
        check_function(half, [((2,), 4)], hints=["Bigger, not smaller.", "Times two."])
    assert "Hint 1: Bigger, not smaller." in str(first.value) and "Times two" not in str(first.value)
    with pytest.raises(ExerciseError, match="Hint 2: Times two."):
        check_function(half, [((2,), 4)], hints=["Bigger, not smaller.", "Times two."])
    check_function(double, [((2,), 4)], explain="The bug: it divided.")
    assert capsys.readouterr().out == "Correct! (1 case checked)\nThe bug: it divided.\n"
    with pytest.raises(TypeError, match="check_function: give hint or hints, not both"):
        check_function(double, [((2,), 4)], hint="a", hints=["b"])
