"""Write the lock files and environment.yml from the environment the tests passed in (`make lock`).

Each lock is the closure of some of pyproject.toml's requirements over what is installed in this
environment: every package they need, directly or not, pinned with == to the installed version.
Nothing is resolved or downloaded; a requirement that the installed version does not satisfy is
an error (run `make install` first). Written here:

- requirements/course.lock.txt  the learners: cnnlab's dependencies and the `course` extra
- requirements/grade.lock.txt   graders: the same and nbgrader (`grade`)
- requirements/test.lock.txt    instructors and CI (make install, make test): course, test, grade
- environment.yml               Binder: Python and pip, then course.lock.txt's pins, verbatim

The pins are those of this platform (Linux, CPython 3.11 here): a package that only another
platform needs is not in them, and pip, given a lock as constraints (-c), still installs it.
"""

import argparse
import platform
import re
import sys
from importlib import metadata
from pathlib import Path

import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

LOCKS = {  # file -> extras of cnnlab
    "course": ["course"],
    "grade": ["course", "grade"],
    "test": ["course", "test", "grade"],
}

HEADER = """\
# {name}: exact pins, written by `make lock` (tools/envlock.py) from the environment that
# `make test` passed in ({platform}). Do not edit by hand: change pyproject.toml, then `make lock`.
# cnnlab's extras here: {extras}. Install: pip install -c {name} -e ".[{extras}]"
"""

ENV_HEADER = """\
# The learners' environment (Binder: repo2docker reads this file; a conda-based JupyterHub image
# too). Written by `make lock` from requirements/course.lock.txt: the same versions from PyPI that
# `make test` passed with, so next term's image is the tested one. Do not edit by hand: change
# pyproject.toml's `course` extra, then `make lock`. No test or grading tool belongs here
# (tests/test_environments.py checks); graders use requirements/grade.lock.txt. cnnlab itself is
# installed by postBuild (pip install --no-deps -e .): Binder copies only this file before it
# builds the environment, so a "-e ." here would not find the code.
name: cnnlab
channels:
  - conda-forge
dependencies:
  - python={python}
  - pip
  - pip:
"""


def project_requirements(pyproject, extras):
    project = tomllib.loads(Path(pyproject).read_text(encoding="utf-8"))["project"]
    reqs = list(project.get("dependencies", []))
    for extra in extras:
        reqs += project["optional-dependencies"][extra]
    return [Requirement(r) for r in reqs]


def closure(roots):
    """{canonical name: (name, version)} of the installed distributions that roots need."""
    found, done = {}, set()
    todo = [(r, "root") for r in roots]
    while todo:
        req, parent = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        key = canonicalize_name(req.name)
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            sys.exit(f"envlock: {req.name} (needed by {parent}) is not installed: "
                     "make install first")
        if not req.specifier.contains(dist.version, prereleases=True):
            sys.exit(f"envlock: {dist.metadata['Name']} {dist.version} does not satisfy {req} "
                     f"(needed by {parent}): make install first, or make lock UPGRADE=1 if "
                     "pyproject.toml now asks for versions the lock excludes")
        found[key] = (dist.metadata["Name"], dist.version)
        for extra in [""] + sorted(req.extras):
            if (key, extra) in done:
                continue
            done.add((key, extra))
            for line in dist.requires or []:
                sub = Requirement(line)
                if sub.marker is None or sub.marker.evaluate({"extra": extra}):
                    sub.marker = None
                    todo.append((sub, dist.metadata["Name"]))
    return found


def pins(found):
    return [f"{name}=={version}" for _, (name, version) in sorted(found.items())]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=".", help="the repository")
    args = parser.parse_args(argv)
    root = Path(args.root)
    where = (f"CPython {platform.python_version()}, {platform.system()} {platform.machine()}")
    (root / "requirements").mkdir(exist_ok=True)
    for name, extras in LOCKS.items():
        path = f"requirements/{name}.lock.txt"
        lines = pins(closure(project_requirements(root / "pyproject.toml", extras)))
        text = HEADER.format(name=path, platform=where, extras=",".join(extras))
        (root / path).write_text(text + "\n".join(lines) + "\n", encoding="utf-8")
        print(f"{path}: {len(lines)} packages")
        if name == "course":
            python = ".".join(platform.python_version_tuple()[:2])
            body = "".join(f"      - {line}\n" for line in lines)
            (root / "environment.yml").write_text(ENV_HEADER.format(python=python) + body,
                                                  encoding="utf-8")
            print(f"environment.yml: Python {python} and the same {len(lines)} pins")
    return 0


def read_lock(path):
    """{canonical name: version} of a lock file or of environment.yml's pip list."""
    out = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\s*(?:- )?([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s#]+)\s*$", line)
        if m:
            out[canonicalize_name(m.group(1))] = m.group(2)
    return out


if __name__ == "__main__":
    sys.exit(main())
