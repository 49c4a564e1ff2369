"""Maps (HTTP method, raw path) to an operation, using routes derived from the model.

Matching happens on the raw, still percent-encoded path so that an ARN label
(``arn%3Aaws%3A...%2Ftrained-model%2Fabc``) stays one segment; labels are decoded after.
"""

from __future__ import annotations

import difflib
import functools
from urllib.parse import unquote

from .errors import ResourceNotFoundException, ValidationException
from .model import OperationSpec, operation_specs


def _decode(value: str) -> str:
    """``unquote(value)``, quickly for the common case: an ARN whose only escapes are
    ``%3A`` and ``%2F``. Each ``%`` starts at most one such escape, so when none is left
    after replacing them, those were all the escapes there were."""
    if "%" not in value:
        return value
    fast = value.replace("%3A", ":").replace("%2F", "/")
    return fast if "%" not in fast else unquote(value)


class Router:
    def __init__(self, specs: dict[str, OperationSpec]) -> None:
        # (method, first path segment) -> candidate specs
        self._index: dict[tuple[str, str], list[OperationSpec]] = {}
        self._by_segment: dict[str, list[OperationSpec]] = {}
        for spec in specs.values():
            self._index.setdefault((spec.http_method, spec.first_segment), []).append(spec)
            self._by_segment.setdefault(spec.first_segment, []).append(spec)
        self._templates = sorted(f"{s.http_method} {s.request_uri}" for s in specs.values())
        # routes without labels match by plain lookup, no regex
        self._static: dict[tuple[str, str], OperationSpec] = {
            (s.http_method, s.request_uri): s for s in specs.values() if not s.path_labels
        }

    def match(self, method: str, raw_path: str) -> tuple[OperationSpec, dict[str, str]]:
        """The operation and its decoded URI labels; a modelled 4xx when nothing matches."""
        path = raw_path.split("?", 1)[0] or "/"
        static = self._static.get((method, path))
        if static is not None:
            return static, {}
        segment = path.split("/", 2)[1] if path.startswith("/") and len(path) > 1 else ""
        for spec in self._index.get((method, segment), ()):
            m = spec.path_regex.fullmatch(path)
            if m is not None:
                labels = {
                    label: _decode(value)
                    for label, value in zip(spec.path_labels, m.groups(), strict=True)
                }
                return spec, labels
        allowed = sorted(
            s.http_method
            for s in self._by_segment.get(segment, ())
            if s.path_regex.fullmatch(path) is not None
        )
        if allowed:
            raise ValidationException(
                f"Method {method} is not allowed on {path}; it accepts {', '.join(allowed)}"
            )
        near = difflib.get_close_matches(f"{method} {path}", self._templates, n=3, cutoff=0.3)
        hint = f"; nearest routes: {'; '.join(near)}" if near else ""
        raise ResourceNotFoundException(
            f"No Clean Rooms ML operation matches {method} {path}{hint}"
        )


@functools.lru_cache(maxsize=1)
def router() -> Router:
    return Router(operation_specs())
