"""Maps (HTTP method, raw path) to an operation, using routes derived from the model.

Matching happens on the raw, still percent-encoded path so that an ARN label
(``arn%3Aaws%3A...%2Ftrained-model%2Fabc``) stays one segment; labels are decoded after.

The routes are read from the model's ``http`` traits (method and URI of each operation)
without building any operation's spec: a spec (and its route's regex) is built when a
request first reaches its routes.
"""

from __future__ import annotations

import difflib
import threading
from typing import Any
from urllib.parse import unquote

from .errors import ResourceNotFoundException, ValidationException
from .model import OperationSpec, operation_spec, service_model


def _decode(value: str) -> str:
    """``unquote(value)``, quickly for the common case: an ARN whose only escapes are
    ``%3A`` and ``%2F``. Each ``%`` starts at most one such escape, so when none is left
    after replacing them, those were all the escapes there were."""
    if "%" not in value:
        return value
    fast = value.replace("%3A", ":").replace("%2F", "/")
    return fast if "%" not in fast else unquote(value)


_RECENT = 256  # labelled paths remembered


def _first_segment(uri: str) -> str:
    return uri.split("/", 2)[1]


def _spec(name: str) -> OperationSpec:
    spec = operation_spec(name)
    assert spec is not None, name  # a name read from the model's own operations
    return spec


class Router:
    def __init__(self, routes: dict[str, tuple[str, str]]) -> None:
        """``routes``: operation name -> (HTTP method, request URI)."""
        # (method, first path segment) -> candidate operations
        self._index: dict[tuple[str, str], list[str]] = {}
        self._by_segment: dict[str, list[str]] = {}
        # routes without labels match by plain lookup, no regex: their operation's name,
        # replaced by its spec once matched
        self._static: dict[tuple[str, str], str | OperationSpec] = {}
        self._routes = routes
        for name, (method, uri) in routes.items():
            segment = _first_segment(uri)
            self._index.setdefault((method, segment), []).append(name)
            self._by_segment.setdefault(segment, []).append(name)
            if "{" not in uri:
                self._static[(method, uri)] = name
        # the specs of the candidates of the keys matched so far
        self._index_specs: dict[tuple[str, str], list[OperationSpec]] = {}
        # the latest labelled paths matched (a Get polled again matches by one look-up)
        self._recent: dict[tuple[str, str], tuple[OperationSpec, dict[str, str]]] = {}

    def match(self, method: str, raw_path: str) -> tuple[OperationSpec, dict[str, str]]:
        """The operation and its decoded URI labels; a modelled 4xx when nothing matches."""
        path = (raw_path.split("?", 1)[0] if "?" in raw_path else raw_path) or "/"
        key = (method, path)
        static = self._static.get(key)
        if static is not None:
            if isinstance(static, str):
                built = self._static[key] = _spec(static)
                return built, {}
            return static, {}
        recent = self._recent.get(key)
        if recent is not None:
            return recent[0], dict(recent[1])
        segment = path.split("/", 2)[1] if path.startswith("/") and len(path) > 1 else ""
        index_key = (method, segment)
        candidates = self._index_specs.get(index_key)
        if candidates is None:
            candidates = [_spec(n) for n in self._index.get(index_key, ())]
            self._index_specs[index_key] = candidates
        for spec in candidates:
            m = spec.path_regex.fullmatch(path)
            if m is not None:
                labels = {
                    label: _decode(value)
                    for label, value in zip(spec.path_labels, m.groups(), strict=True)
                }
                if len(self._recent) >= _RECENT:
                    self._recent.clear()
                self._recent[key] = (spec, labels)
                return spec, dict(labels)
        allowed = sorted(
            spec.http_method
            for spec in map(_spec, self._by_segment.get(segment, ()))
            if spec.path_regex.fullmatch(path) is not None
        )
        if allowed:
            raise ValidationException(
                f"Method {method} is not allowed on {path}; it accepts {', '.join(allowed)}"
            )
        templates = sorted(f"{verb} {uri}" for verb, uri in self._routes.values())
        near = difflib.get_close_matches(f"{method} {path}", templates, n=3, cutoff=0.3)
        hint = f"; nearest routes: {'; '.join(near)}" if near else ""
        raise ResourceNotFoundException(
            f"No Clean Rooms ML operation matches {method} {path}{hint}"
        )


_router: Router | None = None
_lock = threading.Lock()


def _routes(model: Any) -> dict[str, tuple[str, str]]:
    routes = {}
    for name in model.operation_names:
        http = model.operation_model(name).http
        routes[name] = (http["method"], http["requestUri"])
    return routes


def router() -> Router:
    """The router of the model's operations (its routes read once, nothing built)."""
    global _router
    found = _router
    if found is None:
        with _lock:
            if _router is None:
                _router = Router(_routes(service_model()))
            found = _router
    return found
