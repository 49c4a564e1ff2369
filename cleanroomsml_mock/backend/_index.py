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
import operator
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

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


def _whole(record: Record) -> Iterable[Record]:
    return (record,)


def _accept_all(record: Record) -> bool:
    return True


@dataclass(frozen=True)
class StatusCount:
    """A count of records of ``kind`` (or of the items ``parts`` gives for each, e.g. the
    versions of a trained model) whose status ``counts``, per value of the data member
    ``scope`` (and in all, under ``None``), among the records ``accept`` takes. The scope
    is read from the part, else from the record; a list value scopes the part under each
    of its items (an ML input channel under each of its associations). ``counts`` is a
    function of the status alone: its answers are remembered."""

    kind: str
    counts: Callable[[str | None], bool]
    scope: str | None = None
    parts: Callable[[Record], Iterable[Record]] = _whole
    accept: Callable[[Record], bool] = _accept_all


COUNTS: dict[str, StatusCount] = {}
_COUNTS_OF: dict[str, list[tuple[str, StatusCount]]] = {}  # kind -> its counts

# kind -> the combinations of data members (sorted) its records are also listed under
LISTED: dict[str, list[tuple[str, ...]]] = {}


def status_count(name: str, count: StatusCount) -> None:
    """Declare a status count (at import time, by the family that reads it)."""
    COUNTS[name] = count
    _COUNTS_OF.setdefault(count.kind, []).append((name, count))
    _PLANS.clear()
    _EPOCH[0] += 1


def listed_by(kind: str, *members: str) -> None:
    """Declare that records of ``kind`` are listed under each combination of values of
    the data members ``members`` (parents that never change once the record is filed), for
    a List filtered by all of them (at import time, by the family that lists them)."""
    LISTED.setdefault(kind, []).append(tuple(sorted(members)))
    _PLANS.clear()
    _EPOCH[0] += 1


class _Count:
    """One status count of a kind, as filing reads it: ``parts`` and ``accept`` are None
    when they are the defaults (the record itself; every record)."""

    __slots__ = ("accept", "all_key", "counts", "memo", "name", "parts", "scope")

    def __init__(self, name: str, spec: StatusCount) -> None:
        self.name = name
        self.all_key: tuple[str, Any] = (name, None)
        self.counts = spec.counts
        # status -> whether it counts (``counts`` is a function of the status alone)
        self.memo: dict[str | None, bool] = {}
        self.scope = spec.scope
        self.parts = None if spec.parts is _whole else spec.parts
        self.accept = None if spec.accept is _accept_all else spec.accept


class _Plan:
    """What filing a record of one kind involves, worked out once per kind from the
    declarations (``status_count``, ``listed_by``): the key of the kind's ordered list, the
    combinations it is also listed under (by their number of members) and its status
    counts."""

    __slots__ = ("counts", "key", "listed1", "listed2", "listed_more")

    def __init__(self, kind: str) -> None:
        self.key: tuple[Any, ...] = (kind,)
        listed = LISTED.get(kind, ())
        self.listed1 = tuple(members[0] for members in listed if len(members) == 1)
        self.listed2 = tuple((m[0], m[1]) for m in listed if len(m) == 2)
        self.listed_more = tuple(members for members in listed if len(members) > 2)
        self.counts = tuple(_Count(name, spec) for name, spec in _COUNTS_OF.get(kind, ()))


# kind -> its plan (made on first use; a declaration clears them all and moves the epoch)
_PLANS: dict[str, _Plan] = {}
_EPOCH = [0]


_FIELDS = operator.attrgetter("arn", "kind", "data", "track")


# record class -> whether its ``status`` and ``can_advance`` are Record's, which filing
# reads inline (a trained model's are its versions')
_PLAIN: dict[type, bool] = {}


def _plain(cls: type) -> bool:
    plain = _PLAIN[cls] = (
        getattr(cls, "status", None) is Record.status
        and getattr(cls, "can_advance", None) is Record.can_advance
    )
    return plain


def _plan(kind: str) -> _Plan:
    plan = _PLANS.get(kind)
    if plan is None:
        plan = _PLANS[kind] = _Plan(kind)
    return plan


def list_key(kind: str, filters: dict[str, Any]) -> tuple[Any, ...]:
    """The key of the ordered list of the records of ``kind`` whose data members have the
    values ``filters`` gives (a parent of ``PARENTS``, or a combination ``listed_by``)."""
    key: tuple[Any, ...] = (kind,)
    for member in sorted(filters):
        key += (member, filters[member])
    return key


def _combination(
    key: tuple[Any, ...], members: tuple[str, ...], data: dict[str, Any], arn: str
) -> tuple[Any, ...] | None:
    """The key of the list of the records that have the values of ``data`` for
    ``members`` (extending ``key``), or None if one is missing, no string, or the ARN of the
    record itself."""
    for member in members:
        value = data.get(member)
        if not isinstance(value, str) or value == arn:
            return None
        key += (member, value)
    return key


def _strings(values: list[Any]) -> list[str]:
    """The items of a list value that are strings (the scopes a list value gives)."""
    return [v for v in values if isinstance(v, str)]


def _scope_values(scope: str, part: Record, record: Record) -> list[Any]:
    """The values of the data member ``scope`` a part is counted under: read from the
    part, else from the record; a list value gives each of its items."""
    value = part.data.get(scope)
    if value is None:
        value = record.data.get(scope)
    if isinstance(value, list):
        return list(dict.fromkeys(_strings(value)))
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

# what ``Indexes.add_all`` keeps at hand for a kind (``Indexes._known``)
_Known = tuple[_Plan, Ordered, "dict[str, str | tuple[str, ...]] | None", type, bool]


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


def _append(
    lists: dict[tuple[Any, ...], Ordered], key: tuple[Any, ...], seq: int, record: Record
) -> None:
    """File ``record`` (numbered ``seq``, the newest) at the end of the ordered list
    ``key``; a new list starts with it (no ``__init__`` runs)."""
    found = lists.get(key)
    if found is None:
        found = lists[key] = object.__new__(Ordered)
        found.seqs = [seq]
        found.items = [record]
    else:
        found.seqs.append(seq)
        found.items.append(record)


class Indexes:
    """The derived indexes of one backend (see the module docstring)."""

    __slots__ = ("counted", "epoch", "kinds", "lists", "names", "seqs", "waiting")

    def __init__(self) -> None:
        # kind -> name -> the ARN called so (a tuple of them when several are)
        self.names: dict[str, dict[str, str | tuple[str, ...]]] = {}
        self.seqs: dict[str, int] = {}  # ARN -> sequence number
        self.lists: dict[tuple[Any, ...], Ordered] = {}
        # (count name, scope value) -> counted item -> the record filed in the table
        self.counted: dict[tuple[str, Any], dict[Record, Record]] = {}
        # the records with a step pending (``Record.can_advance``) -> their sequence number
        self.waiting: dict[Record, int] = {}
        # kind -> what filing a record of it needs at hand (``_known``), as the
        # declarations were at ``epoch``; an entry goes when the kind's list goes
        self.kinds: dict[str, _Known] = {}
        self.epoch = _EPOCH[0]

    @classmethod
    def build(cls, records: Iterable[Record]) -> Indexes:
        indexes = cls()
        indexes.add_all(records)
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
        """File ``record`` (one filed already under its ARN keeps its place)."""
        self.add_all((record,))

    def add_all(self, records: Iterable[Record]) -> None:
        """File ``records`` in order, each as ``add`` does: in its kind's names, in the
        ordered lists ``_keys`` names, in the status counts of its kind that count it, and
        in ``waiting`` if a step is pending. What filing a kind involves is its ``_Plan``,
        worked out once; the rest is done here, without a call per record (a state load
        files thousands of records, a Create one)."""
        seqs = self.seqs
        all_names = self.names
        lists = self.lists
        waiting = self.waiting
        counted = self.counted
        sequence = _SEQUENCE
        parents = _PARENT_SET
        fields = _FIELDS
        kinds = self.kinds
        if self.epoch != _EPOCH[0]:  # a status count or a listing declared since
            kinds.clear()
            self.epoch = _EPOCH[0]
        for record in records:
            arn, kind, data, track = fields(record)
            if arn in seqs:  # filed again under the same ARN: it keeps its place
                continue
            # the newest number of the process: the record goes at the end of its lists
            seq = next(sequence)
            seqs[arn] = seq
            known = kinds.get(kind)
            if known is None:
                known = kinds[kind] = self._known(kind, type(record))
            plan, whole, names, cls, flat = known
            whole.seqs.append(seq)
            whole.items.append(record)
            name = data.get("name")
            if name is not None:
                if names is None:
                    names = all_names.get(kind)
                    if names is None:
                        names = all_names[kind] = {}
                    kinds[kind] = (plan, whole, names, cls, flat)
                same = names.setdefault(name, arn)
                if same is not arn:  # (this ARN is filed nowhere yet)
                    names[name] = (same, arn) if isinstance(same, str) else (*same, arn)
            # the other ordered lists (a new one starts with the record: no __init__ runs)
            key: tuple[Any, ...]
            for member in parents.intersection(data):
                value = data[member]
                # a record naming itself (a trained model's trainedModelArn) is no parent
                if value != arn and isinstance(value, str):
                    key = (kind, member, value)
                    _append(lists, key, seq, record)
            for first in plan.listed1:
                value = data.get(first)
                if value != arn and isinstance(value, str):
                    key = (kind, first, value)
                    _append(lists, key, seq, record)
            for first, second in plan.listed2:
                value = data.get(first)
                other = data.get(second)
                if (
                    value != arn
                    and other != arn
                    and isinstance(value, str)
                    and isinstance(other, str)
                ):
                    key = (kind, first, value, second, other)
                    _append(lists, key, seq, record)
            for members in plan.listed_more:
                combination = _combination(plan.key, members, data, arn)
                if combination is not None:
                    _append(lists, combination, seq, record)
            if type(record) is not cls:  # a kind filed in another class
                plain = _PLAIN.get(type(record))  # (False is an answer too)
                flat = _plain(type(record)) if plain is None else plain
            if plan.counts:  # a new record is in no count yet: it enters those it is in
                if flat:
                    status = track.status if track is not None else None
                else:
                    status = record.status
                for count in plan.counts:
                    if count.accept is not None and not count.accept(record):
                        continue
                    if count.parts is not None:
                        for part in count.parts(record):
                            self._enter(count, part, record)
                        continue
                    counts = count.memo.get(status)
                    if counts is None:
                        counts = count.memo[status] = bool(count.counts(status))
                    if not counts:
                        continue
                    # as _count_in does (the record is the part: one data to read)
                    tally = counted.get(count.all_key)
                    if tally is None:
                        tally = counted[count.all_key] = {}
                    tally[record] = record
                    if count.scope is None:
                        continue
                    value = data.get(count.scope)
                    # a list value: each of its strings; any other value: itself
                    for item in value if isinstance(value, list) else (value,):
                        if isinstance(item, str) or item is value:
                            key = (count.name, item)
                            tally = counted.get(key)
                            if tally is None:
                                tally = counted[key] = {}
                            tally[record] = record
            if flat:  # can_advance, read inline
                if track is not None and track.pending:
                    waiting[record] = seq
            elif record.can_advance():
                waiting[record] = seq

    def _known(self, kind: str, cls: type) -> _Known:
        """What ``add_all`` keeps at hand for a kind: its plan, its ordered list, its names
        (None: none yet) and the class of its records (``cls``, as the first filed is) with
        whether it is plain (``_PLAIN``)."""
        plan = _PLANS.get(kind) or _plan(kind)
        found = self.lists.get(plan.key)
        if found is None:
            found = self.lists[plan.key] = Ordered()
        flat = _PLAIN.get(cls)
        if flat is None:
            flat = _plain(cls)
        return (plan, found, self.names.get(kind), cls, flat)

    def _enter(self, count: _Count, part: Record, record: Record) -> None:
        """Enter ``part`` of a new ``record`` in ``count`` if its status counts."""
        status = part.status
        counts = count.memo.get(status)
        if counts is None:
            counts = count.memo[status] = bool(count.counts(status))
        if counts:
            self._count_in(count, part, record, part.data)

    def _count_in(self, count: _Count, part: Record, record: Record, data: dict[str, Any]) -> None:
        """Enter ``part`` (of ``record``; ``data``: its data) in ``count``: in all, and under
        the value of the count's scope (read from the part, else from the record)."""
        counted = self.counted
        key = count.all_key
        tally = counted.get(key)
        if tally is None:
            tally = counted[key] = {}
        tally[part] = record
        scope = count.scope
        if scope is None:
            return
        value = data.get(scope)
        if value is None:
            value = record.data.get(scope)
        # a list value: each of its strings (one filed twice is there once)
        for item in value if isinstance(value, list) else (value,):
            if not isinstance(item, str) and item is not value:
                continue
            key = (count.name, item)
            tally = counted.get(key)
            if tally is None:
                tally = counted[key] = {}
            tally[part] = record

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
                    if len(key) == 1:  # the kind's list: add_all keeps it at hand
                        self.kinds.pop(kind, None)
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
        kind = record.kind
        plan = _PLANS.get(kind)
        if plan is None:
            plan = _plan(kind)
        counted = self.counted
        for count in plan.counts:
            if count.accept is not None and not count.accept(record):
                continue
            parts = (record,) if count.parts is None else count.parts(record)
            for part in parts:
                counts = not leaving and count.counts(part.status)
                if new and not counts:
                    continue
                keys = [count.all_key]
                if count.scope is not None:
                    keys += [(count.name, v) for v in _scope_values(count.scope, part, record)]
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
