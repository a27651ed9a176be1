"""cnnlab/exercises.py: the self-checks tell a learner what is wrong."""

import numpy as np
import pytest

from cnnlab import exercises
from cnnlab.exercises import ExerciseError, ExerciseNotDone, check_function, check_that, check_value


@pytest.fixture(autouse=True)
def fresh_hint_tiers(monkeypatch):
    """Each test starts as a fresh kernel does: no check has failed yet."""
    monkeypatch.setattr(exercises, "_failures", {})
    monkeypatch.setattr(exercises, "_last_failed", None)


def test_check_value_right_wrong_missing(capsys):
    assert check_value("n", 784, namespace={"n": 784}) is None
    assert capsys.readouterr().out == "Correct!\n"
    with pytest.raises(ExerciseError, match=r"`n` is 785, which is too big \(off by one\).\nHint: 28 x 28"):
        check_value("n", 784, hint="28 x 28", namespace={"n": 785})
    with pytest.raises(ExerciseNotDone, match=r"`n` is not defined yet"):
        check_value("n", 784, namespace={})
    with pytest.raises(ExerciseError, match=r"`v` has 2 entries, but the answer has 3"):
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
    for _ in range(2):  # running the check again does not give the next tier away
        with pytest.raises(ExerciseError) as again:
            check_value("n", 784, hints=tiers, namespace=wrong)
        assert "Hint 1: Count the pixels." in str(again.value) and "Hint 2" not in str(again.value)
    exercises.hint()
    assert capsys.readouterr().out == "Hint 2: 28 rows of 28 pixels.\n"
    with pytest.raises(ExerciseError) as second:  # what was asked for stays shown
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
    with pytest.raises(ExerciseError) as second:
        check_function(half, [((2,), 4)], hints=["Bigger, not smaller.", "Times two."])
    assert "Times two" not in str(second.value)
    exercises.hint()
    assert capsys.readouterr().out == "Hint 2: Times two.\n"
    check_function(double, [((2,), 4)], explain="The bug: it divided.")
    assert capsys.readouterr().out == "Correct! (1 case checked)\nThe bug: it divided.\n"
    with pytest.raises(TypeError, match="check_function: give hint or hints, not both"):
        check_function(double, [((2,), 4)], hint="a", hints=["b"])


# ---------------------------------------------------------------- hidden tests (nbgrader)

def test_visible_part_does_not_say_correct_before_hidden_tests(capsys):
    """Above a hidden region, a pass must not read as the final verdict."""
    check_function(lambda x: 2 * x, [((1,), 2), ((2,), 4)], part="visible", explain="Why.")
    out = capsys.readouterr().out
    assert out == "Correct on the 2 visible cases; grading runs hidden tests too.\nWhy.\n"
    assert "Correct!" not in out
    check_function(lambda x: 2 * x, [((1,), 2)], part="visible")
    assert capsys.readouterr().out == "Correct on the 1 visible case; grading runs hidden tests too.\n"
    check_value("n", 784, namespace={"n": 784}, part="visible")
    assert capsys.readouterr().out == "Correct on the visible check; grading runs hidden tests too.\n"


def test_hidden_part_says_a_hidden_test_failed_in_words(capsys):
    def double(x):
        return 2 * x if x < 10 else x  # right on the small cases only

    with pytest.raises(ExerciseError) as info:
        check_function(double, [((12,), 24)], part="hidden", hint="large inputs too")
    message = str(info.value)
    assert message.startswith("A hidden test failed (the visible cases passed): `double` is not right yet")
    assert "Called with: 12" in message and "Expected: 24" in message and "Hint: large inputs too" in message
    check_function(double, [((3,), 6)], part="hidden")
    assert capsys.readouterr().out == "Correct! The hidden tests pass too (1 case checked).\n"
    with pytest.raises(ExerciseError, match=r"^A hidden test failed \(the visible cases passed\): `n` is 785"):
        check_value("n", 784, namespace={"n": 785}, part="hidden")


def test_hidden_failures_count_apart_from_the_visible_check():
    tiers = ["one", "two"]
    with pytest.raises(ExerciseError, match="Hint 1: one"):
        check_value("n", 1, hints=tiers, namespace={"n": 2}, part="visible")
    with pytest.raises(ExerciseError, match="Hint 1: one"):  # its own first failure
        check_value("n", 1, hints=tiers, namespace={"n": 2}, part="hidden")
    exercises.hint()  # the hidden check failed last: its next tier
    with pytest.raises(ExerciseError) as visible:
        check_value("n", 1, hints=tiers, namespace={"n": 2}, part="visible")
    assert "Hint 2" not in str(visible.value)
    with pytest.raises(ExerciseError, match="Hint 2: two"):
        check_value("n", 1, hints=tiers, namespace={"n": 2}, part="hidden")


def test_part_must_be_one_of_three():
    with pytest.raises(ValueError, match="part must be None, 'visible' or 'hidden', not 'secret'"):
        check_function(abs, [((1,), 1)], part="secret")
    with pytest.raises(ValueError, match="check_that: part must be"):
        check_that(True, "fine", part="Hidden")


def test_check_that_passes_or_fails_with_its_message(capsys):
    check_that(True, "never shown")
    assert capsys.readouterr().out == "Correct!\n"
    check_that(np.bool_(True), "never shown", part="hidden")
    assert capsys.readouterr().out == "Correct! The hidden test passes too.\n"
    with pytest.raises(ExerciseError) as info:
        check_that(False, "`f` must not modify its input: work on a copy.", hint="np.copy")
    assert str(info.value) == "`f` must not modify its input: work on a copy.\nHint: np.copy"
    with pytest.raises(ExerciseError, match=r"^A hidden test failed \(the visible cases passed\): "
                                            r"`f` must not modify its input\.$"):
        check_that(np.array_equal([1, 2], [1, 3]), "`f` must not modify its input.", part="hidden")
    with pytest.raises(TypeError, match="message must say in words"):
        check_that(False, "  ")


def test_check_that_with_a_callable_reports_its_crash_and_not_done():
    def todo():
        raise NotImplementedError()

    with pytest.raises(ExerciseError, match=r"^the sizes must match\n\(Checking it raised IndexError: "
                                            r"list index out of range\)$"):
        check_that(lambda: [][0] == 1, "the sizes must match")
    with pytest.raises(ExerciseNotDone, match="not implemented yet"):
        check_that(todo, "anything")
    check_that(lambda: 1 + 1 == 2, "arithmetic")


def test_a_failed_check_shows_its_message_without_a_traceback_in_a_notebook():
    """What a learner (and nbgrader's feedback) sees: the message, not frames of exercises.py."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from cnnlab.exercises import check_value\nanswer = 3"),
        nbformat.v4.new_code_cell('check_value("answer", 4, hint="count again")'),
        nbformat.v4.new_code_cell('check_value("missing", 4)'),
        nbformat.v4.new_code_cell('raise ValueError("an ordinary error")'),
    ])
    for cell in nb.cells[1:]:
        cell.metadata["tags"] = ["raises-exception"]
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    wrong, missing, ordinary = (cell.outputs[0] for cell in nb.cells[1:])
    assert wrong.ename == "ExerciseError" and missing.ename == "ExerciseNotDone"
    assert wrong.traceback == [f"ExerciseError: {wrong.evalue}"]
    assert "count again" in wrong.evalue
    assert missing.traceback == [f"ExerciseNotDone: {missing.evalue}"]
    assert len(ordinary.traceback) > 1  # other errors keep their traceback


# --- the learner's function on copies; clear messages for odd results (issue 27) ---------------

def _flip_in_place(k):
    """Lesson 02's kernel flip, written into its input."""
    k[...] = k[::-1, ::-1].copy()
    return k


def test_a_function_that_changes_its_argument_in_place_fails_naming_it_and_the_callers_array_is_untouched():
    sobel_x = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
    before = sobel_x.copy()
    with pytest.raises(ExerciseError) as info:
        check_function(_flip_in_place, [((sobel_x,), before[::-1, ::-1])], hint="np.flip")
    text = str(info.value)
    assert text.startswith("`_flip_in_place` changed its argument `k` in place: the exercise asks for a "
                           "new result with the input left as it was.")
    assert "Work on a copy (e.g. `k = k.copy()` first)" in text and "Hint: np.flip" in text
    assert "Afterwards `k` was: array of shape (3, 3):" in text
    np.testing.assert_array_equal(sobel_x, before)          # the notebook's kernel is not flipped


def test_allow_mutation_accepts_a_change_in_place_but_still_leaves_the_callers_array_alone(capsys):
    sobel_x = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
    before = sobel_x.copy()
    check_function(_flip_in_place, [((sobel_x,), before[::-1, ::-1])], allow_mutation=True)
    assert capsys.readouterr().out == "Correct! (1 case checked)\n"
    np.testing.assert_array_equal(sobel_x, before)
    with pytest.raises(TypeError, match="check_function: allow_mutation must be True or False"):
        check_function(_flip_in_place, [((sobel_x,), before)], allow_mutation="yes")


def test_a_changed_list_or_keyword_argument_is_named_and_other_objects_are_not_judged(capsys):
    def best_epoch(losses, patience=1):
        losses.sort()                                        # the learner sorts the caller's list
        return 1

    losses = [0.5, 0.3, 0.4]
    with pytest.raises(ExerciseError, match=r"`best_epoch` changed its argument `losses` in place"):
        check_function(best_epoch, [((losses, 1), 1)])
    assert losses == [0.5, 0.3, 0.4]
    with pytest.raises(ExerciseError, match=r"`best_epoch` changed its argument `losses` in place"):
        check_function(best_epoch, [({"losses": losses, "patience": 2}, 1)])

    import cnnlab as cl

    def backward_of(layer, dout):                           # fills layer.grads: not an array argument
        return layer.backward(dout)

    layer = cl.Linear(2, 2, rng=0)
    x = np.array([[1.0, 2.0]])
    layer.forward(x)
    check_function(backward_of, [((layer, np.ones((1, 2))), np.ones((1, 2)) @ layer.params["W"].T)])
    assert capsys.readouterr().out == "Correct! (1 case checked)\n"
    assert not layer.grads["W"].any()                       # the copy was given, not the layer


def test_a_ragged_list_result_gets_a_message_not_a_numpy_error():
    def rows(x):
        return [[1, 2], [3]]

    with pytest.raises(ExerciseError) as info:
        check_function(rows, [((np.zeros(2),), np.zeros((2, 2)))])
    text = str(info.value)
    assert text.startswith("`rows` is not right yet: got a list whose rows have different lengths (a "
                           "ragged list), not an array of numbers")
    assert "Got: [[1, 2], [3]]" in text


@pytest.mark.parametrize("imag", [1.0, 0.0])
def test_a_complex_result_gets_a_message_and_no_complex_warning(imag):
    import warnings

    def spectrum(x):
        return np.array([1 + imag * 1j, 2])

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ExerciseError, match=r"`spectrum` is not right yet: got complex numbers "
                                                r"\(dtype complex128\), but the answer has real numbers"):
            check_function(spectrum, [((np.zeros(2),), np.array([1.0, 2.0]))])
