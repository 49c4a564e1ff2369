"""Who is calling, and where: the account and region of a request.

The account is the SigV4 access key id when it is a 12-digit number, else the mock's
default account. The region comes from the SigV4 credential scope, else the endpoint host
(``cleanrooms-ml.<region>.amazonaws.com``), else ``us-east-1``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

DEFAULT_REGION = "us-east-1"


# credential scope (``AKID/date/region/service/aws4_request``) -> (account or None, region
# or None), both interned: a client signs every request with the same scope all day
_SCOPES: dict[str, tuple[str | None, str | None]] = {}
_SCOPES_KEPT = 256


def _scope(credential: str) -> tuple[str | None, str | None]:
    found = _SCOPES.get(credential)
    if found is not None:
        return found
    scope = credential.strip().split("/")
    key = scope[0]
    account = sys.intern(key) if len(key) == 12 and key.isdigit() else None
    region = sys.intern(scope[2]) if len(scope) >= 3 and scope[2] else None
    if len(_SCOPES) >= _SCOPES_KEPT:
        _SCOPES.clear()
    found = _SCOPES[credential] = (account, region)
    return found


def _credential(headers: Mapping[str, str]) -> str | None:
    """The ``Credential=`` part of a SigV4 ``Authorization`` header, if there is one."""
    auth = headers.get("Authorization") or headers.get("authorization")
    if not auth:
        return None
    if isinstance(auth, bytes):
        auth = auth.decode("latin-1")
    start = auth.find("Credential=")
    if start < 0:
        return None
    end = auth.find(",", start)
    return auth[start + 11 : end if end >= 0 else None]


def region_from_host(host: str) -> str | None:
    host = host.split(":", 1)[0]
    parts = host.split(".")
    if len(parts) >= 4 and parts[0] in ("cleanrooms-ml", "cleanrooms-ml-fips"):
        return parts[1]
    return None


def resolve(headers: Mapping[str, str], host: str, default_account: str) -> tuple[str, str]:
    credential = _credential(headers)
    account, region = _scope(credential) if credential is not None else (None, None)
    if region is None:
        region = region_from_host(host) or DEFAULT_REGION
    return account or default_account, region
