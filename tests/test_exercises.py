"""cnnlab/exercises.py: the self-checks tell a learner what is wrong."""

import numpy as np
import pytest

from cnnlab.exercises import ExerciseError, ExerciseNotDone, check_function, check_value


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
