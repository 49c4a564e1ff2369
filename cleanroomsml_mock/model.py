"""The botocore service model, read once and turned into per-operation specs.

The model is the one the calling botocore client has already loaded (``adopt``), or,
without a client, read from botocore's data files once. Everything the per-call path
needs for an operation (route, where each input member lives, the Python keyword for it,
the output shape, the paginator, the declared errors) is computed the first time that
operation is called, never per call, and only for it. What is compiled from a shape (its
validator, converter or serialiser) is kept in a ``ShapeCache``, also built on first use.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

SERVICE_NAME = "cleanroomsml"
ENDPOINT_PREFIX = "cleanrooms-ml"


@dataclass(frozen=True)
class PaginatorSpec:
    input_token: str
    output_token: str
    limit_key: str
    result_key: str


@dataclass(frozen=True)
class OperationSpec:
    """What the dispatcher needs to know about one operation, precomputed."""

    name: str
    method_name: str
    http_method: str
    request_uri: str
    path_regex: re.Pattern[str]
    path_labels: tuple[str, ...]  # URI labels in the order of the regex groups
    label_members: tuple[tuple[str, str], ...]  # (label, member name)
    query_members: tuple[tuple[str, str, Any], ...]  # (query key, member name, shape)
    body_members: tuple[tuple[str, Any], ...]  # (member name, shape)
    input_shape: Any
    output_shape: Any
    error_codes: frozenset[str]
    paginator: PaginatorSpec | None
    keywords: dict[str, str] = field(default_factory=dict)  # member name -> python keyword
    response_code: int = 200
    model: Any = None
    # required list members sent in the query string: an empty list has no wire form
    # there, so an absent one means empty
    required_query_lists: tuple[str, ...] = ()

    @property
    def first_segment(self) -> str:
        return self.request_uri.split("/", 2)[1]


def _xform(name: str) -> str:
    from botocore import xform_name

    return str(xform_name(name))


_lock = threading.RLock()
_held: Any = None  # the ServiceModel in use: a client's (``adopt``) or loaded here
_paginators: dict[str, PaginatorSpec] | None = None


def adopt(model: Any) -> None:
    """Use ``model``, the ``ServiceModel`` of cleanroomsml a botocore client has already
    loaded, unless one is held already. The interceptor offers it at each call (the
    ``model`` of botocore's ``before-call`` event is the client's ``OperationModel``), so
    the service description is read once per process, by botocore."""
    global _held
    if _held is None and getattr(model, "service_name", None) == SERVICE_NAME:
        with _lock:
            if _held is None:
                _held = model


def _loader() -> Any:
    """A botocore data loader with the search path a Session would use."""
    import os

    from botocore.loaders import create_loader

    return create_loader(os.environ.get("AWS_DATA_PATH"))


def service_model() -> Any:
    """The botocore ``ServiceModel`` of cleanroomsml: a client's (``adopt``) or, with no
    client (server mode, raw HTTP), loaded here once. Loaded straight from botocore's data
    files: a Session would first register every built-in handler and scan every service's
    directory."""
    global _held
    held = _held
    if held is not None:
        return held
    with _lock:
        if _held is None:
            from botocore.model import ServiceModel

            loader = _loader()
            version = loader.determine_latest_version(SERVICE_NAME, "service-2")
            data = loader.load_data(f"{SERVICE_NAME}/{version}/service-2")
            _held = ServiceModel(data, service_name=SERVICE_NAME)
        return _held


def paginator_config() -> dict[str, PaginatorSpec]:
    """The paginators of the model's API version, by operation name (read once)."""
    global _paginators
    found = _paginators
    if found is not None:
        return found
    with _lock:
        if _paginators is None:
            from botocore.exceptions import DataNotFoundError

            loader = _loader()
            version = service_model().api_version
            try:
                raw = loader.load_data(f"{SERVICE_NAME}/{version}/paginators-1")
            except DataNotFoundError:  # a model of another API version than botocore's
                raw = loader.load_service_model(SERVICE_NAME, "paginators-1")
            _paginators = {
                name: PaginatorSpec(
                    input_token=cfg["input_token"],
                    output_token=cfg["output_token"],
                    limit_key=cfg["limit_key"],
                    result_key=cfg["result_key"],
                )
                for name, cfg in raw["pagination"].items()
            }
        return _paginators


def _route_regex(uri: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    parts: list[str] = []
    labels: list[str] = []
    pos = 0
    for m in re.finditer(r"\{([^}]+)\}", uri):
        parts.append(re.escape(uri[pos : m.start()]))
        label = m.group(1)
        greedy = label.endswith("+")
        label = label.rstrip("+")
        labels.append(label)
        parts.append(f"(?P<g{len(labels) - 1}>{'.+' if greedy else '[^/]+'})")
        pos = m.end()
    parts.append(re.escape(uri[pos:]))
    return re.compile("".join(parts)), tuple(labels)


def _build_spec(model: Any, name: str, paginators: dict[str, PaginatorSpec]) -> OperationSpec:
    op = model.operation_model(name)
    uri = op.http["requestUri"]
    regex, labels = _route_regex(uri)
    label_members: list[tuple[str, str]] = []
    query: list[tuple[str, str, Any]] = []
    body: list[tuple[str, Any]] = []
    keywords: dict[str, str] = {}
    required_query_lists: list[str] = []
    shape = op.input_shape
    if shape is not None:
        required = set(shape.required_members)
        for member, mshape in shape.members.items():
            keywords[member] = _xform(member)
            loc = mshape.serialization.get("location")
            wire = mshape.serialization.get("name", member)
            if loc == "uri":
                label_members.append((wire, member))
            elif loc == "querystring":
                query.append((wire, member, mshape))
                if mshape.type_name == "list" and member in required:
                    required_query_lists.append(member)
            else:
                body.append((member, mshape))
    return OperationSpec(
        name=name,
        method_name=_xform(name),
        http_method=op.http["method"],
        request_uri=uri,
        path_regex=regex,
        path_labels=labels,
        label_members=tuple(label_members),
        query_members=tuple(query),
        body_members=tuple(body),
        input_shape=shape,
        output_shape=op.output_shape,
        error_codes=frozenset(e.name for e in op.error_shapes),
        paginator=paginators.get(name),
        keywords=keywords,
        response_code=int(op.http.get("responseCode", 200)),
        model=op,
        required_query_lists=tuple(required_query_lists),
    )


_specs: dict[str, OperationSpec] = {}


def operation_spec(name: str) -> OperationSpec | None:
    """The spec of operation ``name`` (None: no such operation), built the first time it
    is asked for: a call builds only what its own operation needs."""
    found = _specs.get(name)
    if found is not None:
        return found
    with _lock:
        found = _specs.get(name)
        if found is None:
            model = service_model()
            if name not in model.operation_names:
                return None
            found = _specs[name] = _build_spec(model, name, paginator_config())
        return found


def operation_names() -> list[str]:
    """The names of the model's operations (nothing is built)."""
    return list(service_model().operation_names)


def operation_specs() -> dict[str, OperationSpec]:
    """Every operation of the model, by operation name (all built)."""
    specs = {name: operation_spec(name) for name in service_model().operation_names}
    return {name: spec for name, spec in specs.items() if spec is not None}


def error_shape(code: str) -> Any:
    """The modelled exception shape called ``code``, or None."""
    model = service_model()
    if code not in model.shape_names:
        return None
    shape = model.shape_for(code)
    return shape if shape.metadata.get("exception") else None


def error_shapes() -> dict[str, Any]:
    model = service_model()
    return {
        name: model.shape_for(name)
        for name in model.shape_names
        if model.shape_for(name).metadata.get("exception")
    }


T = TypeVar("T")


class ShapeCache(Generic[T]):
    """What is compiled from a shape (a validator, a converter, a serialiser), built by
    ``build(shape)`` the first time it is asked for and kept by name. Anything with a
    ``name`` can be a key: an operation spec too.

    Thread-safe: builds run under a lock, and what they build is published (read without
    the lock) only when the outermost build has finished, so no thread sees a half-built
    one. A shape may contain itself (the model allows recursive structures): asked for
    again while it is being built, the cache answers ``placeholder(final)``, which must
    forward to the finished one, ``final()``, when called. Without a placeholder, a key
    must not contain itself.
    """

    def __init__(
        self,
        build: Callable[[Any], T],
        placeholder: Callable[[Callable[[], T]], T] | None = None,
    ) -> None:
        self.build = build
        self.placeholder = placeholder
        self._done: dict[str, T] = {}
        self._pending: dict[str, T] = {}  # built or being built, not yet published
        self._depth = 0  # builds in progress, nested
        self._lock = threading.RLock()

    def get(self, shape: Any) -> T:
        try:
            return self._done[shape.name]
        except KeyError:
            pass
        with self._lock:
            return self._get_locked(shape)

    def _get_locked(self, shape: Any) -> T:
        name = shape.name
        if name in self._done:
            return self._done[name]
        if name in self._pending:  # recursion: the placeholder, or a finished part
            return self._pending[name]
        slot: list[T] = []
        if self.placeholder is not None:
            self._pending[name] = self.placeholder(lambda: slot[0])
        self._depth += 1
        try:
            built = self.build(shape)
        except BaseException:
            if self._depth == 1:
                self._pending.clear()
            raise
        finally:
            self._depth -= 1
        slot.append(built)
        self._pending[name] = built
        if self._depth == 0:
            self._done.update(self._pending)
            self._pending.clear()
        return built
