"""Pagination for every List operation, driven by the model's ``paginators-1.json``.

Backends return the full, ordered sequence of items; the dispatcher slices one page.
Slicing is the only thing done to the items that may have an effect: a backend's
``records.Listing`` reads the records of the page it hands out (their lifecycles move),
and this module needs to know nothing about it. Indexing and iterating only look.
Tokens are opaque: they carry the offset, a short digest of the last item returned and of
the next one, and a checksum of the operation and the other request parameters (the
dispatcher adds the caller's account and region), so a token from another operation,
other filters or another caller is refused with a ``ValidationException``.
The next page starts after the last item returned (or at the item that was next) wherever
it now is, so creating or deleting resources between two pages neither skips nor repeats
an item; the offset is the fallback when both are gone.

Items held by an ordered index (``records.Listing.page_after``) are paged by key instead:
the token carries the key (sequence number) of the last item returned, and the next page
starts after it, found by bisection, whether or not that item still exists. No page copies
or scans the items before it.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Sequence
from typing import Any

from .errors import ValidationException

# Documented default page sizes; the rest return up to the model's maximum (100).
DEFAULT_PAGE_SIZE: dict[str, int] = {"ListTrainedModelVersions": 10}
FALLBACK_PAGE_SIZE = 100


def _checksum(operation: str, params: dict[str, Any]) -> int:
    text = json.dumps([operation, params], sort_keys=True, default=str)
    return zlib.crc32(text.encode())


_KEY_MEMBERS = ("trainedModelArn", "versionIdentifier", "name")


def item_key(item: Any) -> int:
    """A short, stable digest of an item's identity: its ARN (records), or the members
    that identify it (views such as one version of a trained model)."""
    arn = getattr(item, "arn", None)
    if isinstance(arn, str):
        text = arn
    else:
        get = item.get if isinstance(item, dict) else getattr(item, "pick", None)
        text = repr([get(m) for m in _KEY_MEMBERS]) if get is not None else repr(item)
    return zlib.crc32(text.encode())


def encode_token(
    operation: str,
    params: dict[str, Any],
    offset: int,
    last: int | None = None,
    following: int | None = None,
    key: Any = None,
) -> str:
    payload: dict[str, Any] = {"o": offset, "c": _checksum(operation, params)}
    if key is not None:
        payload["k"] = key
    if last is not None:
        payload["l"] = last
    if following is not None:
        payload["n"] = following
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(operation: str, params: dict[str, Any], token: str) -> dict[str, Any]:
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset = payload["o"]
        checksum = payload["c"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ValidationException(f"Invalid nextToken: '{token[:64]}'") from None
    if not isinstance(offset, int) or offset < 0 or checksum != _checksum(operation, params):
        raise ValidationException(
            "The nextToken does not belong to this request: it was issued for another "
            "operation or other parameters"
        )
    return payload  # type: ignore[no-any-return]


def decode_token(operation: str, params: dict[str, Any], token: str) -> int:
    """The offset a token was issued at (ValidationException for a bad token)."""
    return int(_decode(operation, params, token)["o"])


def _valid_key(key: Any) -> bool:
    """A key is a sequence number, or a (createTime, sequence number) pair."""
    if isinstance(key, list):
        return len(key) == 2 and all(_valid_key(k) for k in key)
    return isinstance(key, int) and not isinstance(key, bool)


def _start(payload: dict[str, Any], items: Sequence[Any]) -> int:
    """Where the page after ``payload``'s token starts in ``items`` as they are now."""
    offset = int(payload["o"])
    last, following = payload.get("l"), payload.get("n")
    if 0 < offset <= len(items) and item_key(items[offset - 1]) == last:
        return offset  # nothing moved (the common case): no scan
    if last is not None or following is not None:
        keys = [item_key(item) for item in items]
        if last in keys:
            return keys.index(last) + 1
        if following in keys:
            return keys.index(following)
    return offset


def page(
    operation: str,
    params: dict[str, Any],
    items: Sequence[Any],
    token: str | None,
    limit: int | None,
) -> tuple[Sequence[Any], str | None]:
    """One page of ``items`` and the token for the next one (None on the last page)."""
    payload = _decode(operation, params, token) if token else None
    size = limit or DEFAULT_PAGE_SIZE.get(operation, FALLBACK_PAGE_SIZE)
    pager = getattr(items, "page_after", None)
    if pager is not None and (payload is None or "k" in payload):
        key = payload["k"] if payload is not None else None
        if key is not None and not _valid_key(key):
            raise ValidationException(f"Invalid nextToken: '{str(token)[:64]}'")
        found = pager(key, size)
        if found is not None:
            chunk, last, end, more = found
            return chunk, encode_token(operation, params, end, key=last) if more else None
    start = _start(payload, items) if payload is not None else 0
    end = start + size
    chunk = items[start:end]
    next_token = None
    if end < len(items):
        next_token = encode_token(
            operation, params, end, item_key(items[end - 1]), item_key(items[end])
        )
    return chunk, next_token
