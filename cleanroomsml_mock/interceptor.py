"""Where botocore hands requests to the mock.

- ``before-send.cleanroomsml`` in botocore's ``BUILTIN_HANDLERS`` (added when this module
  is imported, a no-op while no mock is active): every Session created afterwards sends
  its cleanroomsml requests here. It is service-specific, so it answers before a generic
  ``before-send`` handler such as moto's, and other services never reach it.
- ``before-call.cleanroomsml``: a client created with no credentials at all gets fake
  ones while a mock is active, so signing cannot fail before the request is answered.
- While a mock is active, ``Endpoint._send`` is patched at class level: a client whose
  Session predates this module (so lacks the handler) is still answered in-process when
  its endpoint is cleanrooms-ml, never sent to the network.
- While a mock is active, raw ``requests`` calls to a cleanrooms-ml endpoint are answered
  by the same dispatcher through the package's own ``responses.RequestsMock`` (never the
  default one); every other URL passes through to whatever ``HTTPAdapter.send`` was in
  place at start, so an outer moto or ``responses`` mock keeps working.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable, Iterator
from typing import Any

from botocore import handlers as _handlers
from botocore.awsrequest import AWSResponse
from botocore.credentials import Credentials

from .model import ENDPOINT_PREFIX
from .protocol import WireRequest, WireResponse

# Set by mock.py: returns the World of the active mock, or None.
current_world: Callable[[], Any] = lambda: None  # noqa: E731


class _RawBody:
    __slots__ = ("_body",)

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        if self._body:
            yield self._body

    def read(self, *_: Any) -> bytes:
        body, self._body = self._body, b""
        return body


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return bytes(body)


def to_aws_response(url: str, response: WireResponse) -> AWSResponse:
    return AWSResponse(url, response.status, response.headers, _RawBody(response.body))


def answer(world: Any, request: Any) -> AWSResponse:
    from .dispatch import dispatch

    wire = WireRequest(request.method, request.url, request.headers, _body_bytes(request.body))
    return to_aws_response(request.url, dispatch(world, wire))


def on_before_send(request: Any = None, **_: Any) -> AWSResponse | None:
    world = current_world()
    if world is None or request is None:
        return None
    return answer(world, request)


def on_before_call(request_signer: Any = None, **_: Any) -> None:
    if current_world() is None or request_signer is None:
        return
    if getattr(request_signer, "_credentials", True) is None:
        request_signer._credentials = Credentials("FAKEACCESSKEY", "FAKESECRETKEY")


_HANDLERS = (
    ("before-send.cleanroomsml", on_before_send),
    ("before-call.cleanroomsml", on_before_call),
)


def install_builtin_handlers() -> None:
    for entry in _HANDLERS:
        if entry not in _handlers.BUILTIN_HANDLERS:
            _handlers.BUILTIN_HANDLERS.append(entry)


_original_send: Any = None


def _patched_send(self: Any, request: Any) -> Any:
    world = current_world()
    if world is not None and getattr(self, "_endpoint_prefix", None) == ENDPOINT_PREFIX:
        return answer(world, request)
    return _original_send(self, request)


def patch_endpoint() -> None:
    global _original_send
    from botocore.endpoint import Endpoint

    if _original_send is None:
        _original_send = Endpoint._send
        Endpoint._send = _patched_send


def unpatch_endpoint() -> None:
    global _original_send
    from botocore.endpoint import Endpoint

    if _original_send is not None:
        Endpoint._send = _original_send
        _original_send = None


# ---------------------------------------------------------------- raw ``requests`` calls

RAW_URL = re.compile(
    r"https?://cleanrooms-ml\.[^/]+\.(?:amazonaws\.com(?:\.cn)?|api\.aws)(?::\d+)?(?:/.*)?"
)
_RAW_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_requests_mock: Any = None


def _raw_callback(request: Any) -> tuple[int, dict[str, str], bytes]:
    from .dispatch import dispatch

    world = current_world()
    headers = {str(k): str(v) for k, v in request.headers.items()}
    wire = WireRequest(request.method, request.url, headers, _body_bytes(request.body))
    response = dispatch(world, wire)
    return response.status, response.headers, response.body


def patch_requests() -> None:
    """Answer raw ``requests`` calls to cleanrooms-ml (only if ``requests`` is installed)."""
    global _requests_mock
    if _requests_mock is not None or importlib.util.find_spec("requests") is None:
        return
    import responses
    from requests.adapters import HTTPAdapter

    mock = responses.RequestsMock(
        assert_all_requests_are_fired=False,
        real_adapter_send=HTTPAdapter.send,  # type: ignore[arg-type]
    )
    for method in _RAW_METHODS:
        mock.add_callback(method, RAW_URL, callback=_raw_callback, content_type=None)
    mock.add_passthru(re.compile(".*"))
    mock.start()
    _requests_mock = mock


def unpatch_requests() -> None:
    global _requests_mock
    if _requests_mock is not None:
        _requests_mock.stop(allow_assert=False)
        _requests_mock = None


install_builtin_handlers()
