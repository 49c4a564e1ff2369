"""Pagination for every List operation, driven by the model's ``paginators-1.json``.

Backends return the full, ordered sequence of items; the dispatcher slices one page.
Tokens are opaque: they carry the offset and a checksum of the operation and the other
request parameters, so a token from another operation or other filters is refused with
a ``ValidationException``.
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


def encode_token(operation: str, params: dict[str, Any], offset: int) -> str:
    raw = json.dumps({"o": offset, "c": _checksum(operation, params)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(operation: str, params: dict[str, Any], token: str) -> int:
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
    return offset


def page(
    operation: str,
    params: dict[str, Any],
    items: Sequence[Any],
    token: str | None,
    limit: int | None,
) -> tuple[Sequence[Any], str | None]:
    """One page of ``items`` and the token for the next one (None on the last page)."""
    start = decode_token(operation, params, token) if token else 0
    size = limit or DEFAULT_PAGE_SIZE.get(operation, FALLBACK_PAGE_SIZE)
    end = start + size
    chunk = items[start:end]
    next_token = encode_token(operation, params, end) if end < len(items) else None
    return chunk, next_token
