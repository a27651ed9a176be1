"""The environments: learners get the course and nothing else, every pin is exact and agrees.

- environment.yml (Binder, learners) and requirements/course.lock.txt hold no test or grading
  tool, and hold every package the lessons and the library import;
- every lock pins every package with ==, holds what its extras ask for at a version they allow,
  and the locks and environment.yml agree on every version they share;
- what tests/ imports is declared in pyproject.toml (not only there because something else
  needs it), and every core dependency is imported by the library.
"""

import ast
import functools
import json
import os
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
LOCKS = {"course": ["course"], "grade": ["course", "grade"], "test": ["course", "test", "grade"]}
# Tools that exist only to test or grade: none of them may reach a learner.
TEST_AND_GRADING_TOOLS = {"pytest", "nbval", "hypothesis", "playwright", "nbgrader",
                          "pytest-playwright", "setuptools"}
# An import name that differs from the distribution's, for when the package is not installed.
KNOWN = {"sklearn": "scikit-learn", "skimage": "scikit-image", "PIL": "pillow",
         "IPython": "ipython", "mlxtend": "mlxtend", "torch": "torch",
         "jupyter_client": "jupyter-client", "threadpoolctl": "threadpoolctl"}
# Lesson 14 (and its tests) use PyTorch, which stays optional: the `torch` extra.
OPTIONAL = {"torch"}


def requirements(*extras, core=True):
    reqs = list(PROJECT["dependencies"]) if core else []
    for extra in extras:
        reqs += PROJECT["optional-dependencies"][extra]
    return [Requirement(r) for r in reqs]


def read_pins(path):
    """{name: version} of a lock file, or of environment.yml's pip list; bad lines raise."""
    pins = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if path.name == "environment.yml":
            if not re.match(r"^\s{4,}- ", line) or not text:
                continue  # only the pip list's items
            text = text[2:].strip()
        if not text:
            continue
        m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][^\s;=<>!~,]*)", text)
        assert m, f"{path.name}: {line!r} is not an exact pin (name==version)"
        name = canonicalize_name(m.group(1))
        assert name not in pins, f"{path.name}: {name} pinned twice"
        pins[name] = m.group(2)
    return pins


def lock(name):
    return read_pins(ROOT / "requirements" / f"{name}.lock.txt")


def third_party_imports(sources):
    """{top-level module: first file importing it} for every non-stdlib, non-cnnlab import."""
    found = {}
    for where, code in sources:
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "cnnlab":
                    found.setdefault(top, where)
    return found


@functools.lru_cache(maxsize=None)
def installed_modules():
    return metadata.packages_distributions()


def distribution_of(module):
    dists = installed_modules().get(module)
    name = dists[0] if dists else KNOWN.get(module, module)
    return canonicalize_name(name)


def notebook_sources():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] == "code":
                src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
                # IPython magics and shell lines are not Python
                src = "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                                for line in src.splitlines())
                yield f"{path.name} cell {i + 1}", src


def python_sources(folder):
    for path in sorted((ROOT / folder).rglob("*.py")):
        yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")


def test_the_learner_environment_holds_no_test_or_grading_tool():
    env, course = read_pins(ROOT / "environment.yml"), lock("course")
    for pins, name in ((env, "environment.yml"), (course, "course.lock.txt")):
        leaked = sorted(n for n in pins
                        if n in TEST_AND_GRADING_TOOLS or n.startswith("pytest"))
        assert not leaked, f"{name} gives learners test or grading tools: {leaked}"
    # ... and the test and grading extras' own tools are what the other locks add
    for tool in ("pytest", "nbval", "hypothesis", "playwright", "nbgrader"):
        assert tool in lock("test"), tool
    assert "nbgrader" in lock("grade") and "pytest" not in lock("grade")


def test_every_package_the_lessons_import_is_in_the_learner_environment():
    env = read_pins(ROOT / "environment.yml")
    imports = third_party_imports(notebook_sources())
    assert {"numpy", "matplotlib", "scipy"} <= set(imports), "the AST walk found too little"
    for module, where in sorted(imports.items()):
        if module in OPTIONAL:
            assert module in PROJECT["optional-dependencies"], module
            continue
        dist = distribution_of(module)
        assert dist in env, f"{where} imports {module}, which environment.yml lacks ({dist})"


def test_every_package_the_library_imports_is_in_the_learner_environment():
    env = read_pins(ROOT / "environment.yml")
    for module, where in sorted(third_party_imports(python_sources("cnnlab")).items()):
        dist = distribution_of(module)
        assert dist in env, f"{where} imports {module}, which environment.yml lacks ({dist})"


def test_every_core_dependency_is_imported_by_the_library():
    imported = {distribution_of(m) for m in third_party_imports(python_sources("cnnlab"))}
    for req in requirements():
        assert canonicalize_name(req.name) in imported, (
            f"{req.name} is a core dependency but cnnlab never imports it: move it to the extra "
            f"that uses it")


def test_what_the_tests_import_is_declared_for_them():
    declared = {canonicalize_name(r.name)
                for r in requirements("course", "test", "grade", "torch")}
    sources = list(python_sources("tests")) + list(python_sources("benchmarks"))
    imports = third_party_imports(sources)
    imports.pop("jupyterhub", None)  # benchmarks/hub_check.py: the `hub` extra
    imports.pop("tornado", None)  # ... through jupyterhub
    for module, where in sorted(imports.items()):
        dist = distribution_of(module)
        assert dist in declared, f"{where} imports {module} ({dist}), declared in no extra"
    for dist in ("nbclient", "nbformat"):  # issue 14: used by tests, so declared for them
        assert dist in {canonicalize_name(r.name) for r in requirements("test", core=False)}


@pytest.mark.parametrize("name", sorted(LOCKS))
def test_each_lock_pins_what_its_extras_ask_for(name):
    pins = lock(name)
    for req in requirements(*LOCKS[name]):
        key = canonicalize_name(req.name)
        assert key in pins, f"{name}.lock.txt lacks {req.name}: run make lock"
        assert SpecifierSet(str(req.specifier)).contains(pins[key], prereleases=True), (
            f"{name}.lock.txt pins {key}=={pins[key]}, which {req} excludes: run make lock")
    assert "cnnlab" not in pins


def test_the_locks_and_environment_yml_agree():
    course, grade, test = lock("course"), lock("grade"), lock("test")
    env = read_pins(ROOT / "environment.yml")
    assert env == course, "environment.yml is not course.lock.txt's pins: run make lock"
    for bigger, name in ((grade, "grade"), (test, "test")):
        differ = {k: (v, bigger.get(k)) for k, v in course.items() if bigger.get(k) != v}
        assert not differ, f"{name}.lock.txt disagrees with course.lock.txt: {differ}"
    assert set(grade) <= set(test)
    assert all(test[k] == v for k, v in grade.items())


def test_environment_yml_can_be_built_by_binder_before_the_code_is_copied():
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    # repo2docker builds environment.yml alone (cached across code changes) unless it refers to
    # local files; cnnlab itself is postBuild's job
    assert not [line for line in lines if re.match(r"^- (-e|-r|-c|--editable|--requirement|\.)", line)]
    assert "- python=3.11" in lines and "- pip" in lines
    post = ROOT / "postBuild"
    assert os.access(post, os.X_OK)
    assert "pip install --no-deps" in post.read_text(encoding="utf-8")


LEARNER_JUPYTER = ROOT / "tools" / "learner-jupyter"


def _labextension_states(env):
    """``{extension: "enabled" | "disabled"}`` as `jupyter labextension list` reports them."""
    import subprocess

    out = subprocess.run([sys.executable, "-m", "jupyter", "labextension", "list"],
                         capture_output=True, text=True, env=env, check=True)
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)
    return dict(re.findall(r"^\s+(\S+) v\S+ (enabled|disabled)", text, re.M))


def test_make_lab_hides_nbgrader_from_learners(nbgrader):
    """`make lab`, `practice` and `demo` run from .venv, which holds nbgrader for the tests: the
    learners' configuration switches off every piece of nbgrader's user interface there."""
    import subprocess

    for target in ("lab", "practice", "demo"):
        recipe = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout
        launch = [line for line in recipe.splitlines() if "-m jupyterlab" in line]
        assert launch and all(f"JUPYTER_CONFIG_PATH={LEARNER_JUPYTER}" in line for line in launch), \
            f"make {target} must start JupyterLab with the learners' configuration:\n{recipe}"

    env = {k: v for k, v in os.environ.items() if k not in ("JUPYTER_CONFIG_PATH", "JUPYTER_CONFIG_DIR")}
    env["JUPYTER_CONFIG_DIR"] = str(ROOT / "build" / "no-user-jupyter-config")
    plain = _labextension_states(env)
    nbgrader_ui = sorted(name for name in plain if "nbgrader" in name)
    assert nbgrader_ui and all(plain[name] == "enabled" for name in nbgrader_ui), plain
    learner = _labextension_states({**env, "JUPYTER_CONFIG_PATH": str(LEARNER_JUPYTER)})
    assert {name: learner[name] for name in nbgrader_ui} == dict.fromkeys(nbgrader_ui, "disabled")

    # Every server extension nbgrader enables in the environment is switched off again.
    enabled = {}
    for path in (Path(sys.prefix) / "etc" / "jupyter" / "jupyter_server_config.d").glob("*.json"):
        for name, on in json.loads(path.read_text())["ServerApp"]["jpserver_extensions"].items():
            if name.startswith("nbgrader") and on:
                enabled[name] = False
    assert enabled, "nbgrader enables no server extension here: the check below would be empty"
    ours = json.loads((LEARNER_JUPYTER / "jupyter_server_config.json").read_text())
    assert {k: v for k, v in ours["ServerApp"]["jpserver_extensions"].items() if k in enabled} == enabled
