"""Resource ids, ARNs and UUIDs, shaped to satisfy the model's patterns."""

from __future__ import annotations

import itertools
import random
import string
import uuid

_ALPHABET = string.ascii_letters + string.digits
_rng = random.Random()


def seed(value: int | None) -> None:
    """Make generated ids repeatable (``None`` goes back to fresh randomness)."""
    _rng.seed(value)


_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]  # 62**2 two-character chunks
_CHUNKS = _PAIRS + _PAIRS[: 4096 - 3844]  # a 12-bit chunk j -> _PAIRS[j % 3844]


def resource_id() -> str:
    """A 22-character base62 id, like the ids of the real service: eleven 12-bit chunks of
    132 random bits, lowest first, each one two characters (``_PAIRS[chunk % 3844]``)."""
    b = _rng.getrandbits(132)
    c = _CHUNKS
    return "".join(
        (
            c[b & 4095],
            c[b >> 12 & 4095],
            c[b >> 24 & 4095],
            c[b >> 36 & 4095],
            c[b >> 48 & 4095],
            c[b >> 60 & 4095],
            c[b >> 72 & 4095],
            c[b >> 84 & 4095],
            c[b >> 96 & 4095],
            c[b >> 108 & 4095],
            c[b >> 120],
        )
    )


def new_uuid() -> str:
    """A lower-case UUID4 (membership, collaboration, version and query ids)."""
    return str(uuid.UUID(int=_rng.getrandbits(128), version=4))


# Region prefix -> partition, as botocore's endpoints.json ``regionRegex`` has them.
_PARTITIONS = (
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-iso-", "aws-iso"),
    ("us-isob-", "aws-iso-b"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-isof-", "aws-iso-f"),
    ("eusc-", "aws-eusc"),
)


_PARTITION_OF: dict[str, str] = {}  # region -> partition, as found


def partition_for(region: str) -> str:
    found = _PARTITION_OF.get(region)
    if found is None:
        found = next((p for prefix, p in _PARTITIONS if region.startswith(prefix)), "aws")
        if len(_PARTITION_OF) < 1024:  # regions are few; any string can be asked for
            _PARTITION_OF[region] = found
    return found


def arn(region: str, account: str, resource: str) -> str:
    return f"arn:{partition_for(region)}:cleanrooms-ml:{region}:{account}:{resource}"


def arn_account(value: str) -> str | None:
    parts = value.split(":", 5)
    return parts[4] if len(parts) == 6 else None


def arn_region(value: str) -> str | None:
    parts = value.split(":", 5)
    return parts[3] if len(parts) == 6 else None


_request_prefix = str(uuid.uuid4())[:24]  # random per process: 'xxxxxxxx-xxxx-4xxx-yxxx-'
_request_counter = itertools.count(1)


def request_id() -> str:
    """A UUID-shaped request id (x-amzn-RequestId), unique in the process and cheap enough
    for every call: a random prefix drawn once, then a counter (apart from the seeded
    generator, so request ids never shift seeded resource ids)."""
    return f"{_request_prefix}{next(_request_counter):012x}"
