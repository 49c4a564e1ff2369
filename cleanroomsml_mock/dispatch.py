"""The single pipeline every request goes through, in-process or in server mode:

route -> parse -> validate -> identify -> backend method (under the world's lock)
-> paginate -> serialise, or render the error. Records the call.

Any other exception is a bug of the mock: the call is recorded once (status 500, its error
a ``MockBugError`` chained to the exception) and the ``MockBugError`` is raised. In-process
it reaches the caller (botocore does not retry it); the server turns it into a 500.
"""

from __future__ import annotations

from typing import Any

from .calls import Call
from .errors import MockBugError, NotImplementedYet, ServiceError
from .faults import take
from .identity import resolve
from .ids import request_id
from .model import OperationSpec
from .pagination import page
from .protocol import (
    WireRequest,
    WireResponse,
    encode_response,
    parse_request,
    serialize_error,
    to_wire,
)
from .routing import router
from .validation import validate
from .world import World

_error_shape_cache: dict[str, Any] = {}


def _error_shape(code: str) -> Any:
    if code not in _error_shape_cache:
        from .model import error_shape

        _error_shape_cache[code] = error_shape(code)
    return _error_shape_cache[code]


def _invoke(
    world: World, spec: OperationSpec, params: dict[str, Any], account: str, region: str
) -> Any:
    keywords = spec.keywords
    kwargs = {keywords[k]: v for k, v in params.items()}
    pager = spec.paginator
    token = limit = None
    if pager is not None:
        token = kwargs.pop(spec.keywords[pager.input_token], None)
        limit = kwargs.pop(spec.keywords[pager.limit_key], None)
    with world.lock:
        if world.faults:
            injected = take(world.faults, spec.name)
            if injected is not None:
                raise injected
        # the clock acts first: whatever the call looks at shows the time it is
        world.catch_up_locked()
        backend = world.backend(account, region)
        method = getattr(backend, spec.method_name, None)
        if method is None:
            raise NotImplementedYet(
                f"cleanroomsml-mock does not implement {spec.name} yet "
                f"({spec.http_method} {spec.request_uri})"
            )
        result = method(**kwargs)
        if pager is not None:
            items = result[pager.result_key]
            # a token is good for the request it continues: same filters, same caller
            scope = {**kwargs, "@caller": [account, region]}
            chunk, next_token = page(spec.name, scope, items, token, limit)
            result = dict(result)
            result[pager.result_key] = chunk
            result[pager.output_token] = next_token
        if spec.output_shape is None:
            return None
        return to_wire(spec.output_shape, result if result is not None else {})


def dispatch(world: World, request: WireRequest) -> WireResponse:
    """Answer one HTTP request to the Clean Rooms ML API from ``world``.

    Raises ``MockBugError`` (chained to the original exception) on a bug of the mock.
    """
    response = _answer(world, request)
    # like the service, every answer (success or error) names its request
    response.headers["x-amzn-RequestId"] = request_id()
    return response


def _answer(world: World, request: WireRequest) -> WireResponse:
    spec: OperationSpec | None = None
    params: dict[str, Any] = {}
    account = world.config.account_id
    region = "us-east-1"
    path = ""
    try:
        host, path = request.where()
        raw_path, _, query = path.partition("?")
        spec, labels = router().match(request.method.upper(), raw_path)
        account, region = resolve(request.headers, host, world.config.account_id)
        params = parse_request(spec, labels, query, request.body)
        validate(spec.input_shape, params)
        document = _invoke(world, spec, params, account, region)
    except ServiceError as error:
        response = serialize_error(error, _error_shape(error.code))
        world.calls.record(
            Call(
                spec.name if spec else "Unknown",
                None,
                account,
                region,
                error.status,
                None,
                error,
                raw=(request.method, path, request.body),
            )
        )
        return response
    except Exception as exc:  # a bug of the mock: raised to the caller, never retried
        operation = spec.name if spec else "Unknown"
        bug = MockBugError(
            f"cleanroomsml-mock bug while serving {operation}: {type(exc).__name__}: {exc} "
            "(not an answer of the service; the traceback is this exception's __cause__)",
            operation,
        )
        bug.__cause__ = exc
        world.calls.record(Call(operation, params, account, region, 500, None, bug))
        raise bug from exc
    status = spec.response_code
    # the call keeps the request and the bytes sent, and decodes them if they are read
    raw = (request.method, path, request.body)
    response = encode_response(status, document)
    body = response.body if document is not None else None
    world.calls.record(Call(spec.name, None, account, region, status, raw=raw, body=body))
    return response
