"""Who is calling, and where: the account and region of a request.

The account is the SigV4 access key id when it is a 12-digit number, else the mock's
default account. The region comes from the SigV4 credential scope, else the endpoint host
(``cleanrooms-ml.<region>.amazonaws.com``), else ``us-east-1``.
"""

from __future__ import annotations

from collections.abc import Mapping

DEFAULT_REGION = "us-east-1"


def _credential_scope(headers: Mapping[str, str]) -> list[str] | None:
    auth = headers.get("Authorization") or headers.get("authorization")
    if not auth:
        return None
    if isinstance(auth, bytes):
        auth = auth.decode("latin-1")
    start = auth.find("Credential=")
    if start < 0:
        return None
    end = auth.find(",", start)
    credential = auth[start + 11 : end if end >= 0 else None].strip()
    return credential.split("/")


def region_from_host(host: str) -> str | None:
    host = host.split(":", 1)[0]
    parts = host.split(".")
    if len(parts) >= 4 and parts[0] in ("cleanrooms-ml", "cleanrooms-ml-fips"):
        return parts[1]
    return None


def resolve(headers: Mapping[str, str], host: str, default_account: str) -> tuple[str, str]:
    scope = _credential_scope(headers)
    account = default_account
    region = None
    if scope:
        key = scope[0]
        if len(key) == 12 and key.isdigit():
            account = key
        if len(scope) >= 3 and scope[2]:
            region = scope[2]
    if region is None:
        region = region_from_host(host) or DEFAULT_REGION
    return account, region
