"""The mock's clock (docs/lifecycle.md, "The clock").

The wall clock, read at each use through ``datetime.now(timezone.utc)`` (so time-machine
and freezegun move it), plus an offset that ``m.advance_time`` increases. Every timestamp
the mock writes and every time rule reads it, at the millisecond precision of the wire.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass

_UTC = _dt.timezone.utc


def wire_precision(t: _dt.datetime) -> _dt.datetime:
    """``t`` truncated to the millisecond, the precision of the wire's timestamps."""
    # a subtraction with positional arguments: ``replace(microsecond=...)`` parses keywords
    extra = t.microsecond % 1000
    return t - _dt.timedelta(0, 0, extra) if extra else t


@dataclass
class Clock:
    """Wall clock plus ``offset`` seconds (a dataclass: saved with the state)."""

    offset: float = 0.0

    def now(self) -> _dt.datetime:
        """The mock's current time: an aware UTC datetime, to the millisecond."""
        t = _dt.datetime.now(_UTC)
        if self.offset:
            t = t + _dt.timedelta(0, self.offset)
        t = t.astimezone(_UTC)
        extra = t.microsecond % 1000  # wire_precision, inline: it is read at most calls
        return t - _dt.timedelta(0, 0, extra) if extra else t

    def advance(self, seconds: float) -> None:
        """Move the clock forward; a negative, infinite or non-numeric value is a
        ``ValueError`` (time does not go back)."""
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise ValueError(f"seconds must be a number, got {seconds!r}")
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"seconds must be 0 or more (time does not go back), got {seconds!r}")
        self.offset += float(seconds)
