"""Which records changed: the choke points where records are stored, removed or changed
call ``note``, and every open state journal (journal.py) hears of it.

A record is noted when it is filed (``BackendBase.store``), taken out (``remove``),
marked changed (``Record.touch``, which every status change and update goes through) and
where a family changes a record without touching it (tags, a resource policy, the peer
copy of a cross-account job). With no journal open, ``note`` costs one test.
"""

from __future__ import annotations

from typing import Any

# one per open journal: (record, backend or None), in the order first noted (a dict, not
# a set: records created by one call are replayed in the order they were created)
_SINKS: list[dict[tuple[Any, Any], None]] = []


def note(record: Any, backend: Any = None) -> None:
    """``record`` (held by ``backend``, if known) changed, was stored or was removed."""
    if _SINKS:
        for sink in tuple(_SINKS):
            sink[(record, backend)] = None


def note_all(records: Any, backend: Any = None) -> None:
    """``note`` each of ``records`` (held by ``backend``): one test when no journal is open."""
    if _SINKS:
        for record in records:
            note(record, backend)


def open_sink() -> dict[tuple[Any, Any], None]:
    sink: dict[tuple[Any, Any], None] = {}
    _SINKS.append(sink)
    return sink


def close_sink(sink: dict[tuple[Any, Any], None]) -> None:
    for i, found in enumerate(_SINKS):
        if found is sink:
            del _SINKS[i]
            return
