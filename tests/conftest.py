"""Shared test settings: hypothesis profiles and markers."""

import os

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
    import pytest

    for item in items:
        if type(item).__name__ == "IPyNbCell":
            item.add_marker(pytest.mark.course)

# PyTorch comparisons (tests/test_torch.py) skip without torch, unless CNNLAB_REQUIRE_TORCH=1 (as
# in CI), which makes a missing torch an error; the switch sits at the top of that module.
