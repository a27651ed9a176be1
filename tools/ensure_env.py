"""Install the project's environment only when its dependencies changed; work offline otherwise.

Every make target runs this first (``make install`` does nothing else). It compares a hash of
what decides the environment (pyproject.toml's build-system, dependencies and extras, the lock
file, the extras asked for) with the one recorded in the stamp file at the last successful
install. The same hash: nothing to do, no pip, no network; so a ``git pull`` or an editor that
only touches pyproject.toml, or changes its pytest settings, costs nothing. Another hash: pip
installs, and the stamp records the new hash. If pip fails (offline, say) while an environment
from an earlier install exists, this says so and carries on with that environment, exit 0; with
no environment at all it fails.

    python tools/ensure_env.py --stamp .venv/.cnnlab-installed --lock requirements/test.lock.txt \\
        --extras course,test,grade --pip ".venv/bin/python -m pip"

Standard library only: it runs before anything is installed.
"""

import argparse
import hashlib
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # 3.10: hash the whole file (reinstalls a little more often)
    tomllib = None


def dependency_hash(pyproject, lock, extras):
    """A hash of everything that decides what pip installs, and of nothing else."""
    text = Path(pyproject).read_text(encoding="utf-8")
    if tomllib is not None:
        data = tomllib.loads(text)
        project = data.get("project", {})
        decided = {
            "build-system": data.get("build-system", {}),
            "requires-python": project.get("requires-python"),
            "dependencies": project.get("dependencies", []),
            "optional-dependencies": project.get("optional-dependencies", {}),
        }
        text = json.dumps(decided, sort_keys=True)
    h = hashlib.sha256()
    h.update(text.encode())
    h.update(b"\0" + ",".join(extras).encode() + b"\0")
    if lock:
        h.update(Path(lock).read_bytes())
    return h.hexdigest()


def pip_command(pip, lock, extras):
    cmd = shlex.split(pip) + ["install", "--disable-pip-version-check", "-q"]
    if lock:
        cmd += ["-c", str(lock)]  # constraints: the locked versions, nothing installed for them
    return cmd + ["-e", f".[{','.join(extras)}]" if extras else "."]


def read_stamp(stamp):
    try:
        return Path(stamp).read_text(encoding="utf-8").split()[0]
    except (OSError, IndexError):
        return ""  # no stamp, or the empty one older Makefiles touched


def write_stamp(stamp, digest):
    Path(stamp).write_text(f"{digest}\n# installed {time.strftime('%Y-%m-%d %H:%M')}\n",
                           encoding="utf-8")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stamp", required=True)
    parser.add_argument("--pyproject", default="pyproject.toml")
    parser.add_argument("--lock", default="", help="a constraints file of exact pins")
    parser.add_argument("--extras", default="", help="comma-separated extras of the project")
    parser.add_argument("--pip", default=f"{sys.executable} -m pip")
    parser.add_argument("--mark-installed", action="store_true",
                        help="record the current hash without installing (after make lock)")
    args = parser.parse_args(argv)
    extras = [e for e in args.extras.split(",") if e]
    if args.lock and not Path(args.lock).exists():
        print(f"ensure_env: no {args.lock}: installing without it (make lock writes it)")
        args.lock = ""
    digest = dependency_hash(args.pyproject, args.lock, extras)
    stamp = Path(args.stamp)

    if args.mark_installed:
        write_stamp(stamp, digest)
        return 0
    if read_stamp(stamp) == digest:
        return 0  # the dependencies are the ones installed: nothing to do, works offline

    cmd = pip_command(args.pip, args.lock, extras)
    print("The dependencies changed (or nothing is installed yet): " + " ".join(cmd), flush=True)
    if subprocess.run(cmd).returncode == 0:
        write_stamp(stamp, digest)
        return 0
    if stamp.exists():
        print(f"\n*** pip could not install the changed dependencies (offline?).\n"
              f"*** Carrying on with the environment installed before ({stamp}); it may lack "
              f"what changed.\n*** Run `make install` again once online. (Online, pip's message "
              f"above says why: a range in pyproject.toml\n*** that the lock excludes needs "
              f"`make lock UPGRADE=1`.)\n", file=sys.stderr)
        return 0
    print("\n*** pip failed and there is no environment yet: the first install needs the "
          "network (or a pip cache).\n", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
