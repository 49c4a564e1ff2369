"""CORS for server mode: browsers (the AWS SDK for JavaScript in a page, a web front end
under development) may call the server from a page of another origin (docs/server.md,
"Browsers and CORS").

- Every answer allows the requesting origin: with the default ``*``, every answer carries
  ``Access-Control-Allow-Origin: *``; with a list of origins (``--cors-origins``,
  ``ThreadedServer(cors_origins=...)``), an answer echoes the request's ``Origin`` only if
  it is listed, and carries ``Vary: Origin``; an origin not listed gets no
  ``Access-Control-Allow-*`` header at all, so the browser refuses the answer.
- ``x-amzn-RequestId``, ``x-amzn-ErrorType`` and ``x-amzn-ErrorMessage`` are exposed to the
  page's script (the SDK reads the error type from them).
- Every ``OPTIONS`` request, on any path (API routes and ``/_mock/`` endpoints alike, and a
  path that matches nothing, so that the real request gets its real 404), is answered here
  with 200 and no body: the methods the API and the control endpoints take, and the
  request headers a signed AWS request carries (``ALLOWED_HEADERS``) plus those the
  preflight's ``Access-Control-Request-Headers`` asks for, when they are well-formed header
  names (at most ``MAX_REQUESTED_HEADERS`` of them).

No cookies are involved (AWS requests are signed, not cookie-authenticated), so
``Access-Control-Allow-Credentials`` is never sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

ANY_ORIGIN = "*"

ALLOWED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
"""The methods a preflight allows: those of the API's routes and of ``/_mock/``."""

ALLOWED_HEADERS = (
    "authorization",
    "content-type",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
    "x-amz-user-agent",
    "amz-sdk-invocation-id",
    "amz-sdk-request",
)
"""The request headers a signed AWS request uses (SigV4 and the SDKs' own), always allowed."""

EXPOSED_HEADERS = ("x-amzn-RequestId", "x-amzn-ErrorType", "x-amzn-ErrorMessage")
"""The answer headers a page's script may read."""

MAX_REQUESTED_HEADERS = 64
"""At most this many header names of ``Access-Control-Request-Headers`` are allowed back."""

MAX_AGE_SECONDS = 600
"""How long a browser may cache a preflight's answer."""

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$")  # an HTTP field name (RFC 9110)
_ORIGIN = re.compile(r"^[a-z][a-z0-9+.\-]*://[^/?#\s]+$")

_StartResponse = Callable[..., Any]


def parse_origins(origins: str | Sequence[str] | None) -> tuple[str, ...]:
    """The allowed origins of ``--cors-origins``/``cors_origins=``: ``"*"`` (any origin), a
    comma-separated string or a sequence of origins (``scheme://host[:port]``, as a
    browser sends them in ``Origin``), or ``""``/``None``/``[]`` (no origin). A value that
    is not an origin is a ``ValueError`` naming it."""
    if origins is None:
        return ()
    items = origins.split(",") if isinstance(origins, str) else list(origins)
    parsed: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"a CORS origin must be a string, not {item!r}")
        text = item.strip()
        if not text:
            continue
        if text == ANY_ORIGIN:
            parsed.append(ANY_ORIGIN)
            continue
        normal = text.rstrip("/").lower()
        if not _ORIGIN.match(normal):
            raise ValueError(
                f"CORS origin {text!r} is not an origin: give scheme://host[:port] "
                "(e.g. http://localhost:3000), or * for any origin"
            )
        parsed.append(normal)
    if ANY_ORIGIN in parsed:
        return (ANY_ORIGIN,)
    return tuple(dict.fromkeys(parsed))


class Cors:
    """The CORS policy of one server: ``enter`` is the app's single hook."""

    def __init__(
        self, origins: str | Sequence[str] | None = ANY_ORIGIN, *, keep_alive: str | None = None
    ) -> None:
        self.origins = parse_origins(origins)
        self.any_origin = self.origins == (ANY_ORIGIN,)
        # the environ key that tells the server the request was read whole (app.KEEP_ALIVE)
        self.keep_alive = keep_alive

    def __repr__(self) -> str:
        return f"Cors({', '.join(self.origins) or 'no origin'})"

    def enter(
        self, environ: dict[str, Any], start_response: _StartResponse
    ) -> tuple[_StartResponse, Iterable[bytes] | None]:
        """The app's hook, before anything else: the ``start_response`` that adds this
        policy's headers to the answer, and the answer itself if the request is an
        ``OPTIONS`` (a preflight), answered here; ``None`` otherwise."""
        allow = self._allow_headers(environ)
        if str(environ.get("REQUEST_METHOD", "")).upper() == "OPTIONS":
            return start_response, self._preflight(environ, start_response, allow)

        def start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            present = {name.lower() for name, _ in headers}
            extra = [(k, v) for k, v in allow if k.lower() not in present]
            return start_response(status, [*headers, *extra], *exc_info)

        return start, None

    def _allow_headers(self, environ: dict[str, Any]) -> list[tuple[str, str]]:
        """The headers of every answer to this request: ``Allow-Origin`` and ``Expose``
        if its origin is allowed, and ``Vary: Origin`` when that depends on the origin."""
        if self.any_origin:
            return [
                ("Access-Control-Allow-Origin", ANY_ORIGIN),
                ("Access-Control-Expose-Headers", ", ".join(EXPOSED_HEADERS)),
            ]
        headers = [("Vary", "Origin")]
        origin = str(environ.get("HTTP_ORIGIN") or "")
        if origin and origin.rstrip("/").lower() in self.origins:
            headers += [
                ("Access-Control-Allow-Origin", origin),
                ("Access-Control-Expose-Headers", ", ".join(EXPOSED_HEADERS)),
            ]
        return headers

    def _preflight(
        self,
        environ: dict[str, Any],
        start_response: _StartResponse,
        allow: list[tuple[str, str]],
    ) -> Iterable[bytes]:
        headers = [*allow]
        if any(name == "Access-Control-Allow-Origin" for name, _ in allow):
            headers += [
                ("Access-Control-Allow-Methods", ", ".join(ALLOWED_METHODS)),
                ("Access-Control-Allow-Headers", ", ".join(allowed_headers(environ))),
                ("Access-Control-Max-Age", str(MAX_AGE_SECONDS)),
            ]
        headers += [("Allow", ", ".join(ALLOWED_METHODS)), ("Content-Length", "0")]
        if self.keep_alive and _bodiless(environ):  # nothing left to read: keep it open
            environ[self.keep_alive] = True
        start_response("200 OK", headers)
        return [b""]


def allowed_headers(environ: dict[str, Any]) -> list[str]:
    """``ALLOWED_HEADERS`` plus the well-formed names the preflight asks for (at most
    ``MAX_REQUESTED_HEADERS``), lower-cased, each once."""
    names = dict.fromkeys(ALLOWED_HEADERS)
    requested = str(environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS") or "")
    asked = [part.strip().lower() for part in requested.split(",") if part.strip()]
    for name in asked[:MAX_REQUESTED_HEADERS]:
        if _TOKEN.match(name):
            names.setdefault(name)
    return list(names)


def _bodiless(environ: dict[str, Any]) -> bool:
    length = str(environ.get("CONTENT_LENGTH") or "").strip()
    return length in ("", "0") and not environ.get("wsgi.input_terminated")
