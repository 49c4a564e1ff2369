"""Where botocore hands requests to the mock.

- ``before-send.cleanroomsml`` in botocore's ``BUILTIN_HANDLERS`` (added when this module
  is imported, a no-op while no mock is active): every Session created afterwards sends
  its cleanroomsml requests here. It is service-specific, so it answers before a generic
  ``before-send`` handler such as moto's, and other services never reach it.
- ``before-call.cleanroomsml``: a client created with no credentials at all gets fake
  ones while a mock is active, so signing cannot fail before the request is answered.
  Its ``model`` (the client's ``OperationModel``) hands the client's loaded service model
  to the mock the first time (``model.adopt``): the service description is read once.
- While a mock is active, ``Endpoint._send`` is patched at class level: a client whose
  Session predates this module (so lacks the handler) is still answered in-process when
  its endpoint is cleanrooms-ml, never sent to the network. ``RequestSigner.sign`` is
  patched likewise, so such a client made with no credentials gets fake ones too.

aiobotocore sessions register the same built-in handlers, and await what they return
(``await http_response.content``); the response built here serves both: its content is
bytes that can also be awaited. When aiobotocore is loaded, ``AioEndpoint._send`` is
patched while a mock is active, like ``Endpoint._send``.

Whether a mock is active, and which world answers, is ``active.world()``; the patches go
in and out with the stack of active mocks (``active.add_hook`` at the end of this module).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

from botocore import handlers as _handlers
from botocore.awsrequest import AWSResponse
from botocore.credentials import Credentials

from . import active
from . import model as _model
from .model import ENDPOINT_PREFIX
from .protocol import WireRequest, WireResponse, body_bytes
from .world import World


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


class _Content(bytes):
    """Response bytes that aiobotocore may also ``await`` (it awaits ``.content``)."""

    def __await__(self) -> Generator[Any, None, bytes]:
        return self
        yield  # a generator: awaiting it returns the bytes at once


class _MockAWSResponse(AWSResponse):  # type: ignore[misc]
    """An ``AWSResponse`` whose ``content``/``text`` work for botocore and aiobotocore, and
    whose ``raw.read()`` is a plain read (aiobotocore only streams event-stream or
    streaming outputs, which this service has none of)."""

    def __init__(self, url: str, status: int, headers: Any, body: bytes) -> None:
        super().__init__(url, status, headers, _RawBody(body))
        self._content = _Content(body)


def to_aws_response(url: str, response: WireResponse) -> AWSResponse:
    return _MockAWSResponse(url, response.status, response.headers, response.body)


_dispatch: Any = None  # dispatch.dispatch, imported at the first request


def answer(world: World, request: Any) -> AWSResponse:
    global _dispatch
    if _dispatch is None:
        from .dispatch import dispatch

        _dispatch = dispatch
    wire = WireRequest(request.method, request.url, request.headers, body_bytes(request.body))
    return to_aws_response(request.url, _dispatch(world, wire))


def on_before_send(request: Any = None, **_: Any) -> AWSResponse | None:
    world = active.world()
    if world is None or request is None:
        return None
    return answer(world, request)


def on_before_call(request_signer: Any = None, model: Any = None, **_: Any) -> None:
    if active.world() is None:
        return
    if _model._held is None and model is not None:
        # the client's loaded service model serves the mock too (model.adopt)
        _model.adopt(getattr(model, "service_model", None))
    if request_signer is None:
        return
    if getattr(request_signer, "_credentials", True) is None:
        if type(request_signer).__module__.startswith("aiobotocore"):
            from aiobotocore.credentials import AioCredentials

            request_signer._credentials = AioCredentials("FAKEACCESSKEY", "FAKESECRETKEY")
        else:
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
    world = active.world()
    if world is not None and getattr(self, "_endpoint_prefix", None) == ENDPOINT_PREFIX:
        return answer(world, request)
    return _original_send(self, request)


_original_aio_send: Any = None
_original_sign: Any = None


def _patched_sign(self: Any, operation_name: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
    if (
        getattr(self, "_credentials", True) is None
        and getattr(self, "_signing_name", None) == ENDPOINT_PREFIX
        and active.world() is not None
    ):
        self._credentials = Credentials("FAKEACCESSKEY", "FAKESECRETKEY")
    return _original_sign(self, operation_name, request, *args, **kwargs)


async def _patched_aio_send(self: Any, request: Any) -> Any:
    world = active.world()
    if world is not None and getattr(self, "_endpoint_prefix", None) == ENDPOINT_PREFIX:
        return answer(world, request)
    return await _original_aio_send(self, request)


def patch_endpoint() -> None:
    global _original_send, _original_aio_send, _original_sign
    import sys

    from botocore.endpoint import Endpoint
    from botocore.signers import RequestSigner

    if _original_send is None:
        _original_send = Endpoint._send
        Endpoint._send = _patched_send
    if _original_sign is None:
        _original_sign = RequestSigner.sign
        RequestSigner.sign = _patched_sign
    aio = sys.modules.get("aiobotocore.endpoint")  # only if the application loaded it
    if aio is not None and _original_aio_send is None:
        _original_aio_send = aio.AioEndpoint._send
        aio.AioEndpoint._send = _patched_aio_send


def unpatch_endpoint() -> None:
    global _original_send, _original_aio_send, _original_sign
    import sys

    from botocore.endpoint import Endpoint
    from botocore.signers import RequestSigner

    if _original_send is not None:
        Endpoint._send = _original_send
        _original_send = None
    if _original_sign is not None:
        RequestSigner.sign = _original_sign
        _original_sign = None
    aio = sys.modules.get("aiobotocore.endpoint")
    if aio is not None and _original_aio_send is not None:
        aio.AioEndpoint._send = _original_aio_send
    _original_aio_send = None


def _hooks_in() -> None:
    install_builtin_handlers()
    patch_endpoint()


install_builtin_handlers()
active.add_hook(_hooks_in, unpatch_endpoint)
