"""The indexes a backend keeps beside its tables, so that no check and no List page
costs more as more is stored (docs/usage.md, "Performance").

- **names**: kind -> name -> ARNs, for name-uniqueness checks;
- **ordered lists**: the records of a kind, and of a kind under one parent (a membership,
  a collaboration, a generation job...) or one combination of parents (``listed_by``: an
  inference job under its membership and trained model), in the order they were filed,
  each with a sequence number: a List page is a slice taken after the last item returned
  (found by bisection), never a copy of the table;
- **status counts**: for the quotas ("pending or in progress", "active") and the "in use"
  checks, the records (or their parts: a trained model's versions) whose status counts,
  per scope;
- **waiting**: the records ``m.advance()`` may move (a step is pending).

Indexes are derived data: they are never saved, and are rebuilt from the records when a
state is loaded. They are kept where state changes: a record is entered when it is
filed, entered again after every status change (``Record.moved`` calls the host's
``recount``), and taken out when it leaves its table; so a count is read, never
recomputed.
"""

from __future__ import annotations

import heapq
import itertools
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..records import Record

# One sequence for every backend of the process: records filed later sort later.
_SEQUENCE = itertools.count(1)

# Data members naming a record's parent that never change once the record is filed:
# the per-parent listings and "in use" checks look them up.
PARENTS = (
    "membershipIdentifier",
    "collaborationIdentifier",
    "audienceGenerationJobArn",
    "configuredAudienceModelArn",
    "configuredModelAlgorithmArn",
    "trainedModelArn",
    "trainingDatasetArn",
)
_PARENT_SET = frozenset(PARENTS)


@dataclass(frozen=True)
class StatusCount:
    """A count of records of ``kind`` (or of the items ``parts`` gives for each, e.g. the
    versions of a trained model) whose status ``counts``, per value of the data member
    ``scope`` (and in all, under ``None``), among the records ``accept`` takes. The scope
    is read from the part, else from the record; a list value scopes the part under each
    of its items (an ML input channel under each of its associations)."""

    kind: str
    counts: Callable[[str | None], bool]
    scope: str | None = None
    parts: Callable[[Record], Iterable[Record]] = lambda record: (record,)
    accept: Callable[[Record], bool] = lambda record: True


COUNTS: dict[str, StatusCount] = {}
_COUNTS_OF: dict[str, list[tuple[str, StatusCount]]] = {}  # kind -> its counts

# kind -> the combinations of data members (sorted) its records are also listed under
LISTED: dict[str, list[tuple[str, ...]]] = {}


def status_count(name: str, count: StatusCount) -> None:
    """Declare a status count (at import time, by the family that reads it)."""
    COUNTS[name] = count
    _COUNTS_OF.setdefault(count.kind, []).append((name, count))


def listed_by(kind: str, *members: str) -> None:
    """Declare that records of ``kind`` are listed under each combination of values of
    the data members ``members`` (parents that never change once the record is filed), for
    a List filtered by all of them (at import time, by the family that lists them)."""
    LISTED.setdefault(kind, []).append(tuple(sorted(members)))


def list_key(kind: str, filters: dict[str, Any]) -> tuple[Any, ...]:
    """The key of the ordered list of the records of ``kind`` whose data members have the
    values ``filters`` gives (a parent of ``PARENTS``, or a combination ``listed_by``)."""
    key: tuple[Any, ...] = (kind,)
    for member in sorted(filters):
        key += (member, filters[member])
    return key


def _scope_values(spec: StatusCount, part: Record, record: Record) -> list[Any]:
    if spec.scope is None:
        return []
    value = part.data.get(spec.scope)
    if value is None:
        value = record.data.get(spec.scope)
    if isinstance(value, list):
        return list(dict.fromkeys(v for v in value if isinstance(v, str)))
    return [value]


class Ordered:
    """Items in the order they were filed, with their (increasing) sequence numbers."""

    __slots__ = ("items", "seqs")

    def __init__(self) -> None:
        self.seqs: list[int] = []
        self.items: list[Any] = []

    def add(self, seq: int, item: Any) -> None:
        if not self.seqs or seq > self.seqs[-1]:
            self.seqs.append(seq)
            self.items.append(item)
        else:  # only when indexes are rebuilt out of order
            i = bisect_right(self.seqs, seq)
            self.seqs.insert(i, seq)
            self.items.insert(i, item)

    def discard(self, seq: int) -> None:
        i = bisect_right(self.seqs, seq) - 1
        if i >= 0 and self.seqs[i] == seq:
            del self.seqs[i]
            del self.items[i]

    def after(self, seq: int) -> int:
        """The position of the first item filed after ``seq``."""
        return bisect_right(self.seqs, seq)

    def __len__(self) -> int:
        return len(self.items)


EMPTY = Ordered()


class Window(Sequence[Any]):
    """A List's items as one ordered index holds them: a page is read from the position
    after a key (a sequence number), without copying the rest."""

    __slots__ = ("_ordered",)

    def __init__(self, ordered: Ordered) -> None:
        self._ordered = ordered

    def __len__(self) -> int:
        return len(self._ordered)

    def __getitem__(self, index: Any) -> Any:
        return self._ordered.items[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._ordered.items))

    def page_after(self, key: Any, size: int) -> tuple[list[Any], Any, int, bool]:
        """The ``size`` items after ``key`` (None: from the start), the key of the last,
        the position after it, and whether more follow."""
        ordered = self._ordered
        if isinstance(key, list):  # a (createTime, sequence) key: its sequence places it
            key = key[1]
        start = 0 if key is None else ordered.after(int(key))
        end = min(start + size, len(ordered))
        chunk = ordered.items[start:end]
        last = ordered.seqs[end - 1] if end > start else key
        return chunk, last, end, end < len(ordered)


class MergedWindow(Sequence[Any]):
    """The items of several ordered indexes (one per member account), ordered by
    ``createTime`` then sequence: a collaboration view across a region's backends."""

    __slots__ = ("_parts",)

    def __init__(self, parts: list[Ordered]) -> None:
        self._parts = [p for p in parts if len(p)]

    def __len__(self) -> int:
        return sum(len(p) for p in self._parts)

    def _merged(self, starts: list[int]) -> Iterator[tuple[tuple[int, int], Any]]:
        def keyed(part: Ordered, start: int) -> Iterator[tuple[tuple[int, int], Any]]:
            for i in range(start, len(part)):
                item = part.items[i]
                yield (_micros(item), part.seqs[i]), item

        return heapq.merge(
            *(keyed(p, s) for p, s in zip(self._parts, starts, strict=True)),
            key=lambda pair: pair[0],
        )

    def __getitem__(self, index: Any) -> Any:
        items = [item for _, item in self._merged([0] * len(self._parts))]
        return items[index]

    def __iter__(self) -> Iterator[Any]:
        return iter([item for _, item in self._merged([0] * len(self._parts))])

    def page_after(self, key: Any, size: int) -> tuple[list[Any], Any, int, bool]:
        if key is None:
            starts = [0] * len(self._parts)
        else:
            after = (int(key[0]), int(key[1])) if isinstance(key, list) else (0, int(key))
            starts = [_position_after(p, after) for p in self._parts]
        chunk: list[Any] = []
        last = key
        more = False
        for pair_key, item in self._merged(starts):
            if len(chunk) == size:
                more = True
                break
            chunk.append(item)
            last = list(pair_key)
        return chunk, last, sum(starts) + len(chunk), more


def _micros(record: Any) -> int:
    t = record.create_time
    return int(t.timestamp()) * 1_000_000 + int(t.microsecond)


def _position_after(part: Ordered, key: tuple[int, int]) -> int:
    """Where the items of ``part`` after ``key`` (createTime, sequence) start: the items of
    one account are filed in createTime order, so the position is found by bisection."""
    lo, hi = 0, len(part)
    while lo < hi:
        mid = (lo + hi) // 2
        if (_micros(part.items[mid]), part.seqs[mid]) <= key:
            lo = mid + 1
        else:
            hi = mid
    return lo


class Indexes:
    """The derived indexes of one backend (see the module docstring)."""

    __slots__ = ("counted", "lists", "names", "seqs", "waiting")

    def __init__(self) -> None:
        # kind -> name -> the ARN called so (a tuple of them when several are)
        self.names: dict[str, dict[str, str | tuple[str, ...]]] = {}
        self.seqs: dict[str, int] = {}  # ARN -> sequence number
        self.lists: dict[tuple[Any, ...], Ordered] = {}
        # (count name, scope value) -> counted item -> the record filed in the table
        self.counted: dict[tuple[str, Any], dict[Record, Record]] = {}
        # the records with a step pending (``Record.can_advance``) -> their sequence number
        self.waiting: dict[Record, int] = {}

    @classmethod
    def build(cls, records: Iterable[Record]) -> Indexes:
        indexes = cls()
        for record in records:
            indexes.add(record)
        return indexes

    @staticmethod
    def _keys(record: Record) -> list[tuple[Any, ...]]:
        """The keys of the ordered lists ``record`` is in."""
        kind = record.kind
        data = record.data
        arn = record.arn
        keys: list[tuple[Any, ...]] = [(kind,)]
        for member in _PARENT_SET.intersection(data):
            value = data[member]
            # a record naming itself (a trained model's trainedModelArn) is no parent
            if isinstance(value, str) and value != arn:
                keys.append((kind, member, value))
        get = data.get
        for members in LISTED.get(kind, ()):
            key: tuple[Any, ...] = (kind,)
            for member in members:
                value = get(member)
                if not isinstance(value, str) or value == arn:
                    break
                key += (member, value)
            else:
                keys.append(key)
        return keys

    def add(self, record: Record) -> None:
        arn = record.arn
        kind = record.kind
        old = self.seqs.get(arn)
        if old is not None:  # filed again under the same ARN: it keeps its place
            return
        seq = next(_SEQUENCE)
        self.seqs[arn] = seq
        name = record.data.get("name")
        if name is not None:
            names = self.names.setdefault(kind, {})
            same = names.get(name)
            if same is None:
                names[name] = arn
            else:
                names[name] = (same, arn) if isinstance(same, str) else (*same, arn)
        lists = self.lists
        for key in self._keys(record):
            found = lists.get(key)
            if found is None:
                found = lists[key] = Ordered()
            if found.seqs and seq < found.seqs[-1]:
                found.add(seq, record)  # only when indexes are rebuilt out of order
            else:
                found.seqs.append(seq)
                found.items.append(record)
        if record.kind in _COUNTS_OF:
            self.offer(record, new=True)
        if record.can_advance():
            self.waiting[record] = seq

    def discard(self, record: Record) -> None:
        arn = record.arn
        seq = self.seqs.pop(arn, None)
        if seq is None:
            return
        kind = record.kind
        names = self.names.get(kind, {})
        name = record.data.get("name", "")
        arns = names.get(name)
        if arns is not None:
            rest = tuple(a for a in self.named(kind, name) if a != arn)
            if len(rest) > 1:
                names[name] = rest
            elif rest:
                names[name] = rest[0]
            else:
                del names[name]
        for key in self._keys(record):
            found = self.lists.get(key)
            if found is not None:
                found.discard(seq)
                if not found:
                    del self.lists[key]
        self.offer(record, leaving=True)
        self.waiting.pop(record, None)

    def named(self, kind: str, name: str) -> tuple[str, ...]:
        """The ARNs of the records of ``kind`` called ``name``."""
        found = self.names.get(kind, {}).get(name, ())
        return (found,) if isinstance(found, str) else found

    def ordered(self, kind: str, member: str | None = None, value: Any = None) -> Ordered:
        key = (kind,) if member is None else (kind, member, value)
        return self.lists.get(key, EMPTY)

    def ordered_by(self, kind: str, filters: dict[str, Any]) -> Ordered:
        """The records of ``kind`` whose data members have the values ``filters`` gives."""
        return self.lists.get(list_key(kind, filters), EMPTY)

    # ------------------------------------------------------------ status counts

    def recount(self, record: Record, seq: int | None = None) -> None:
        """Enter ``record`` (filed under sequence number ``seq``) again in the counts and
        in ``waiting``, as its status is now."""
        if record.kind in _COUNTS_OF:
            self.offer(record)
        if record.can_advance():
            if seq is None:
                seq = self.seqs.get(record.arn)
            if seq is not None:
                self.waiting[record] = seq
        else:
            self.waiting.pop(record, None)

    def offer(self, record: Record, *, leaving: bool = False, new: bool = False) -> None:
        """Enter ``record`` (or its parts) in the counts of its kind that count its status
        now, and take it out of the others (of all of them if it is ``leaving``). A
        ``new`` record is in no count yet: there is nothing to take it out of."""
        counted = self.counted
        for name, spec in _COUNTS_OF.get(record.kind, ()):
            if not spec.accept(record):
                continue
            for part in spec.parts(record):
                counts = not leaving and spec.counts(part.status)
                if new and not counts:
                    continue
                keys: list[tuple[str, Any]] = [(name, None)]
                keys += [(name, value) for value in _scope_values(spec, part, record)]
                if counts:
                    for key in keys:
                        found = counted.get(key)
                        if found is None:
                            found = counted[key] = {}
                        found[part] = record
                else:
                    for key in keys:
                        found = counted.get(key)
                        if found is not None and found.pop(part, None) is not None and not found:
                            del counted[key]

    def count(self, name: str, scope: Any = None) -> int:
        """How many items count ``name`` has in ``scope`` (None: in all)."""
        return len(self.counted.get((name, scope), ()))

    def counted_records(self, name: str, scope: Any = None) -> list[Record]:
        """The records whose items count ``name`` has in ``scope``, in the order they were
        filed."""
        found = dict.fromkeys(self.counted.get((name, scope), {}).values())
        seqs = self.seqs
        return sorted(found, key=lambda record: seqs.get(record.arn, 0))

    def advancing(self) -> list[Record]:
        """The records with a step pending, in the order they were filed."""
        waiting = self.waiting
        return sorted(waiting, key=waiting.__getitem__)
