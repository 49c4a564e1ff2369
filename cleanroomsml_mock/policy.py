"""IAM evaluation of configured-audience-model resource policies (docs/lookalike.md,
"Resource policy evaluation").

A self-contained module: ``parse_policy`` validates a policy document strictly and compiles
it, ``evaluate`` decides a ``Request`` against it the way IAM decides a request against one
resource-based policy, ``allows`` does both for the caller. A document the mock could not
evaluate faithfully raises ``PolicyError`` (a ``ValueError``) whose ``path`` names the part
(``Statement[1].Condition.StringEqualz``); the caller turns it into a ValidationException.

AWS documentation followed (IAM User Guide, https://docs.aws.amazon.com/IAM/latest/UserGuide/):

- policy elements: ``reference_policies_elements_version.html``, ``..._statement.html``,
  ``..._sid.html``, ``..._effect.html``, ``..._principal.html``, ``..._notprincipal.html``,
  ``..._action.html``, ``..._notaction.html``, ``..._resource.html``,
  ``..._notresource.html``, ``..._condition.html``;
- condition operators: ``reference_policies_elements_condition_operators.html``;
- several keys and values, set operators:
  ``reference_policies_condition-logic-multiple-context-keys-or-values.html`` and
  ``reference_policies_condition-single-vs-multi-valued-context-keys.html``;
- global condition keys: ``reference_policies_condition-keys.html``;
- policy variables: ``reference_policies_variables.html``;
- evaluation: ``reference_policies_evaluation-logic.html``.

Clean Rooms ML: the cross-account policy example of the user guide
(https://docs.aws.amazon.com/clean-rooms/latest/userguide/ml-behaviors.html) and the service
authorization reference (https://docs.aws.amazon.com/service-authorization/latest/reference/
list_awscleanroomsml.html), whose only service key is ``cleanrooms-ml:CollaborationId``.

Where the documentation is silent or ambiguous the module takes the stricter reading: it
refuses the document rather than guess. Each such choice is marked "Stricter:" below.
"""

from __future__ import annotations

import datetime as _dt
import enum
import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, TypeAlias

__all__ = [
    "Condition",
    "Decision",
    "Policy",
    "PolicyError",
    "Principals",
    "Request",
    "Statement",
    "allows",
    "evaluate",
    "parse_policy",
]

Scalar: TypeAlias = str | int | float | bool | _dt.datetime
ContextValue: TypeAlias = Scalar | Sequence[Scalar]


class PolicyError(ValueError):
    """A policy document the mock refuses; ``path`` names the offending part."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class Decision(enum.Enum):
    """The outcome of one resource policy for one request (IAM evaluation logic)."""

    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


# ---------------------------------------------------------------------------- elements

# Version element page: IAM supports "2012-10-17" and "2008-10-17"; a policy without a
# Version is read with the older grammar.
VERSIONS = ("2012-10-17", "2008-10-17")
POLICY_ELEMENTS = ("Version", "Id", "Statement")
STATEMENT_ELEMENTS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
EFFECTS = ("Allow", "Deny")

_PARTITION = r"aws(?:-[a-z]+)*"
_ACCOUNT = re.compile(r"\d{12}")
_ROOT_ARN = re.compile(rf"arn:{_PARTITION}:iam::(\d{{12}}):root")
_IAM_ARN = re.compile(rf"arn:{_PARTITION}:iam::(\d{{12}}):(?:user|role)/\S+")
_SESSION_ARN = re.compile(rf"arn:({_PARTITION}):sts::(\d{{12}}):assumed-role/([^/\s]+)/\S+")
_FEDERATED_ARN = re.compile(rf"arn:{_PARTITION}:sts::(\d{{12}}):federated-user/\S+")
_ACTION = re.compile(r"[A-Za-z0-9-]+:[A-Za-z0-9*?]+")
_CONDITION_KEY = re.compile(r"[A-Za-z0-9-]+:\S+")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _wildcard(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    """``*`` matches any run of characters, ``?`` any one character, nothing else is special
    (Resource element page; StringLike in the condition operators page)."""
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _no_variable(value: str, path: str) -> None:
    # Stricter: policy variables (``${aws:username}``...) are refused under either Version.
    # Under 2012-10-17 IAM would substitute them from the request context; under 2008-10-17
    # or without Version it reads them as literal text (Version element page). The mock
    # does neither silently.
    if "${" in value:
        raise PolicyError(
            path,
            f"policy variables are not supported by the mock ({value!r}); write the value out",
        )


# ---------------------------------------------------------------------------- JSON input


class _Object(dict[str, Any]):
    """A JSON object that remembers the member names it saw more than once."""

    duplicates: tuple[str, ...] = ()


def _object_pairs(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object()
    seen: list[str] = []
    for key, value in pairs:
        if key in obj:
            seen.append(key)
        obj[key] = value
    obj.duplicates = tuple(seen)
    return obj


def _no_constant(name: str) -> Any:
    raise PolicyError("policy", f"{name} is not a JSON value")


def _check_object(value: Any, path: str, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PolicyError(
            path or "policy", f"{what} must be a JSON object, got {type(value).__name__}"
        )
    duplicates = getattr(value, "duplicates", ())
    if duplicates:
        # Stricter: JSON parsers keep the last of duplicated names; the first would be
        # silently ignored, so the document is refused.
        raise PolicyError(_join(path, duplicates[0]), "appears more than once in the object")
    return value


def _strings(value: Any, path: str, what: str) -> list[tuple[str, str]]:
    """A string or a non-empty list of strings, each with its path."""
    if isinstance(value, str):
        return [(value, path)]
    if isinstance(value, list):
        if not value:
            raise PolicyError(path, f"{what} must not be an empty list")
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise PolicyError(
                    f"{path}[{i}]", f"{what} entries are strings, got {type(item).__name__}"
                )
            out.append((item, f"{path}[{i}]"))
        return out
    raise PolicyError(path, f"{what} must be a string or a list of strings")


# ---------------------------------------------------------------------------- principals


@dataclass(frozen=True)
class Principals:
    """The ``AWS`` principals of a Principal or NotPrincipal element."""

    everyone: bool
    accounts: frozenset[str]
    arns: frozenset[str]


def _arn_account(arn: str) -> str:
    return arn.split(":", 5)[4]


def _session_role(arn: str) -> str | None:
    found = _SESSION_ARN.fullmatch(arn)
    if found is None:
        return None
    partition, account, role = found.groups()
    return f"arn:{partition}:iam::{account}:role/{role}"


def _parse_principals(value: Any, path: str) -> Principals:
    if value == "*":
        return Principals(True, frozenset(), frozenset())
    mapping = _check_object(value, path, "a principal")
    if not mapping:
        raise PolicyError(path, "names no principal")
    everyone = False
    accounts: set[str] = set()
    arns: set[str] = set()
    for kind, entries in mapping.items():
        at = _join(path, kind)
        if kind in ("Service", "Federated", "CanonicalUser"):
            # Stricter: the callers the mock knows are AWS accounts (and their IAM
            # principals); a service, federated or canonical-user principal could never be
            # decided faithfully.
            raise PolicyError(at, f"{kind} principals are not supported by the mock; use AWS")
        if kind != "AWS":
            raise PolicyError(at, "unknown principal type (the Principal page lists AWS, ...)")
        for entry, entry_path in _strings(entries, at, "AWS principals"):
            _no_variable(entry, entry_path)
            if entry == "*":
                everyone = True
            elif _ACCOUNT.fullmatch(entry):
                accounts.add(entry)
            elif (root := _ROOT_ARN.fullmatch(entry)) is not None:
                # Principal page: the account ARN and the bare account id behave the same.
                accounts.add(root.group(1))
            elif "*" in entry or "?" in entry:
                # Principal page: "You cannot use a wildcard to match part of a principal
                # name or ARN."
                raise PolicyError(
                    entry_path, f"wildcards are not allowed in a principal ARN: {entry!r}"
                )
            elif (
                _IAM_ARN.fullmatch(entry)
                or _SESSION_ARN.fullmatch(entry)
                or _FEDERATED_ARN.fullmatch(entry)
            ):
                arns.add(entry)
            else:
                raise PolicyError(
                    entry_path,
                    f"not an AWS principal: {entry!r} (an account id, an account root ARN or "
                    "an IAM user, role or STS session ARN)",
                )
    return Principals(everyone, frozenset(accounts), frozenset(arns))


# ---------------------------------------------------------------------------- ARNs


def _arn_pattern(value: str, path: str, what: str) -> tuple[re.Pattern[str], ...]:
    """An ARN pattern matched component by component: ``*`` and ``?`` never cross a colon
    (ARN operators; the Resource page allows wildcards "within any ARN segment")."""
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        # Stricter: an ARN of fewer than six colon-separated components is refused rather
        # than matched as a plain string.
        raise PolicyError(
            path, f"{what} {value!r} is not an ARN (arn:partition:service:region:account:resource)"
        )
    return tuple(_wildcard(part) for part in parts)


def _arn_matches(pattern: tuple[re.Pattern[str], ...], arn: str) -> bool:
    parts = arn.split(":", 5)
    return len(parts) == 6 and all(p.fullmatch(c) for p, c in zip(pattern, parts, strict=True))


# ---------------------------------------------------------------------------- values


_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
# The W3C profiles of ISO 8601 (Date condition operators page): YYYY, YYYY-MM, YYYY-MM-DD,
# and with a time, hh:mm, hh:mm:ss or hh:mm:ss.s followed by a time zone (Z or +hh:mm).
_W3C_DATE = re.compile(
    r"(?P<y>\d{4})(?:-(?P<mo>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d+))?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2}))?)?)?"
)
_EPOCH = re.compile(r"\d+")


def _to_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        number = Decimal(repr(value))
        return number if number.is_finite() else None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        try:
            return Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            return None
    return None


def _epoch(seconds: int) -> _dt.datetime | None:
    try:
        return _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _to_datetime(value: Any) -> _dt.datetime | None:
    """A W3C ISO 8601 date or an epoch time in seconds; ``None`` when it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, _dt.datetime):
        return value if value.tzinfo is not None else None
    if isinstance(value, int):
        return _epoch(value) if value >= 0 else None
    if not isinstance(value, str):
        return None
    if _EPOCH.fullmatch(value) and len(value) != 4:
        return _epoch(int(value))
    found = _W3C_DATE.fullmatch(value)
    if found is None or (len(value) == 4 and _EPOCH.fullmatch(value)):
        # Stricter: four digits alone read both as a year and as an epoch time; refused.
        return None
    g = found.groupdict()
    tz = _dt.timezone.utc
    if g["tz"] and g["tz"] != "Z":
        sign = 1 if g["tz"][0] == "+" else -1
        hours, minutes = int(g["tz"][1:3]), int(g["tz"][4:6])
        tz = _dt.timezone(sign * _dt.timedelta(hours=hours, minutes=minutes))
    try:
        return _dt.datetime(
            int(g["y"]),
            int(g["mo"] or 1),
            int(g["d"] or 1),
            int(g["h"] or 0),
            int(g["mi"] or 0),
            int(g["s"] or 0),
            int((g["f"] or "0")[:6].ljust(6, "0")),
            tzinfo=tz,
        )
    except ValueError:
        return None


def _to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    return None


def _to_string(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _dt.datetime):
        return value.astimezone(_dt.timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


# ---------------------------------------------------------------------------- operators


@dataclass(frozen=True)
class _Operator:
    family: str  # String, Numeric, Date, Bool, Arn, Null
    negated: bool
    compare: Callable[[Any, Any], bool]


def _eq(r: Any, p: Any) -> bool:
    return bool(r == p)


def _like(r: str, p: re.Pattern[str]) -> bool:
    return p.fullmatch(r) is not None


def _lt(r: Any, p: Any) -> bool:
    return bool(r < p)


def _le(r: Any, p: Any) -> bool:
    return bool(r <= p)


def _gt(r: Any, p: Any) -> bool:
    return bool(r > p)


def _ge(r: Any, p: Any) -> bool:
    return bool(r >= p)


def _ieq(r: str, p: str) -> bool:
    return r.casefold() == p


def _arn(r: str, p: tuple[re.Pattern[str], ...]) -> bool:
    return _arn_matches(p, r)


# The operator families of the condition operators page that the mock evaluates. A negated
# operator holds when the positive comparison matches none of the policy values (multiple
# context keys or values page: negated operators combine values with NOR).
OPERATORS: dict[str, _Operator] = {
    "StringEquals": _Operator("String", False, _eq),
    "StringNotEquals": _Operator("String", True, _eq),
    "StringEqualsIgnoreCase": _Operator("String", False, _ieq),
    "StringNotEqualsIgnoreCase": _Operator("String", True, _ieq),
    "StringLike": _Operator("String", False, _like),
    "StringNotLike": _Operator("String", True, _like),
    "NumericEquals": _Operator("Numeric", False, _eq),
    "NumericNotEquals": _Operator("Numeric", True, _eq),
    "NumericLessThan": _Operator("Numeric", False, _lt),
    "NumericLessThanEquals": _Operator("Numeric", False, _le),
    "NumericGreaterThan": _Operator("Numeric", False, _gt),
    "NumericGreaterThanEquals": _Operator("Numeric", False, _ge),
    "DateEquals": _Operator("Date", False, _eq),
    "DateNotEquals": _Operator("Date", True, _eq),
    "DateLessThan": _Operator("Date", False, _lt),
    "DateLessThanEquals": _Operator("Date", False, _le),
    "DateGreaterThan": _Operator("Date", False, _gt),
    "DateGreaterThanEquals": _Operator("Date", False, _ge),
    "Bool": _Operator("Bool", False, _eq),
    "ArnEquals": _Operator("Arn", False, _arn),
    "ArnLike": _Operator("Arn", False, _arn),
    "ArnNotEquals": _Operator("Arn", True, _arn),
    "ArnNotLike": _Operator("Arn", True, _arn),
    "Null": _Operator("Null", False, _eq),
}

# Documented operators the mock refuses: no Clean Rooms ML request carries a binary value
# or a source IP address, so a condition on one could not be decided faithfully.
REFUSED_OPERATORS = {
    "BinaryEquals": "no Clean Rooms ML condition key holds a binary value",
    "IpAddress": "the mock's requests carry no source IP address",
    "NotIpAddress": "the mock's requests carry no source IP address",
}
QUALIFIERS = ("ForAllValues", "ForAnyValue")

# Condition keys whose type the AWS documentation gives: operator families allowed (Null is
# allowed on every key) and whether the key is multivalued. Sources: the global condition
# keys page and the Clean Rooms ML service authorization reference.
_KNOWN_KEYS: dict[str, tuple[frozenset[str], bool]] = {
    "aws:principalaccount": (frozenset({"String"}), False),
    "aws:principalarn": (frozenset({"Arn", "String"}), False),
    "aws:currenttime": (frozenset({"Date"}), False),
    "aws:epochtime": (frozenset({"Date", "Numeric"}), False),
    "aws:securetransport": (frozenset({"Bool"}), False),
    "aws:tagkeys": (frozenset({"String"}), True),
    "cleanrooms-ml:collaborationid": (frozenset({"String"}), False),
}
_KNOWN_KEY_PREFIXES: dict[str, tuple[frozenset[str], bool]] = {
    "aws:requesttag/": (frozenset({"String"}), False),
    "aws:resourcetag/": (frozenset({"String"}), False),
}
SERVICE_PREFIX = "cleanrooms-ml:"


def _key_type(key: str) -> tuple[frozenset[str], bool] | None:
    if key in _KNOWN_KEYS:
        return _KNOWN_KEYS[key]
    for prefix, kind in _KNOWN_KEY_PREFIXES.items():
        if key.startswith(prefix) and len(key) > len(prefix):
            return kind
    return None


@dataclass(frozen=True)
class Condition:
    """One condition key of one operator block: ``{operator: {key: values}}``."""

    operator: str  # as written, e.g. "ForAnyValue:StringLikeIfExists"
    base: str  # e.g. "StringLike"
    qualifier: str | None  # "ForAllValues", "ForAnyValue" or None
    if_exists: bool
    key: str  # lower case: key names are not case-sensitive (Condition element page)
    values: tuple[Any, ...]  # parsed for the operator's family

    @property
    def family(self) -> str:
        return OPERATORS[self.base].family

    @property
    def negated(self) -> bool:
        return OPERATORS[self.base].negated


def _split_operator(name: str, path: str) -> tuple[str, str | None, bool]:
    qualifier: str | None = None
    rest = name
    if ":" in name:
        qualifier, _, rest = name.partition(":")
        if qualifier not in QUALIFIERS:
            raise PolicyError(
                path, f"unknown set operator {qualifier!r} (ForAllValues or ForAnyValue)"
            )
    if_exists = rest.endswith("IfExists") and rest != "IfExists"
    base = rest[: -len("IfExists")] if if_exists else rest
    if base in REFUSED_OPERATORS:
        raise PolicyError(
            path,
            f"condition operator {base} is not supported by the mock: {REFUSED_OPERATORS[base]}",
        )
    if base not in OPERATORS:
        # Stricter: operator names are matched exactly as the condition operators page
        # spells them (StringEquals, not stringequals).
        raise PolicyError(path, f"unknown condition operator {name!r}")
    if base == "Null" and if_exists:
        # Condition operators page: IfExists applies to "any condition operator name
        # except the Null condition".
        raise PolicyError(path, "Null has no IfExists form")
    if base == "Null" and qualifier is not None:
        # Stricter: the documentation never combines Null with a set operator.
        raise PolicyError(path, "Null takes no ForAllValues/ForAnyValue qualifier")
    return base, qualifier, if_exists


def _parse_value(family: str, base: str, value: Any, path: str) -> Any:
    """One policy value, parsed for its operator family; a value of the wrong type raises.

    Stricter: String and Arn operators take JSON strings only; Numeric takes numbers or
    numeric strings; Date takes W3C ISO 8601 strings or whole epoch seconds; Bool and Null
    take true/false (JSON booleans or the strings "true"/"false")."""
    if isinstance(value, str):
        _no_variable(value, path)
    if family in ("String", "Arn"):
        if not isinstance(value, str):
            raise PolicyError(path, f"{base} takes strings, got {json.dumps(value)}")
        if family == "Arn":
            return _arn_pattern(value, path, "condition value")
        if base.endswith("Like"):
            return _wildcard(value)
        if base.endswith("IgnoreCase"):
            return value.casefold()
        return value
    if family == "Numeric":
        number = _to_decimal(value)
        if number is None:
            raise PolicyError(path, f"{base} takes numbers, got {json.dumps(value)}")
        return number
    if family == "Date":
        # Date operators page: wildcards are not permitted; values are W3C ISO 8601 dates
        # or epoch (UNIX) time.
        moment = None if isinstance(value, float) else _to_datetime(value)
        if moment is None:
            raise PolicyError(
                path,
                f"{base} takes an ISO 8601 date (W3C profile) or epoch seconds, got "
                f"{json.dumps(value)}",
            )
        return moment
    flag = _to_bool(value)
    if flag is None:
        raise PolicyError(path, f"{base} takes true or false, got {json.dumps(value)}")
    return flag


def _check_key(key: str, path: str, base: str, qualifier: str | None) -> None:
    if not _CONDITION_KEY.fullmatch(key):
        raise PolicyError(path, f"not a condition key (prefix:name): {key!r}")
    _no_variable(key, path)
    lower = key.lower()
    if lower.startswith(SERVICE_PREFIX) and lower not in _KNOWN_KEYS:
        # Stricter: the service authorization reference defines one Clean Rooms ML key;
        # another name under its prefix is a typo the request could never carry.
        raise PolicyError(
            path, f"unknown Clean Rooms ML condition key {key!r} (cleanrooms-ml:CollaborationId)"
        )
    kind = _key_type(lower)
    if kind is None or base == "Null":
        return
    families, multivalued = kind
    family = OPERATORS[base].family
    if family not in families:
        raise PolicyError(path, f"{key} takes {'/'.join(sorted(families))} operators, not {base}")
    if multivalued and qualifier is None:
        # Single-vs-multivalued page: "Multivalued context keys require a condition set
        # operator."
        raise PolicyError(path, f"{key} is multivalued: use ForAllValues: or ForAnyValue:")
    if not multivalued and qualifier is not None:
        # Same page: "Do not use a condition set operator with a single-valued context key"
        # (it can make a policy overly permissive). Stricter: refused.
        raise PolicyError(path, f"{key} is single-valued: {qualifier}: does not apply")


def _parse_conditions(value: Any, path: str) -> tuple[Condition, ...]:
    block = _check_object(value, path, "Condition")
    if not block:
        raise PolicyError(path, "is empty (omit Condition instead)")  # Stricter
    out: list[Condition] = []
    for name, keys in block.items():
        op_path = _join(path, name)
        base, qualifier, if_exists = _split_operator(name, op_path)
        pairs = _check_object(keys, op_path, "a condition operator block")
        if not pairs:
            raise PolicyError(op_path, "names no condition key")
        seen: dict[str, str] = {}
        for key, raw in pairs.items():
            key_path = _join(op_path, key)
            _check_key(key, key_path, base, qualifier)
            lower = key.lower()
            if lower in seen:
                # Key names are not case-sensitive, so these two are the same key.
                raise PolicyError(key_path, f"the same key as {seen[lower]!r} (case-insensitive)")
            seen[lower] = key
            family = OPERATORS[base].family
            if isinstance(raw, list):
                if not raw:
                    raise PolicyError(key_path, "must not be an empty list")
                values = tuple(
                    _parse_value(family, base, item, f"{key_path}[{i}]")
                    for i, item in enumerate(raw)
                )
            else:
                values = (_parse_value(family, base, raw, key_path),)
            out.append(Condition(name, base, qualifier, if_exists, lower, values))
    return tuple(out)


# ---------------------------------------------------------------------------- statements


@dataclass(frozen=True)
class Statement:
    path: str
    sid: str | None
    effect: str
    principals: Principals
    not_principal: bool
    actions: tuple[re.Pattern[str], ...]
    not_action: bool
    resources: tuple[tuple[re.Pattern[str], ...] | None, ...]  # None: "*"
    not_resource: bool
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Policy:
    version: str | None
    id: str | None
    statements: tuple[Statement, ...]


def _one_of(stmt: Mapping[str, Any], path: str, name: str, what: str) -> tuple[Any, bool]:
    negated = f"Not{name}"
    if name in stmt and negated in stmt:
        raise PolicyError(_join(path, negated), f"a statement has {name} or {negated}, not both")
    if name not in stmt and negated not in stmt:
        raise PolicyError(
            _join(path, name), f"missing: a statement needs {name} or {negated}{what}"
        )
    return (stmt[negated], True) if negated in stmt else (stmt[name], False)


def _parse_statement(value: Any, path: str, sids: set[str]) -> Statement:
    stmt = _check_object(value, path, "a statement")
    for name in stmt:
        if name not in STATEMENT_ELEMENTS:
            raise PolicyError(_join(path, name), "unknown statement element")
    sid = stmt.get("Sid")
    if sid is not None:
        if not isinstance(sid, str):
            raise PolicyError(_join(path, "Sid"), "must be a string")
        if sid in sids:
            # Sid page: "In IAM, the Sid value must be unique within a JSON policy." (Its
            # character set is not enforced: the Clean Rooms ML example uses hyphens.)
            raise PolicyError(_join(path, "Sid"), f"duplicate Sid {sid!r}")
        sids.add(sid)
    if "Effect" not in stmt:
        raise PolicyError(_join(path, "Effect"), "missing (Allow or Deny)")
    effect = stmt["Effect"]
    if effect not in EFFECTS:
        raise PolicyError(_join(path, "Effect"), f"must be Allow or Deny, got {json.dumps(effect)}")

    # Principal page: resource-based policies must name a Principal (or NotPrincipal).
    raw_principal, not_principal = _one_of(stmt, path, "Principal", " in a resource-based policy")
    principal_path = _join(path, "NotPrincipal" if not_principal else "Principal")
    principals = _parse_principals(raw_principal, principal_path)
    if not_principal and effect == "Allow":
        # Stricter: the NotPrincipal page "strongly recommend[s]" against NotPrincipal with
        # Allow (it grants every other principal, anonymous ones included); refused.
        raise PolicyError(principal_path, "NotPrincipal is accepted with Deny only")
    if not_principal and principals.everyone:
        raise PolicyError(principal_path, "NotPrincipal '*' excludes every principal")  # Stricter

    raw_action, not_action = _one_of(stmt, path, "Action", "")
    action_path = _join(path, "NotAction" if not_action else "Action")
    actions = []
    for action, at in _strings(raw_action, action_path, "actions"):
        _no_variable(action, at)
        if action != "*" and not _ACTION.fullmatch(action):
            raise PolicyError(at, f"not an action (service:Action, or *): {action!r}")
        # Action page: action names are not case-sensitive.
        actions.append(_wildcard(action, ignore_case=True))

    # Resource page: "Statements must include either a Resource or a NotResource element."
    raw_resource, not_resource = _one_of(stmt, path, "Resource", "")
    resource_path = _join(path, "NotResource" if not_resource else "Resource")
    resources: list[tuple[re.Pattern[str], ...] | None] = []
    for resource, at in _strings(raw_resource, resource_path, "resources"):
        _no_variable(resource, at)
        resources.append(None if resource == "*" else _arn_pattern(resource, at, "resource"))

    conditions: tuple[Condition, ...] = ()
    if "Condition" in stmt:
        conditions = _parse_conditions(stmt["Condition"], _join(path, "Condition"))
    return Statement(
        path,
        sid,
        effect,
        principals,
        not_principal,
        tuple(actions),
        not_action,
        tuple(resources),
        not_resource,
        conditions,
    )


def parse_policy(text: str | Mapping[str, Any]) -> Policy:
    """Validate a policy document (JSON text, or an already decoded object) and compile it.

    Raises ``PolicyError`` naming the first part the mock cannot evaluate faithfully.
    """
    if isinstance(text, str):
        try:
            document = json.loads(
                text, object_pairs_hook=_object_pairs, parse_constant=_no_constant
            )
        except PolicyError:
            raise
        except ValueError as exc:
            raise PolicyError("policy", f"not valid JSON: {exc}") from None
    else:
        document = text
    top = _check_object(document, "", "a policy")
    for name in top:
        if name not in POLICY_ELEMENTS:
            raise PolicyError(name, "unknown policy element (Version, Id, Statement)")
    version = top.get("Version")
    if version is not None and version not in VERSIONS:
        raise PolicyError(
            "Version", f"must be one of {', '.join(VERSIONS)}, got {json.dumps(version)}"
        )
    policy_id = top.get("Id")
    if policy_id is not None and not isinstance(policy_id, str):
        raise PolicyError("Id", "must be a string")
    if "Statement" not in top:
        raise PolicyError("Statement", "missing (Statement element page: it is required)")
    raw = top["Statement"]
    if isinstance(raw, list):
        if not raw:
            raise PolicyError("Statement", "must not be empty")  # Stricter
        items = [(item, f"Statement[{i}]") for i, item in enumerate(raw)]
    else:
        items = [(raw, "Statement")]
    sids: set[str] = set()
    statements = tuple(_parse_statement(item, path, sids) for item, path in items)
    return Policy(version, policy_id, statements)


# ---------------------------------------------------------------------------- requests


def _check_scalar(value: Any, where: str) -> Scalar:
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            raise ValueError(f"{where}: a datetime in a request context needs a time zone")
        return value
    if isinstance(value, (str, int, float, bool)):
        return value
    raise ValueError(f"{where}: {type(value).__name__} is not a condition value")


@dataclass(frozen=True)
class Request:
    """What a resource policy is evaluated against.

    ``context`` maps condition keys (case-insensitive) to a value or a list of values; a key
    mapped to an empty list is an empty set (absent, except to ForAllValues/ForAnyValue).
    ``aws:PrincipalAccount`` (and ``aws:PrincipalArn`` when ``principal_arn`` is given) are
    derived from the principal and need not be passed.
    """

    principal_account: str
    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    principal_arn: str | None = None
    _values: dict[str, tuple[Scalar, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        if not _ACCOUNT.fullmatch(self.principal_account):
            raise ValueError(f"principal_account must be 12 digits: {self.principal_account!r}")
        if self.principal_arn is not None:
            arn = self.principal_arn
            if (
                not (
                    _ROOT_ARN.fullmatch(arn)
                    or _IAM_ARN.fullmatch(arn)
                    or _SESSION_ARN.fullmatch(arn)
                    or _FEDERATED_ARN.fullmatch(arn)
                )
                or _arn_account(arn) != self.principal_account
            ):
                raise ValueError(
                    f"principal_arn is not a principal of {self.principal_account}: {arn!r}"
                )
        values: dict[str, tuple[Scalar, ...]] = {}
        for key, raw in self.context.items():
            lower = key.lower()
            if lower in values:
                raise ValueError(f"context key {key!r} given twice (keys are case-insensitive)")
            if isinstance(raw, (str, int, float, bool, _dt.datetime)):
                values[lower] = (_check_scalar(raw, key),)
            elif isinstance(raw, Sequence):
                values[lower] = tuple(_check_scalar(item, key) for item in raw)
            else:
                raise ValueError(f"{key}: {type(raw).__name__} is not a condition value")
        derived: dict[str, tuple[Scalar, ...]] = {"aws:principalaccount": (self.principal_account,)}
        if self.principal_arn is not None:
            derived["aws:principalarn"] = (self.principal_arn,)
        for key, value in derived.items():
            if key in values and values[key] != value:
                raise ValueError(
                    f"context {key} {values[key]!r} contradicts the principal {value!r}"
                )
            values[key] = value
        self._values.update(values)

    def values(self, key: str) -> tuple[Scalar, ...] | None:
        """The values the request carries for ``key`` (any case), ``None`` when absent."""
        return self._values.get(key.lower())


# ---------------------------------------------------------------------------- evaluation


def _principal_listed(principals: Principals, request: Request) -> bool:
    """Whether a Principal element names the caller.

    The account id or root ARN names every principal of the account (Principal page). An
    IAM user/role/session ARN names that principal; a session also matches the ARN of its
    role. The mock has no IAM: a caller known only by its account id (``principal_arn``
    None) may be any principal of the account, so any IAM ARN of that account names it.
    """
    if principals.everyone or request.principal_account in principals.accounts:
        return True
    arn = request.principal_arn
    if arn is None:
        return any(_arn_account(a) == request.principal_account for a in principals.arns)
    if _ROOT_ARN.fullmatch(arn):
        return False  # the root user is named by its account only
    return arn in principals.arns or _session_role(arn) in principals.arns


def _not_principal_exempts(principals: Principals, request: Request) -> bool:
    """Whether a NotPrincipal element exempts the caller from its (Deny) statement.

    NotPrincipal page: the account ARN must be listed along with the user (or the role and
    its session), otherwise the deny may reach the account and so the principal. Stricter:
    the caller is exempt only when every layer of its identity is listed; a caller known
    only by its account id is exempt when its account is listed.
    """
    if request.principal_account not in principals.accounts:
        return False
    arn = request.principal_arn
    if arn is None or _ROOT_ARN.fullmatch(arn):
        return True
    role = _session_role(arn)
    return arn in principals.arns and (role is None or role in principals.arns)


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "String": _to_string,
    "Arn": _to_string,
    "Numeric": _to_decimal,
    "Date": _to_datetime,
    "Bool": _to_bool,
}


def _condition_holds(condition: Condition, request: Request) -> bool:
    """IAM's rules for one key of one operator (condition operators page; multiple keys or
    values page; single-vs-multivalued page)."""
    present = request.values(condition.key)
    if condition.base == "Null":
        # Null: true means the key is absent, false that it is present (an empty set counts
        # as absent). Several policy values are ORed.
        absent = not present
        return any(flag == absent for flag in condition.values)
    if not present:
        if condition.qualifier == "ForAllValues":
            return True  # a missing key or an empty set satisfies ForAllValues
        if condition.if_exists:
            return True  # ...IfExists: a missing key makes the condition true
        if condition.qualifier == "ForAnyValue":
            return False
        # A missing key does not match; a negated operator (StringNotLike...) then holds.
        return condition.negated
    operator = OPERATORS[condition.base]
    convert = _CONVERT[operator.family]

    def matches(value: Scalar) -> bool:
        # A request value that cannot be read as the operator's type matches nothing.
        converted = convert(value)
        return converted is not None and any(
            operator.compare(converted, p) for p in condition.values
        )

    satisfied = [(not matches(v)) if operator.negated else matches(v) for v in present]
    if condition.qualifier == "ForAllValues":
        return all(satisfied)
    if condition.qualifier == "ForAnyValue":
        return any(satisfied)
    # No qualifier: several policy values are ORed (NOR for a negated operator). Should the
    # request carry several values, a positive operator holds when any of them matches and
    # a negated one when none does.
    return all(satisfied) if operator.negated else any(satisfied)


def _statement_applies(statement: Statement, request: Request) -> bool:
    if statement.not_principal:
        if _not_principal_exempts(statement.principals, request):
            return False
    elif not _principal_listed(statement.principals, request):
        return False
    action_listed = any(p.fullmatch(request.action) for p in statement.actions)
    if action_listed == statement.not_action:
        return False
    resource_listed = any(
        p is None or _arn_matches(p, request.resource) for p in statement.resources
    )
    if resource_listed == statement.not_resource:
        return False
    # Every operator, and every key within an operator, must hold (logical AND).
    return all(_condition_holds(c, request) for c in statement.conditions)


def evaluate(policy: Policy, request: Request) -> Decision:
    """IAM's decision for one resource-based policy: an explicit Deny in any applicable
    statement wins; otherwise an applicable Allow allows; otherwise the request is
    implicitly denied (evaluation logic page)."""
    allowed = False
    for statement in policy.statements:
        if not _statement_applies(statement, request):
            continue
        if statement.effect == "Deny":
            return Decision.EXPLICIT_DENY
        allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


@functools.lru_cache(maxsize=256)
def _parse_cached(text: str) -> Policy:
    return parse_policy(text)


def allows(policy_text: str, request: Request) -> bool:
    """Whether the policy text allows the request (``PolicyError`` if it is refused)."""
    return evaluate(_parse_cached(policy_text), request) is Decision.ALLOW
