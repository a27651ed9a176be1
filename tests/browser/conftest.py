"""A JupyterLab server and a Chromium page for the browser tests.

The server runs on 127.0.0.1 on a free port with an isolated HOME and a temporary root that holds
a copy of the notebooks under test (autosave never writes into the repository). Chromium is
Debian's (/usr/bin/chromium, or $CNNLAB_CHROMIUM). Without it the tests are skipped with a reason,
unless CNNLAB_REQUIRE_BROWSER=1 (as in CI), which turns a missing browser into an error.
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CNNLAB_CHROMIUM", "/usr/bin/chromium")
REQUIRE = os.environ.get("CNNLAB_REQUIRE_BROWSER") == "1"
SCREENSHOTS = Path(os.environ.get("CNNLAB_SCREENSHOTS", REPO / "build" / "screenshots"))


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives JupyterLab in Chromium (needs /usr/bin/chromium)")


def _unavailable(reason):
    if REQUIRE:
        pytest.fail(f"CNNLAB_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(f"browser test skipped: {reason} (set CNNLAB_REQUIRE_BROWSER=1 to make this an error)")


@pytest.fixture(scope="session")
def chromium_path():
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"Chromium was not found at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the Python package playwright is not installed")
    return CHROMIUM


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_json(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


class LabServer:
    """A running JupyterLab: ``url``, ``root`` (the temporary root) and ``stop()``."""

    def __init__(self, notebooks, settings_dir=None):
        """``notebooks``: files copied into the root, or a folder copied as the root (``make
        demo``'s demo/); ``settings_dir``: a user settings folder for Lab, as make demo passes
        it (``--LabApp.user_settings_dir``), relative to the root; the default is the isolated
        HOME's."""
        self.tmp = Path(tempfile.mkdtemp(prefix="cnnlab-lab-"))
        self.root = self.tmp / "root"
        home = self.tmp / "home"
        if isinstance(notebooks, (str, Path)) and Path(notebooks).is_dir():
            shutil.copytree(notebooks, self.root)
        else:
            self.root.mkdir()
            for nb in notebooks:
                shutil.copy(nb, self.root / Path(nb).name)
        user_settings = (self.root / settings_dir if settings_dir else
                         home / ".jupyter" / "lab" / "user-settings")
        settings = user_settings / "@jupyterlab"
        # No news toast over the screenshots; every cell in the DOM (no virtual scrolling).
        _write_json(settings / "apputils-extension" / "notification.jupyterlab-settings",
                    {"fetchNews": "false", "checkForUpdates": False})
        _write_json(settings / "notebook-extension" / "tracker.jupyterlab-settings",
                    {"windowingMode": "none"})
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, HOME=str(home), JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
                   JUPYTER_RUNTIME_DIR=str(self.tmp / "runtime"), IPYTHONDIR=str(home / ".ipython"))
        env.pop("JUPYTER_DATA_DIR", None)
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={self.port}",
               "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password=",
               f"--ServerApp.root_dir={self.root}", "--LabApp.expose_app_in_browser=True",
               "--ServerApp.port_retries=0"]
        if settings_dir:
            cmd.append(f"--LabApp.user_settings_dir={user_settings}")
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        self.log = open(self.tmp / "server.log", "wb")
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready()

    def _wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited early:\n{self.server_log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"JupyterLab did not answer within {timeout} s:\n{self.server_log()}")

    def server_log(self):
        self.log.flush()
        return (self.tmp / "server.log").read_text(errors="replace")[-4000:]

    @staticmethod
    def wait_for_kernel(page):
        """Wait until the current notebook's kernel is ready: its session is ready and the kernel's
        info has arrived (the execution indicator says "idle" earlier than that)."""
        page.evaluate("""async () => {
            const nb = window.jupyterapp.shell.currentWidget;
            await nb.context.ready;
            await nb.sessionContext.ready;
            await nb.sessionContext.session.kernel.info;
        }""")

    def shutdown_kernels(self, page):
        """Shut every kernel down through the REST API (the _xsrf cookie echoed as a header)."""
        page.evaluate("""async () => {
            const xsrf = (document.cookie.match(/_xsrf=([^;]+)/) || [])[1] || '';
            const headers = {'X-XSRFToken': decodeURIComponent(xsrf)};
            const kernels = await (await fetch('/api/kernels', {headers})).json();
            for (const k of kernels) {
                await fetch('/api/kernels/' + k.id, {method: 'DELETE', headers});
            }
        }""")

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)  # the server and the kernels it started
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def lab_server():
    """The `LabServer` class, for modules that start their own (conftest is no importable module)."""
    return LabServer


@pytest.fixture(scope="module")
def lab(chromium_path):
    server = LabServer([REPO / "notebooks" / "00_explorers_tour.ipynb"])
    yield server
    server.stop()


@contextlib.contextmanager
def _chromium_page(chromium_path):
    """A page of headless Debian Chromium, 1400 x 1000, closed on the way out."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        try:
            pg = context.new_page()
            pg.set_default_timeout(60_000)
            yield pg
        finally:
            context.close()
            browser.close()


@pytest.fixture(scope="session")
def chromium_page():
    """`_chromium_page`, for modules whose page serves more than one server."""
    return _chromium_page


@pytest.fixture(scope="module")
def page(lab, chromium_path):
    with _chromium_page(chromium_path) as pg:
        yield pg
        lab.shutdown_kernels(pg)


@pytest.fixture(scope="session")
def screenshots():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
