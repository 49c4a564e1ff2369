"""Raw ``requests`` calls to a cleanrooms-ml endpoint, answered by the active mock.

The mock owns a ``responses.RequestsMock`` (never the library's default one), created when
the first mock starts. It answers every method on cleanrooms-ml hosts
(``cleanrooms-ml[-fips].<region>.<suffix>`` for the DNS suffix of every partition:
``amazonaws.com[.cn]``, the dual-stack ``api.aws``, the iso and eusc ones)
through ``dispatch()``, and passes every other request to whatever
``HTTPAdapter.send`` was installed when it started: the network, or an outer ``responses``
or moto mock, which therefore keeps working.

Order matters the usual way: a ``responses``/moto mock started *inside* this one sees
requests first; moto's ``*.amazonaws.com`` catch-all then answers cleanrooms-ml raw
requests itself (boto3 clients are not affected: they never reach ``requests``).

``responses`` is imported only when a mock starts, so ``import cleanroomsml_mock`` stays
cheap. It starts and stops with the stack of active mocks (``active.add_hook`` at the end
of this module), and answers with ``active.world()``.
"""

from __future__ import annotations

import re
from typing import Any

from . import active
from .protocol import WireRequest, body_bytes

# The DNS suffixes of botocore's partitions (endpoints.json), dual-stack included.
_SUFFIXES = (
    r"amazonaws\.com(\.cn)?|api\.aws|api\.amazonwebservices\.com\.cn|amazonaws\.eu"
    r"|api\.amazonwebservices\.eu|c2s\.ic\.gov|sc2s\.sgov\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov"
)
URL_PATTERN = re.compile(rf"https?://cleanrooms-ml(-fips)?\.[^/:?]+\.({_SUFFIXES})(:\d+)?(/|\?|$)")
_OTHER_URLS = re.compile(
    rf"(?!https?://cleanrooms-ml(-fips)?\.[^/:?]+\.({_SUFFIXES})(:\d+)?(/|\?|$))"
)
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

_state: dict[str, Any] = {}


def _callback(request: Any) -> tuple[int, dict[str, str], bytes]:
    from .dispatch import dispatch

    world = active.world()
    if world is None:  # stopped between matching and answering
        return 503, {"Content-Type": "application/json"}, b'{"message":"no active mock"}'
    wire = WireRequest(
        str(request.method), str(request.url), dict(request.headers), body_bytes(request.body)
    )
    response = dispatch(world, wire)
    return response.status, dict(response.headers), response.body


def start() -> None:
    """Serve raw ``requests`` calls (called when the stack of active mocks goes 0 -> 1)."""
    if _state:
        return
    import responses
    from requests.adapters import HTTPAdapter

    real_send: Any = HTTPAdapter.send
    mock = responses.RequestsMock(assert_all_requests_are_fired=False, real_adapter_send=real_send)
    for method in _METHODS:
        mock.add_callback(method, URL_PATTERN, callback=_callback, content_type=None)
    mock.add_passthru(_OTHER_URLS)
    on_send = mock.unbound_on_send()

    def send(adapter: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        if _state.get("send") is send:  # active: ours to answer or pass on
            return on_send(adapter, request, *args, **kwargs)
        return real_send(adapter, request, *args, **kwargs)  # left behind: transparent

    _state.update(send=send, real_send=real_send, mock=mock)
    HTTPAdapter.send = send  # type: ignore[method-assign,assignment]


def stop() -> None:
    """Stop serving raw requests (the stack of active mocks goes 1 -> 0).

    ``HTTPAdapter.send`` goes back to what it was only if ours is still the installed one;
    if another mock patched on top of it, that mock will restore ours, which then just
    passes everything through.
    """
    if not _state:
        return
    from requests.adapters import HTTPAdapter

    if HTTPAdapter.send is _state["send"]:
        HTTPAdapter.send = _state["real_send"]  # type: ignore[method-assign]
    _state.clear()


active.add_hook(start, stop)
