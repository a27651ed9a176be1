"""Shared test settings: hypothesis profiles and markers."""

import os

import pytest
from hypothesis import HealthCheck, settings

# CI runs the same examples every time (derandomize); locally the default profile explores.
settings.register_profile("ci", max_examples=60, derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")

collect_ignore_glob = ["fixtures/*"]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "course: checks the course notebooks; `make check-notebook NB=...` runs these "
                   "(CNNLAB_NOTEBOOK=NB: the ones that take a notebook for NB only) and nbval on NB")


def pytest_collection_modifyitems(config, items):
    # nbval's cells check a course notebook too: `-m course` keeps them.
    for item in items:
        if type(item).__name__ == "IPyNbCell":
            item.add_marker(pytest.mark.course)


@pytest.fixture(scope="session")
def nbgrader():
    """nbgrader, or a skip with the reason; in CI (CNNLAB_REQUIRE_NBGRADER=1) a failure."""
    try:
        import nbgrader
    except ImportError:
        message = "nbgrader is not installed (make install puts it in .venv: the `grade` extra)"
        if os.environ.get("CNNLAB_REQUIRE_NBGRADER") == "1":
            pytest.fail(message + "; required here: CNNLAB_REQUIRE_NBGRADER=1")
        pytest.skip(message)
    return nbgrader


# PyTorch comparisons (tests/test_torch.py) skip without torch, unless CNNLAB_REQUIRE_TORCH=1 (as
# in CI), which makes a missing torch an error; the switch sits at the top of that module.
