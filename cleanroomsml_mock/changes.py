"""Which records changed: the choke points where records are stored, removed or changed
call ``note``, and every open state journal (journal.py) hears of it.

A record is noted when it is filed (``BackendBase.store``), taken out (``remove``),
marked changed (``Record.touch``, which every status change and update goes through) and
where a family changes a record without touching it (tags, a resource policy, the peer
copy of a cross-account job). With no journal open, ``note`` costs one test.
"""

from __future__ import annotations

from typing import Any

# one set per open journal: (record, backend or None)
_SINKS: list[set[tuple[Any, Any]]] = []


def note(record: Any, backend: Any = None) -> None:
    """``record`` (held by ``backend``, if known) changed, was stored or was removed."""
    if _SINKS:
        for sink in tuple(_SINKS):
            sink.add((record, backend))


def open_sink() -> set[tuple[Any, Any]]:
    sink: set[tuple[Any, Any]] = set()
    _SINKS.append(sink)
    return sink


def close_sink(sink: set[tuple[Any, Any]]) -> None:
    for i, found in enumerate(_SINKS):
        if found is sink:
            del _SINKS[i]
            return
