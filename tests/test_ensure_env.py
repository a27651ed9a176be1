"""`make install` reinstalls only when the dependencies changed, and survives being offline.

Each test runs the real Makefile and tools/ensure_env.py in a temporary copy of the repository's
install files, with pip replaced by a fake command (`make install PIP=...`) that records its
arguments and succeeds or fails on demand, so nothing is installed and no network is used.
"""

import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")

FAKE_PIP = """#!/bin/sh
echo "$@" >> "{log}"
exit $(cat "{rc}")
"""


@pytest.fixture
def repo(tmp_path):
    """A copy of what make install reads, a .venv whose python is this one, and a fake pip."""
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "tools", tmp_path / "tools")
    shutil.copytree(ROOT / "requirements", tmp_path / "requirements")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    os.symlink(sys.executable, tmp_path / ".venv" / "bin" / "python")
    pip = tmp_path / "fake-pip"
    pip.write_text(FAKE_PIP.format(log=tmp_path / "pip.log", rc=tmp_path / "pip.rc"))
    pip.chmod(pip.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "pip.rc").write_text("0")
    return tmp_path


def make_install(repo, pip_fails=False):
    """(exit status, output, the pip calls made) of one `make install`."""
    (repo / "pip.rc").write_text("1" if pip_fails else "0")
    log = repo / "pip.log"
    log.write_text("")
    done = subprocess.run(["make", "-s", "install", f"PIP={repo / 'fake-pip'}"], cwd=repo,
                          capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout + done.stderr, log.read_text().splitlines()


def edit(path, old, new):
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def test_first_install_calls_pip_once_with_the_lock_then_never_again(repo):
    rc, out, calls = make_install(repo)
    assert rc == 0, out
    assert len(calls) == 1
    assert "-c requirements/test.lock.txt" in calls[0]
    assert calls[0].endswith("-e .[course,test,grade]")
    rc, out, calls = make_install(repo)
    assert (rc, calls) == (0, []), out


def test_touching_pyproject_or_changing_its_other_sections_installs_nothing(repo):
    assert make_install(repo)[0] == 0
    future = time.time() + 3600
    os.utime(repo / "pyproject.toml", (future, future))  # what a git pull does to its mtime
    rc, out, calls = make_install(repo)
    assert (rc, calls) == (0, []), out
    with open(repo / "pyproject.toml", "a") as f:  # a tool's settings, not a dependency
        f.write('\n[tool.example]\nsetting = "changed"\n')
    edit(repo / "pyproject.toml", 'description = "', 'description = "Changed: ')
    rc, out, calls = make_install(repo)
    assert (rc, calls) == (0, []), out


@pytest.mark.parametrize("change", ["dependency", "lock"])
def test_a_changed_dependency_or_lock_installs_once(repo, change):
    assert make_install(repo)[0] == 0
    if change == "dependency":
        edit(repo / "pyproject.toml", '"matplotlib>=3.7"', '"matplotlib>=3.8"')
    else:
        with open(repo / "requirements" / "test.lock.txt", "a") as f:
            f.write("six==1.16.0\n")
    rc, out, calls = make_install(repo)
    assert rc == 0 and len(calls) == 1, out
    assert "dependencies changed" in out
    assert make_install(repo)[2] == []


def test_offline_a_failed_reinstall_keeps_the_installed_environment_with_a_message(repo):
    assert make_install(repo)[0] == 0
    stamp = (repo / ".venv" / ".cnnlab-installed").read_text()
    edit(repo / "pyproject.toml", '"matplotlib>=3.7"', '"matplotlib>=3.8"')
    rc, out, calls = make_install(repo, pip_fails=True)
    assert rc == 0, out
    assert len(calls) == 1
    assert "could not install the changed dependencies" in out
    assert "installed before" in out
    # the stamp still names the old dependencies: once online, the next target installs them
    assert (repo / ".venv" / ".cnnlab-installed").read_text() == stamp
    rc, out, calls = make_install(repo)
    assert rc == 0 and len(calls) == 1, out


def test_with_no_environment_at_all_a_failed_install_fails(repo):
    rc, out, calls = make_install(repo, pip_fails=True)
    assert rc != 0
    assert len(calls) == 1
    assert "no environment yet" in out
    assert not (repo / ".venv" / ".cnnlab-installed").exists()


def test_the_empty_stamp_of_older_makefiles_means_one_reinstall(repo):
    (repo / ".venv" / ".cnnlab-installed").write_text("")
    rc, out, calls = make_install(repo, pip_fails=True)  # offline right after the upgrade
    assert rc == 0 and len(calls) == 1, out
    assert "installed before" in out
