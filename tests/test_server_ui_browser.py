"""Server mode in a real browser (Debian's ``chromium``, headless): a page of another origin
calls the server through CORS, and the dashboard ``GET /_mock/ui`` renders the state and
sets a status (docs/server.md, "Browsers and CORS" and "The dashboard").

Chromium is driven with ``--dump-dom`` / ``--screenshot`` and, for a click, the DevTools
protocol over ``--remote-debugging-pipe`` (standard library only). Every subprocess has a
bounded timeout, and all traffic goes to 127.0.0.1 (``--no-proxy-server``). Where no
chromium is installed (.ci/run installs it with apt), the browser tests skip, saying so;
the page's own tests below them run everywhere.

Set ``CLEANROOMSML_ARTIFACTS`` to a folder to keep the dashboard's screenshot there too.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import struct
import subprocess
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from cleanroomsml_mock.server import ThreadedServer

from .builders import make_audience_model, make_training_dataset, training_data

BROWSER_TIMEOUT = 120  # seconds, for one run of chromium (two cores shared by many)
BROWSER_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-proxy-server",  # 127.0.0.1 only, whatever the environment's proxy settings
    "--no-default-browser-check",
]


def _find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


CHROMIUM = _find_chromium()
needs_browser = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium on PATH (.ci/run installs Debian's chromium with apt; "
    "`apt-get install chromium` here to run the browser tests)",
)


def run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    finished = subprocess.run(
        [CHROMIUM, *BROWSER_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    return finished


def dump_dom(tmp_path: Path, url: str) -> str:
    """The DOM of ``url`` once its scripts have run (and their fetches are answered)."""
    return run_chromium(tmp_path, "--virtual-time-budget=10000", "--dump-dom", url).stdout


class _Elements(HTMLParser):
    """The text of the elements with an ``id``, and the rows (``tr``) by ``data-arn``."""

    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, str] = {}
        self.rows: dict[str, list[str]] = {}
        self._open: list[tuple[str, str | None, str | None]] = []  # tag, id, data-arn
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("meta", "input", "br", "link", "img"):
            return
        self._open.append((tag, found.get("id"), found.get("data-arn")))
        if element_id := found.get("id"):
            self.by_id.setdefault(element_id, "")
        if tag == "tr" and found.get("data-arn"):
            self.rows[str(found["data-arn"])] = []
        if tag == "td":
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            row = next((arn for t, _, arn in reversed(self._open) if t == "tr" and arn), None)
            if row is not None:
                self.rows[row].append("".join(self._cell).strip())
            self._cell = None
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, element_id, _ in self._open:
            if element_id is not None:
                self.by_id[element_id] += data
        if self._cell is not None:
            self._cell.append(data)


def parse(html: str) -> _Elements:
    elements = _Elements()
    elements.feed(html)
    return elements


def client_of(server: ThreadedServer) -> Any:
    return boto3.client(
        "cleanroomsml",
        region_name="us-east-1",
        endpoint_url=server.endpoint_url,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": 1}),
    )


@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    with ThreadedServer(lifecycle="manual") as running:
        yield running


@pytest.fixture
def page_server() -> Iterator[tuple[str, dict[str, bytes]]]:
    """A second local HTTP server (another origin): serves the pages put in its dict."""
    pages: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", pages
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


# A page of another origin: a preflighted POST (JSON, an X-Amz-Date header), then a GET
# whose error type is read from the exposed x-amzn-ErrorType header.
CALLER = """<!DOCTYPE html><html><body><p id="created">waiting</p><p id="error">waiting</p>
<script>
const mock = %(mock)s;
fetch(mock + "/training-dataset", {
  method: "POST",
  headers: {"Content-Type": "application/json", "X-Amz-Date": "20260101T000000Z"},
  body: JSON.stringify(%(body)s),
}).then(async (answer) => {
  document.getElementById("created").textContent =
    "status " + answer.status + " " + (await answer.text());
}).catch((error) => {
  document.getElementById("created").textContent = "blocked " + error.name;
}).then(() => fetch(mock + "/training-dataset/" + encodeURIComponent(%(missing)s)))
.then((answer) => {
  document.getElementById("error").textContent =
    "status " + answer.status + " type " + answer.headers.get("x-amzn-ErrorType");
}).catch((error) => {
  document.getElementById("error").textContent = "blocked " + error.name;
});
</script></body></html>"""

MISSING = (
    "arn:aws:cleanrooms-ml:us-east-1:123456789012:"
    "training-dataset/0f0f0f0f-0f0f-4f0f-8f0f-0f0f0f0f0f0f"
)


def caller_page(mock_url: str, name: str) -> bytes:
    body = {
        "name": name,
        "roleArn": "arn:aws:iam::123456789012:role/cleanrooms-ml",
        "trainingData": training_data(),
    }
    values = {"mock": mock_url, "body": body, "missing": MISSING}
    return (CALLER % {key: json.dumps(value) for key, value in values.items()}).encode()


@needs_browser
def test_a_page_of_another_origin_calls_the_server_through_a_preflight(
    server: ThreadedServer, page_server: tuple[str, dict[str, bytes]], tmp_path: Path
) -> None:
    origin, pages = page_server
    pages["/caller.html"] = caller_page(server.endpoint_url, "from-browser")
    dom = parse(dump_dom(tmp_path, origin + "/caller.html"))
    created = dom.by_id["created"]
    assert created.startswith("status 200 "), created
    arn = json.loads(created.split(" ", 2)[2])["trainingDatasetArn"]
    assert client_of(server).get_training_dataset(trainingDatasetArn=arn)["name"] == "from-browser"
    # the error type of a failed call reaches the page's script (exposed header)
    assert dom.by_id["error"] == "status 404 type ResourceNotFoundException"


@needs_browser
def test_a_page_of_an_origin_not_listed_is_refused_before_its_request_is_sent(
    page_server: tuple[str, dict[str, bytes]], tmp_path: Path
) -> None:
    with ThreadedServer(cors_origins="http://127.0.0.1:1") as server:
        origin, pages = page_server
        pages["/caller.html"] = caller_page(server.endpoint_url, "never-created")
        dom = parse(dump_dom(tmp_path, origin + "/caller.html"))
        assert dom.by_id["created"] == "blocked TypeError"
        assert dom.by_id["error"] == "blocked TypeError"
        # the preflight failed, so the browser never sent the POST
        assert [c.operation for c in server.calls] == ["GetTrainingDataset"]
        assert not client_of(server).list_training_datasets()["trainingDatasets"]


def dashboard_state(server: ThreadedServer) -> tuple[str, str]:
    client = client_of(server)
    dataset = make_training_dataset(client, name="clicks", tags={"team": "growth"})
    model = make_audience_model(client, dataset, name="lookalike")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_training_dataset(trainingDatasetArn=MISSING)
    return dataset, model


@needs_browser
def test_the_dashboard_shows_resources_their_status_and_the_calls(
    server: ThreadedServer, tmp_path: Path
) -> None:
    dataset, model = dashboard_state(server)
    html = dump_dom(tmp_path, server.endpoint_url + "/_mock/ui")
    dom = parse(html)
    kind, name, status, created, updated, tags, arn, _ = dom.rows[model]
    assert (kind, name, status, tags, arn) == (
        "audience-model", "lookalike", "CREATE_PENDING", "", model
    )  # fmt: skip
    assert created and updated
    assert dom.rows[dataset][:3] == ["training-dataset", "clicks", "ACTIVE"]
    assert dom.rows[dataset][5] == "team=growth"
    calls = html.split('id="calls"', 1)[1]
    assert "GetTrainingDataset" in calls and "CreateAudienceModel" in calls
    assert f"ResourceNotFoundException: Training dataset {MISSING} not found" in calls

    server.set_status(model, "CREATE_FAILED", status_code="OutOfCapacity", message="no GPUs")
    dom = parse(dump_dom(tmp_path, server.endpoint_url + "/_mock/ui"))
    assert dom.rows[model][2] == "CREATE_FAILEDstatusCode: OutOfCapacity; message: no GPUs"


@needs_browser
def test_the_dashboard_escapes_what_it_shows(server: ThreadedServer, tmp_path: Path) -> None:
    """Names, ARNs, tags and messages are user input: shown as text, never as markup."""
    client = client_of(server)
    name = '<b id="injected-name">x</b>'  # the model's name pattern allows it
    dataset = make_training_dataset(client, name=name)
    hostile = '<img id="injected-tag" src=x onerror="document.title=1">"\'&'
    found = server.world.find(dataset)
    assert found is not None
    found[1].tags["note"] = hostile  # (the service's tag pattern would refuse it)
    message = "<i id=injected-error>"
    server.inject_error("GetTrainingDataset", "ValidationException", message=message)
    with pytest.raises(client.exceptions.ValidationException):
        client.get_training_dataset(trainingDatasetArn=dataset)
    html = dump_dom(tmp_path, server.endpoint_url + "/_mock/ui")
    dom = parse(html)
    assert not [element for element in dom.by_id if element.startswith("injected")]
    assert dom.rows[dataset][1] == name
    assert dom.rows[dataset][5] == f"note={hostile}"
    assert "&lt;i id=injected-error&gt;" in html
    assert "<title>cleanroomsml-mock</title>" in html


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@needs_browser
def test_a_screenshot_of_the_dashboard_is_kept(server: ThreadedServer, tmp_path: Path) -> None:
    _, model = dashboard_state(server)
    server.set_status(model, "CREATE_FAILED", status_code="OutOfCapacity", message="no GPUs")
    shot = tmp_path / "dashboard.png"
    run_chromium(
        tmp_path,
        "--window-size=1400,900",
        "--hide-scrollbars",
        "--virtual-time-budget=5000",
        f"--screenshot={shot}",
        server.endpoint_url + "/_mock/ui",
    )
    assert _png_size(shot) == (1400, 900)
    assert shot.stat().st_size > 10_000  # a rendered page, not a blank one
    kept = [shot]
    artifacts = os.environ.get("CLEANROOMSML_ARTIFACTS")
    if artifacts:
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        kept.append(Path(shutil.copy(shot, Path(artifacts) / "dashboard.png")))
    print("dashboard screenshot:", *kept)


# ---------------------------------------------------------------- the page's control


class DevTools:
    """Chromium's DevTools protocol over ``--remote-debugging-pipe`` (fds 3 and 4, messages
    ending in NUL): enough to run script in the page."""

    def __init__(self, tmp_path: Path, url: str) -> None:
        assert CHROMIUM is not None
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire_fds() -> None:  # in the child: the pipe's ends as its fds 3 and 4
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser_r, from_browser_w)]
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.process = subprocess.Popen(
            [CHROMIUM, *BROWSER_FLAGS, f"--user-data-dir={tmp_path / 'profile-cdp'}",
             "--remote-debugging-pipe", url],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire_fds,
            pass_fds=(3, 4),  # kept open after preexec_fn
        )  # fmt: skip
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next = 0
        self.session: str | None = None

    def call(self, method: str, timeout: float = 60, **params: Any) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if self.session is not None:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self._buffer:
                ready, _, _ = select.select([self._from_browser], [], [], timeout)
                assert ready, f"chromium did not answer {method} within {timeout} s"
                chunk = os.read(self._from_browser, 1 << 16)
                assert chunk, "chromium closed the DevTools pipe"
                self._buffer += chunk
            raw, _, self._buffer = self._buffer.partition(b"\0")
            answer = json.loads(raw)
            if answer.get("id") == self._next:
                assert "error" not in answer, answer
                return dict(answer["result"])

    def attach(self) -> None:
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", targetId=page["targetId"], flatten=True)[
            "sessionId"
        ]

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def wait_for(self, expression: str, attempts: int = 600) -> Any:
        """The value of ``expression`` once truthy, polled in the page (bounded); a page
        that navigates meanwhile (a reload) is polled again."""
        for _ in range(20):
            try:
                return self._poll(expression, attempts)
            except AssertionError as exc:
                navigated = (
                    "Execution context was destroyed",
                    "Cannot find default execution context",
                    "Inspected target navigated or closed",
                )
                if not any(text in str(exc) for text in navigated):
                    raise
        raise AssertionError(f"the page kept navigating while waiting for {expression}")

    def _poll(self, expression: str, attempts: int) -> Any:
        poll = (
            "new Promise((done) => { let n = 0; const tick = () => { let v; "
            f"try {{ v = ({expression}); }} catch (e) {{ v = null; }} "
            f"if (v || ++n >= {attempts}) done(v || null); else setTimeout(tick, 50); }}; "
            "tick(); })"
        )
        return self.evaluate(poll)

    def close(self) -> None:
        self.process.terminate()  # a throwaway profile: nothing to close cleanly
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
        os.close(self._to_browser)
        os.close(self._from_browser)


@needs_browser
def test_the_dashboard_control_sets_a_status(server: ThreadedServer, tmp_path: Path) -> None:
    _, model = dashboard_state(server)
    browser = DevTools(tmp_path, server.endpoint_url + "/_mock/ui")
    try:
        browser.attach()
        selector = json.dumps(f'form.set[data-arn="{model}"]')
        assert browser.wait_for(f"document.querySelector({selector}) !== null")
        browser.evaluate(
            f"(() => {{ const form = document.querySelector({selector}); "
            "form.elements.status.value = 'ACTIVE'; form.requestSubmit(); return true; })()"
        )
        row = json.dumps(f'tr[data-arn="{model}"] .status')
        shown = browser.wait_for(
            f"document.querySelector({row}).textContent === 'ACTIVE' && "
            f"document.querySelector({row}).textContent"
        )
        assert shown == "ACTIVE"  # the page reloaded and shows the new status
    finally:
        browser.close()
    assert client_of(server).get_audience_model(audienceModelArn=model)["status"] == "ACTIVE"


# ---------------------------------------------------------------- the page itself (no browser)


def test_the_page_is_html_with_a_strict_content_security_policy(server: ThreadedServer) -> None:
    answer = requests.get(server.endpoint_url + "/_mock/ui", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    policy = answer.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    assert "http" not in answer.text.replace(server.endpoint_url, "")  # no external asset
    assert "innerHTML" not in answer.text
    head = requests.head(server.endpoint_url + "/_mock/ui", timeout=10)
    assert head.status_code == 200 and head.content == b""
    assert requests.post(server.endpoint_url + "/_mock/ui", timeout=10).status_code == 405


def test_the_page_shows_the_mock_clock_and_its_control(server: ThreadedServer) -> None:
    import datetime as dt

    def shown() -> dt.datetime:
        page = parse(requests.get(server.endpoint_url + "/_mock/ui", timeout=10).text)
        assert "clock-form" in page.by_id
        return dt.datetime.strptime(page.by_id["clock-now"], "%Y-%m-%d %H:%M:%S")

    before = shown()
    answer = requests.post(
        server.endpoint_url + "/_mock/clock", json={"advanceSeconds": 10 * 86400}, timeout=10
    )
    assert answer.status_code == 200
    assert shown() - before >= dt.timedelta(days=10)
