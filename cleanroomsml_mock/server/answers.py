"""The server's own JSON answers: control results, refusals of bad input, and the 500 that
reports a bug of the mock (docs/server.md, "Bad input" and "Bugs of the mock")."""

from __future__ import annotations

import json
import logging
from typing import Any

from ..errors import MockBugError
from ..ids import request_id
from ..protocol import WireResponse

logger = logging.getLogger("cleanroomsml_mock.server")
"""Where the server logs the traceback of a bug of the mock (its 500 answer has none)."""


class Refused(Exception):
    """Raised to answer a request with ``response`` instead of serving it."""

    def __init__(self, response: WireResponse) -> None:
        super().__init__(response.status)
        self.response = response


def json_answer(status: int, document: Any, headers: dict[str, str] | None = None) -> WireResponse:
    out = {"Content-Type": "application/json"}
    out.update(headers or {})
    return WireResponse(status, json.dumps(document).encode(), out)


def error_answer(status: int, code: str, message: str, **headers: str) -> WireResponse:
    return json_answer(
        status, {"code": code, "message": message}, {"x-amzn-ErrorType": code, **headers}
    )


SERVER_ERRORS = {
    400: "ValidationException",
    404: "NotFound",
    405: "MethodNotAllowed",
    408: "RequestTimeoutException",
    413: "RequestEntityTooLargeException",
    414: "RequestURITooLongException",
    415: "UnsupportedMediaTypeException",
    431: "RequestHeaderFieldsTooLargeException",
    501: "NotImplementedException",
    505: "HTTPVersionNotSupportedException",
}
"""The error code (body ``code`` and ``x-amzn-ErrorType``) of each refusal of the server
itself, made before a request reaches an operation (docs/server.md, "Bad input")."""


def refusal(status: int, message: str, **headers: str) -> WireResponse:
    """The server's own refusal of a request, in the shape of every error answer."""
    return error_answer(
        status, SERVER_ERRORS.get(status, "ValidationException"), message, **headers
    )


def invalid(message: str, **headers: str) -> WireResponse:
    """A 400 ``ValidationException``: the request cannot be served as sent."""
    return error_answer(400, "ValidationException", message, **headers)


def mock_bug_answer(exc: BaseException, where: str, request: str) -> WireResponse:
    """The 500 answer to a bug of the mock: an ``InternalServiceException`` (the modelled
    500, so SDKs map it) that says it is a mock bug, with no file paths; the traceback goes
    to the server's log, under the answer's request id."""
    rid = request_id()
    cause = exc.__cause__ if isinstance(exc, MockBugError) and exc.__cause__ else exc
    logger.error(
        "cleanroomsml-mock bug while serving %s (%s, request %s)",
        where,
        request,
        rid,
        exc_info=cause,
    )
    return error_answer(
        500,
        "InternalServiceException",
        f"cleanroomsml-mock bug while serving {where}: {type(cause).__name__}. This is a bug "
        f"of the mock, not an answer of the service; the traceback is in the server's log "
        f"(request {rid}).",
        **{"x-amzn-RequestId": rid},
    )
