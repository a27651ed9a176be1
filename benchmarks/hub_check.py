"""A classroom on one machine: JupyterHub on 127.0.0.1, N students each log in and run lesson 02.

Starts JupyterHub (DummyAuthenticator: any password; SimpleLocalProcessSpawner: every student's
Jupyter server is a local process, homes in a temporary folder), then, for every student at
once, as a class starting together: logs in through the hub's login form, starts the student's
server (REST API), uploads the lesson, opens a notebook session and runs every code cell through
the kernel's websocket, as JupyterLab does. It reports the errors, the time, and the memory of
each student's server and kernel (RSS and PSS, read from /proc) with all kernels still alive,
the state of a class in the middle of a lesson. It installs nothing, listens on loopback only,
bounds every wait, and stops everything it started, also on failure or Ctrl-C.

Needs, once (deploy/jupyterhub/README.md):
    .venv/bin/pip install -c requirements/test.lock.txt -e ".[hub]"   # jupyterhub
    npm ci --prefix deploy/jupyterhub/local                            # configurable-http-proxy

    .venv/bin/python benchmarks/hub_check.py                 # 10 students, lesson 02
    .venv/bin/python benchmarks/hub_check.py --students 2 --json out.json

Exit status 0 only when every student's every cell ran without an error.
"""

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
MARK = "CNNLAB_HUB_CHECK"
LOCAL_CHP = (ROOT / "deploy" / "jupyterhub" / "local" / "node_modules" / ".bin"
             / "configurable-http-proxy")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hub_config(workdir, port, chp, token, one_thread):
    """jupyterhub_config.py: loopback only, dummy logins, local processes, a token for us."""
    home = workdir / "home"
    env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"} if one_thread else {}
    env[MARK] = workdir.name  # tells this run's processes from anyone else's
    args = ["--allow-root"] if os.geteuid() == 0 else []
    return f"""
c = get_config()  # noqa
c.JupyterHub.bind_url = "http://127.0.0.1:{port}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {free_port()}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.command = [{str(chp)!r}]
c.JupyterHub.db_url = "sqlite:///{workdir}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{workdir}/cookie_secret"
c.JupyterHub.pid_file = "{workdir}/jupyterhub.pid"
c.JupyterHub.authenticator_class = "jupyterhub.auth.DummyAuthenticator"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = "{home}/{{username}}"
c.Spawner.cmd = [{str(Path(sys.executable).parent / "jupyterhub-singleuser")!r}]
c.Spawner.args = {args!r}
c.Spawner.default_url = "/lab"
c.Spawner.environment = {env!r}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.JupyterHub.concurrent_spawn_limit = 100
c.JupyterHub.services = [{{"name": "hub-check", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{"name": "hub-check", "services": ["hub-check"],
    "scopes": ["admin:users", "admin:servers", "tokens", "access:servers", "read:users"]}}]
"""


def proc_memory(pid):
    """(RSS, PSS, peak RSS) of one process in bytes; zeros if it is gone."""
    rss = pss = peak = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1]) * 1024
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1]) * 1024
            elif line.startswith("Pss:"):
                pss = int(line.split()[1]) * 1024
    except OSError:
        pass
    return rss, pss, peak


def processes_of(user, run):
    """pids whose environment names this user of this run: the server and its kernels."""
    pids = []
    needles = {f"JUPYTERHUB_USER={user}".encode(), f"{MARK}={run}".encode()}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                env = set((entry / "environ").read_bytes().split(b"\0"))
            except OSError:
                continue
            if needles <= env:
                pids.append(int(entry.name))
    return pids


class Hub:
    def __init__(self, workdir, students, one_thread):
        self.workdir, self.students = workdir, students
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = secrets.token_hex(16)
        self.one_thread = one_thread
        self.proc = None

    def start(self, chp, timeout):
        config = self.workdir / "jupyterhub_config.py"
        config.write_text(hub_config(self.workdir, self.port, chp, self.token, self.one_thread))
        (self.workdir / "home").mkdir()
        for name in self.students:
            (self.workdir / "home" / name).mkdir()
        self.log = open(self.workdir / "hub.log", "w")
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
        env = dict(os.environ, PATH=path)
        self.proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(config)],
                                     cwd=self.workdir, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        return self.proc

    def stop(self):
        """SIGTERM to the hub's process group (hub, proxy), then any student process left."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        for name in self.students:  # servers the hub did not stop (it stops them on SIGTERM)
            for pid in processes_of(name, self.workdir.name):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


async def request(client, method, url, token=None, body=None, headers=None, timeout=60,
                  **kwargs):
    from tornado.httpclient import HTTPRequest
    h = dict(headers or {})
    if token:
        h["Authorization"] = f"token {token}"
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
        h["Content-Type"] = "application/json"
    req = HTTPRequest(url, method=method, headers=h, body=body, request_timeout=timeout,
                      connect_timeout=10, follow_redirects=False,
                      allow_nonstandard_methods=True, **kwargs)
    return await client.fetch(req, raise_error=False)


def cookies_of(response):
    out = {}
    for header in response.headers.get_list("Set-Cookie"):
        name, _, rest = header.partition("=")
        out[name.strip()] = rest.split(";", 1)[0]
    return out


async def login(client, hub, name):
    """The hub's login form, as a browser fills it in: the XSRF cookie, then the POST."""
    first = await request(client, "GET", f"{hub.url}/hub/login")
    jar = cookies_of(first)
    xsrf = jar.get("_xsrf", "")
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    done = await request(client, "POST", f"{hub.url}/hub/login?next=",
                         body=urlencode({"username": name, "password": "any", "_xsrf": xsrf}),
                         headers={"Cookie": cookie,
                                  "Content-Type": "application/x-www-form-urlencoded"})
    if done.code != 302 or "jupyterhub-session-id" not in cookies_of(done):
        raise RuntimeError(f"login of {name} failed: HTTP {done.code} {done.body[:200]!r}")


async def start_server(client, hub, name, timeout):
    r = await request(client, "POST", f"{hub.url}/hub/api/users/{name}/server", hub.token)
    if r.code not in (201, 202):
        raise RuntimeError(f"starting {name}'s server: HTTP {r.code} {r.body[:200]!r}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = await request(client, "GET", f"{hub.url}/hub/api/users/{name}", hub.token)
        server = json.loads(r.body).get("servers", {}).get("", {})
        if server.get("ready"):
            return
        await asyncio.sleep(0.5)
    raise RuntimeError(f"{name}'s server was not ready after {timeout} s")


async def user_token(client, hub, name):
    r = await request(client, "POST", f"{hub.url}/hub/api/users/{name}/tokens", hub.token,
                      body={"note": "hub_check", "expires_in": 3600})
    if r.code != 201:
        raise RuntimeError(f"token for {name}: HTTP {r.code} {r.body[:200]!r}")
    return json.loads(r.body)["token"]


async def run_notebook(client, hub, name, token, notebook, cell_timeout):
    """Upload, open a session, run every code cell on the kernel's websocket; the errors."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect
    base = f"{hub.url}/user/{name}"
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    r = await request(client, "PUT", f"{base}/api/contents/{notebook.name}", token,
                      body={"type": "notebook", "format": "json", "content": nb})
    if r.code not in (200, 201):
        raise RuntimeError(f"upload for {name}: HTTP {r.code} {r.body[:200]!r}")
    r = await request(client, "POST", f"{base}/api/sessions", token,
                      body={"path": notebook.name, "type": "notebook", "name": notebook.name,
                            "kernel": {"name": "python3"}})
    if r.code != 201:
        raise RuntimeError(f"session for {name}: HTTP {r.code} {r.body[:200]!r}")
    kernel = json.loads(r.body)["kernel"]["id"]
    ws_url = base.replace("http://", "ws://") + f"/api/kernels/{kernel}/channels"
    ws = await asyncio.wait_for(websocket_connect(HTTPRequest(
        ws_url, headers={"Authorization": f"token {token}"}), max_message_size=256 * 2**20), 60)
    session, errors = uuid.uuid4().hex, []
    try:
        cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
        for i, cell in enumerate(cells):
            msg_id = uuid.uuid4().hex
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            ws.write_message(json.dumps({
                "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": session,
                           "username": name, "version": "5.3", "date": ""},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": source, "silent": False, "store_history": True,
                            "user_expressions": {}, "allow_stdin": False,
                            "stop_on_error": True}}))
            deadline = time.monotonic() + cell_timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"{name}: code cell {i + 1} ran over {cell_timeout} s")
                raw = await asyncio.wait_for(ws.read_message(), left)
                if raw is None:
                    raise RuntimeError(f"{name}: the kernel's websocket closed")
                if isinstance(raw, bytes):
                    continue  # binary frames: widget buffers
                msg = json.loads(raw)
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "execute_reply" and msg["channel"] == "shell":
                    if msg["content"]["status"] != "ok":
                        errors.append(f"code cell {i + 1}: {msg['content'].get('ename')}: "
                                      f"{msg['content'].get('evalue')}")
                    break
    finally:
        ws.close()
    return len(cells), errors


async def student(client, hub, name, notebook, args, results):
    t0 = time.monotonic()
    record = {"student": name}
    results.append(record)
    await login(client, hub, name)
    record["login_s"] = round(time.monotonic() - t0, 2)
    await start_server(client, hub, name, args.spawn_timeout)
    record["server_ready_s"] = round(time.monotonic() - t0, 2)
    token = await user_token(client, hub, name)
    t1 = time.monotonic()
    record["cells"], record["errors"] = await run_notebook(client, hub, name, token, notebook,
                                                           args.cell_timeout)
    record["lesson_s"] = round(time.monotonic() - t1, 2)
    record["total_s"] = round(time.monotonic() - t0, 2)


async def main_async(hub, notebook, args):
    from tornado.httpclient import AsyncHTTPClient
    AsyncHTTPClient.configure(None, max_clients=4 * len(hub.students))
    client = AsyncHTTPClient()
    deadline = time.monotonic() + args.start_timeout  # the hub answering
    while True:
        if hub.proc.poll() is not None:
            raise RuntimeError(f"JupyterHub exited ({hub.proc.returncode}): see {hub.log.name}")
        try:
            r = await request(client, "GET", f"{hub.url}/hub/api/", timeout=5)
            if r.code == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"JupyterHub did not answer within {args.start_timeout} s")
        await asyncio.sleep(0.5)
    results = []
    t0 = time.monotonic()
    outcomes = await asyncio.wait_for(asyncio.gather(
        *(student(client, hub, n, notebook, args, results) for n in hub.students),
        return_exceptions=True), args.total_timeout)
    wall = time.monotonic() - t0
    for record, outcome in zip(results, outcomes):
        if isinstance(outcome, BaseException):
            record.setdefault("errors", []).append(f"{type(outcome).__name__}: {outcome}")
    # every kernel still alive: the memory of a class in the middle of the lesson
    for record in results:
        pids = processes_of(record["student"], hub.workdir.name)
        mem = [proc_memory(p) for p in pids]
        record["processes"] = len(pids)
        record["rss_mb"] = round(sum(m[0] for m in mem) / 2**20, 1)
        record["pss_mb"] = round(sum(m[1] for m in mem) / 2**20, 1)
        record["peak_mb"] = round(sum(m[2] for m in mem) / 2**20, 1)  # sum of each one's peak
    hub_rss = sum(proc_memory(p)[0] for p in hub_group_pids(hub.proc.pid)) / 2**20
    return results, wall, hub_rss


def hub_group_pids(pgid):
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid and not processes_of_pid(int(entry.name)):
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def processes_of_pid(pid):
    try:
        return b"JUPYTERHUB_USER=" in Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("--notebook", default=str(ROOT / "notebooks" / "02_convolution.ipynb"))
    parser.add_argument("--chp", help="configurable-http-proxy (default: deploy/jupyterhub/"
                        "local's, else the one on PATH)")
    parser.add_argument("--cell-timeout", type=float, default=300)
    parser.add_argument("--spawn-timeout", type=float, default=180)
    parser.add_argument("--start-timeout", type=float, default=60)
    parser.add_argument("--total-timeout", type=float, default=1200)
    parser.add_argument("--blas-threads", choices=["one", "default"], default="one",
                        help="one BLAS thread per kernel (default; what a shared machine wants)")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    args = parser.parse_args(argv)
    if not 1 <= args.students <= 50:
        parser.error("--students: 1 to 50")
    try:
        import jupyterhub  # noqa: F401
        import tornado  # noqa: F401
    except ImportError:
        sys.exit("hub_check: JupyterHub is not installed: "
                 ".venv/bin/pip install -c requirements/test.lock.txt -e '.[hub]'")
    chp = args.chp or (str(LOCAL_CHP) if LOCAL_CHP.exists() else shutil.which(
        "configurable-http-proxy"))
    if not chp:
        sys.exit("hub_check: configurable-http-proxy not found: "
                 "npm ci --prefix deploy/jupyterhub/local")
    if not Path(sys.executable).with_name("jupyterhub-singleuser").exists():
        sys.exit("hub_check: jupyterhub-singleuser is not beside this Python")
    notebook = Path(args.notebook)
    workdir = Path(tempfile.mkdtemp(prefix="cnnlab-hub-"))
    students = [f"student{i:02d}" for i in range(1, args.students + 1)]
    hub = Hub(workdir, students, args.blas_threads == "one")
    t_start = time.monotonic()
    load_before = os.getloadavg()[0]
    try:
        hub.start(chp, args.start_timeout)
        results, wall, hub_rss = asyncio.run(main_async(hub, notebook, args))
    finally:
        hub.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept {workdir}")
    failed = [r for r in results if r.get("errors")]
    n = len(results)
    rss = [r["rss_mb"] for r in results]
    pss = [r["pss_mb"] for r in results]
    print(f"{n} students, {notebook.name}, {os.cpu_count()} cores (load average before: "
          f"{load_before:.1f}), BLAS threads per kernel: {args.blas_threads}")
    print(f"{'student':10} {'login s':>8} {'ready s':>8} {'lesson s':>9} {'total s':>8} "
          f"{'cells':>5} {'procs':>5} {'RSS MB':>7} {'PSS MB':>7} {'peak MB':>7}  errors")
    for r in results:
        print(f"{r['student']:10} {r.get('login_s', '-'):>8} {r.get('server_ready_s', '-'):>8} "
              f"{r.get('lesson_s', '-'):>9} {r.get('total_s', '-'):>8} {r.get('cells', '-'):>5} "
              f"{r['processes']:>5} "
              f"{r['rss_mb']:>7} {r['pss_mb']:>7} {r['peak_mb']:>7}  "
              f"{'; '.join(r.get('errors', [])) or '-'}")
    summary = {
        "students": n, "notebook": notebook.name, "cores": os.cpu_count(),
        "blas_threads": args.blas_threads, "load_before": load_before, "wall_s": round(wall, 1),
        "run_s": round(time.monotonic() - t_start, 1),
        "rss_mb_mean": round(sum(rss) / n, 1), "rss_mb_max": max(rss),
        "pss_mb_mean": round(sum(pss) / n, 1), "pss_mb_max": max(pss),
        "peak_mb_max": max(r["peak_mb"] for r in results),
        "hub_and_proxy_rss_mb": round(hub_rss, 1), "failed": len(failed), "per_student": results,
    }
    print(f"all {n} logged in, started and ran the lesson in {summary['wall_s']} s "
          f"(whole check {summary['run_s']} s); per student: RSS {summary['rss_mb_mean']} MB "
          f"mean, {summary['rss_mb_max']} MB max; PSS {summary['pss_mb_mean']} MB mean; peak "
          f"{summary['peak_mb_max']} MB max; hub and "
          f"proxy {summary['hub_and_proxy_rss_mb']} MB; failed: {len(failed)}")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1))
    return 1 if failed or n != args.students else 0


if __name__ == "__main__":
    sys.exit(main())
