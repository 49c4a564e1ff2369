"""``GET /_mock/ui``: a page to look at the server's state (docs/server.md, "The dashboard").

One HTML page, rendered here on each request, with no external asset and no build step:
the resources by account, region and type, with their status and times; the latest calls
with their errors; a control per resource that sets its status (a few lines of script
posting to ``/_mock/status``), and the clock when the controls have one.

Names, ARNs, tags and error messages are user input: everything shown goes through
``html.escape`` here, and the script writes only with ``textContent``. The page's
``Content-Security-Policy`` allows its own inline style and (by nonce) its one script,
requests to this server only, and nothing else.
"""

from __future__ import annotations

import datetime as _dt
import secrets
from html import escape
from typing import TYPE_CHECKING

from ..lifecycle import status_enum
from ..protocol import WireResponse

if TYPE_CHECKING:
    from ..calls import Call
    from ..records import Record
    from .control import ControlEndpoints

MAX_UI_CALLS = 100
"""How many of the latest calls the page lists (``GET /_mock/calls`` has them all)."""

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d1d1f;background:#fafafa}
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.4em 0 .4em}
h3{font-size:1em;margin:1em 0 .3em;color:#444}
table{border-collapse:collapse;width:100%;background:#fff;margin-bottom:.8em}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#eef1f5;font-weight:600}
td.arn{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}
.status{font-weight:600}.ok{color:#1a7f37}.bad{color:#b42318}.busy{color:#9a6700}
.muted{color:#666}.note{border-left:3px solid #ccc;padding:.2em .6em;color:#555}
form.set{display:flex;gap:.3em;margin:0}form.set select{max-width:16em}
#message{font-weight:600}#message:empty{display:none}td.nowrap{white-space:nowrap}
"""

_SCRIPT = """
"use strict";
const message = document.getElementById("message");
async function post(path, body) {
  const answer = await fetch(path, {method: "POST",
    headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
  const text = await answer.text();
  if (!answer.ok) {
    let shown = text;
    try { shown = JSON.parse(text).message || text; } catch (e) { /* not JSON */ }
    throw new Error(answer.status + ": " + shown);
  }
  return text;
}
function report(text, failed) {
  message.textContent = text;
  message.className = failed ? "bad" : "ok";
}
for (const form of document.querySelectorAll("form.set")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = form.elements.status.value;
    try {
      await post("/_mock/status", {arn: form.dataset.arn, status: status});
      report("Set " + form.dataset.arn + " to " + status + "; reloading");
      location.reload();
    } catch (error) { report(String(error.message), true); }
  });
}
const clock = document.getElementById("clock-form");
if (clock) {
  clock.addEventListener("submit", async (event) => {
    event.preventDefault();
    const seconds = Number(clock.elements.seconds.value);
    try {
      await post("/_mock/clock", {advanceSeconds: seconds});
      report("Clock advanced by " + seconds + " s; reloading");
      location.reload();
    } catch (error) { report(String(error.message), true); }
  });
}
"""


def dashboard(endpoints: ControlEndpoints, body: bytes) -> WireResponse:
    """The ``/_mock/ui`` endpoint: the page, rendered from the state as it is now."""
    nonce = secrets.token_urlsafe(16)
    page = render(endpoints, nonce)
    return WireResponse(
        200,
        page.encode("utf-8"),
        {
            "Content-Type": "text/html; charset=utf-8",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": (
                "default-src 'none'; style-src 'unsafe-inline'; "
                f"script-src 'nonce-{nonce}'; connect-src 'self'; form-action 'none'; "
                "base-uri 'none'; frame-ancestors 'none'"
            ),
        },
    )


def render(endpoints: ControlEndpoints, nonce: str) -> str:
    """The page's HTML; every value from the state is escaped."""
    controls = endpoints.controls
    world = controls.world
    with world.lock:  # a consistent picture: no call runs while it is taken
        groups = []
        for (account, region), backend in sorted(world.backends.items()):
            records = [r for r in backend.records.values() if not r.removed]
            if records:
                groups.append((account, region, records))
        calls = list(controls.calls)
    total = sum(len(records) for _, _, records in groups)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>cleanroomsml-mock</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>cleanroomsml-mock</h1>",
        f'<p class="muted">Rendered {escape(_now())} UTC. '
        f"{total} resource{'s' if total != 1 else ''}, {len(calls)} call"
        f'{"s" if len(calls) != 1 else ""}. <a href="/_mock/ui">Refresh</a> · '
        '<a href="/_mock/state">state (JSON)</a> · <a href="/_mock/calls">calls (JSON)</a></p>',
        '<p id="message" role="status"></p>',
        _clock_section(endpoints),
        '<h2 id="resources">Resources</h2>',
    ]
    if not groups:
        parts.append('<p class="muted" id="no-resources">No resources.</p>')
    for account, region, records in groups:
        parts.append(f"<h3>Account {escape(account)} · {escape(region)}</h3>")
        parts.append(_resource_table(records))
    parts.append('<h2 id="calls">Recent calls</h2>')
    parts.append(_calls_table(calls))
    parts.append(f'<script nonce="{escape(nonce)}">{_SCRIPT}</script></body></html>')
    return "\n".join(parts)


def _clock_section(endpoints: ControlEndpoints) -> str:
    """The clock: its time and a control to advance it (``m.advance_time``,
    ``POST /_mock/clock`` with ``{"advanceSeconds": N}``)."""
    shown = escape(_format(endpoints.controls.now()))
    return (
        '<h2>Clock</h2><form id="clock-form" class="set">'
        f'<span id="clock">Mock time: <span id="clock-now">{shown}</span> UTC</span> '
        '<label>Advance by <input name="seconds" type="number" min="0" value="60" '
        'style="width:6em"> s</label><button type="submit">Advance</button></form>'
    )


def _resource_table(records: list[Record]) -> str:
    rows = [
        "<table><thead><tr><th>type</th><th>name</th><th>status</th><th>created</th>"
        "<th>updated</th><th>tags</th><th>ARN</th><th>set status</th></tr></thead><tbody>"
    ]
    for record in sorted(records, key=lambda r: (r.kind, r.create_time, r.arn)):
        status = record.status or ""
        details = record.track.details if record.track is not None else None
        detail = ""
        if details:
            text = "; ".join(f"{k}: {v}" for k, v in details.items())
            detail = f'<br><span class="muted">{escape(text)}</span>'
        tags = ", ".join(f"{k}={v}" for k, v in sorted(record.tags.items()))
        rows.append(
            f'<tr data-arn="{escape(record.arn)}"><td class="nowrap">{escape(record.kind)}</td>'
            f"<td>{escape(record.name)}</td>"
            f'<td><span class="status {_tone(status)}">{escape(status or "-")}</span>'
            f"{detail}</td>"
            f'<td class="nowrap">{escape(_format(record.create_time))}</td>'
            f'<td class="nowrap">{escape(_format(record.update_time))}</td>'
            f"<td>{escape(tags)}</td>"
            f'<td class="arn">{escape(record.arn)}</td>'
            f"<td>{_status_form(record)}</td></tr>"
        )
    rows.append("</tbody></table>")
    return "".join(rows)


def _status_form(record: Record) -> str:
    statuses = status_enum(record.kind)
    if not statuses:
        return '<span class="muted">no status</span>'
    options = "".join(
        f'<option value="{escape(s)}"{" selected" if s == record.status else ""}>'
        f"{escape(s)}</option>"
        for s in statuses
    )
    return (
        f'<form class="set" data-arn="{escape(record.arn)}">'
        f'<select name="status" aria-label="status">{options}</select>'
        '<button type="submit">Set</button></form>'
    )


def _calls_table(calls: list[Call]) -> str:
    if not calls:
        return '<p class="muted" id="no-calls">No calls yet.</p>'
    latest = calls[-MAX_UI_CALLS:][::-1]
    rows = [
        f'<p class="muted">The latest {len(latest)}, newest first.</p>'
        "<table><thead><tr><th>#</th><th>operation</th><th>account</th><th>region</th>"
        "<th>HTTP status</th><th>error</th></tr></thead><tbody>"
    ]
    first = len(calls)
    for offset, call in enumerate(latest):
        error = call.error
        code = getattr(error, "code", None) or ""
        message = getattr(error, "message", None) or (str(error) if error else "")
        status = int(call.status)
        shown = f"{code}: {message}" if code else message
        rows.append(
            f"<tr><td>{first - offset}</td><td>{escape(call.operation)}</td>"
            f'<td>{escape(call.account)}</td><td class="nowrap">{escape(call.region)}</td>'
            f'<td class="{"bad" if status >= 400 else "ok"}">{status}</td>'
            f'<td class="bad">{escape(shown)}</td></tr>'
        )
    rows.append("</tbody></table>")
    return "".join(rows)


def _tone(status: str) -> str:
    if status.endswith(("FAILED", "ERROR")) or status in ("INACTIVE", "CANCELLED"):
        return "bad"
    if status.endswith("_PENDING") or status.endswith("ING") or status == "PENDING":
        return "busy"
    return "ok"


def _format(moment: object) -> str:
    if isinstance(moment, _dt.datetime):
        if moment.tzinfo is not None:
            moment = moment.astimezone(_dt.timezone.utc)
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    return str(moment)


def _now() -> str:
    return _format(_dt.datetime.now(_dt.timezone.utc))
