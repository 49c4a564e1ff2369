"""The control endpoints under ``/_mock/``: a werkzeug ``Map`` of rules, each answered by
one control of controls.py (the handle's ``m.reset()``, ``m.set_status(...)``...), with
JSON in and JSON out (docs/server.md, "Control endpoints").

=======  =======================  ==================================================
GET      ``/_mock/health``        ``{"status": "ok", ...}``
POST     ``/_mock/reset``         forget every resource, membership and call
POST     ``/_mock/status``        ``{"arn", "status", "statusCode"?, "message"?, "version"?}``
POST     ``/_mock/advance``       ``{"arn"?}``: one lifecycle step (one or every resource)
GET      ``/_mock/clock``         ``{"now": "<ISO 8601>"}``: the mock's clock
POST     ``/_mock/clock``         ``{"advanceSeconds"}``: move the clock forward
POST     ``/_mock/memberships``   ``{"accountId"?, "collaborationId"?, "membershipId"?,
                                  "abilities"?, "paysFor"?}``
POST     ``/_mock/quotas``        ``{"name", "value"}``
POST     ``/_mock/seed``          ``{"value"}``: repeatable ids from here on (null: random)
POST     ``/_mock/errors``        ``{"operation", "code"?, "message"?, "count"?, ...}``
DELETE   ``/_mock/errors``        ``{"operation"?}``: drop injected errors
GET      ``/_mock/state``         the saved-state document of everything (see state.py)
GET      ``/_mock/calls``         the calls served: operation, account, region, status
GET      ``/_mock/ui``            an HTML page of the resources and calls (ui.py)
=======  =======================  ==================================================

As with werkzeug routing everywhere, a rule that takes ``GET`` also takes ``HEAD``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule

from ..controls import WorldControls
from ..protocol import WireResponse
from ..state import dump_world
from ..version import installed_version
from .answers import Refused, error_answer, invalid, json_answer
from .ui import dashboard


def _fields(body: bytes, spec: dict[str, tuple[type, ...]]) -> dict[str, Any]:
    """The JSON object of a control request, with each known field of the right type."""
    if not body.strip():
        document: Any = {}
    else:
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise Refused(invalid(f"The request body is not valid JSON: {exc}")) from None
        except RecursionError:  # as the API answers it (protocol.py)
            raise Refused(invalid("The request body is nested too deeply")) from None
    if not isinstance(document, dict):
        raise Refused(invalid("The request body must be an object"))
    unknown = sorted(set(document) - set(spec))
    if unknown:
        raise Refused(invalid(f"Unknown fields {unknown}; known: {sorted(spec)}"))
    for name, types in spec.items():
        value = document.get(name)
        if value is not None and (not isinstance(value, types) or isinstance(value, bool)):
            expected = " or ".join(t.__name__ for t in types)
            raise Refused(invalid(f"Field {name!r} must be a {expected}"))
    return document


def _not_found(exc: KeyError) -> WireResponse:
    return error_answer(404, "ResourceNotFoundException", str(exc.args[0] if exc.args else exc))


class ControlEndpoints:
    """The ``/_mock/`` endpoints of one server: ``answer`` routes a request by ``RULES``
    to the method named there, which calls ``controls``."""

    def __init__(self, controls: WorldControls, *, state_file: Path | None = None) -> None:
        self.controls = controls
        self.state_file = state_file

    def answer(self, method: str, path: str, body: bytes) -> WireResponse:
        """The answer to ``method path`` (a path under ``/_mock``) with ``body``."""
        try:
            endpoint, _ = RULES.bind("localhost").match(path.rstrip("/"), method)
        except NotFound:
            return error_answer(
                404,
                "NotFound",
                f"No control endpoint {path.rstrip('/')}; there are: {', '.join(PATHS)}",
            )
        except MethodNotAllowed as exc:
            allowed = ", ".join(sorted(exc.valid_methods or ()))
            return error_answer(
                405,
                "MethodNotAllowed",
                f"{path.rstrip('/')} takes {allowed}, not {method}",
                Allow=allowed,
            )
        handler: Callable[[ControlEndpoints, bytes], WireResponse] = endpoint
        try:
            return handler(self, body)
        except Refused as refused:
            return refused.response
        except ValueError as exc:  # the controls refused the values (an id's format...)
            return invalid(str(exc))

    # ------------------------------------------------------------ the endpoints

    def health(self, body: bytes) -> WireResponse:
        world = self.controls.world
        with world.lock:
            resources = sum(len(b.records) for b in world.backends.values())
        return json_answer(
            200,
            {
                "status": "ok",
                "service": "cleanroomsml",
                "version": installed_version(),
                "resources": resources,
                "stateFile": str(self.state_file) if self.state_file else None,
            },
        )

    def reset(self, body: bytes) -> WireResponse:
        self.controls.reset()
        return json_answer(200, {"reset": True})

    def set_status(self, body: bytes) -> WireResponse:
        fields = _fields(
            body,
            {"arn": (str,), "status": (str,), "statusCode": (str,), "message": (str,),
             "version": (str,)},
        )  # fmt: skip
        if not fields.get("arn") or not fields.get("status"):
            return invalid("Fields 'arn' and 'status' are required")
        try:
            self.controls.set_status(
                fields["arn"],
                fields["status"],
                status_code=fields.get("statusCode"),
                message=fields.get("message"),
                version=fields.get("version"),
            )
        except KeyError as exc:
            return _not_found(exc)
        return json_answer(200, {"arn": fields["arn"], "status": fields["status"]})

    def advance(self, body: bytes) -> WireResponse:
        fields = _fields(body, {"arn": (str,)})
        try:
            self.controls.advance(fields.get("arn"))
        except KeyError as exc:
            return _not_found(exc)
        return json_answer(200, {"advanced": fields.get("arn") or "all"})

    def clock(self, body: bytes) -> WireResponse:
        return json_answer(200, {"now": self.controls.now().isoformat()})

    def advance_clock(self, body: bytes) -> WireResponse:
        fields = _fields(body, {"advanceSeconds": (int, float)})
        if fields.get("advanceSeconds") is None:
            return invalid("Field 'advanceSeconds' is required")
        self.controls.advance_time(fields["advanceSeconds"])  # ValueError: a 400
        return self.clock(b"")

    def add_membership(self, body: bytes) -> WireResponse:
        fields = _fields(
            body,
            {"accountId": (str,), "collaborationId": (str,), "membershipId": (str,),
             "abilities": (list,), "paysFor": (list,)},
        )  # fmt: skip
        account = fields.get("accountId")
        if account is not None and not (len(account) == 12 and account.isdigit()):
            return invalid("accountId must be 12 digits")
        membership_id = self.controls.add_membership(
            account_id=account,
            collaboration_id=fields.get("collaborationId"),
            membership_id=fields.get("membershipId"),
            abilities=fields.get("abilities"),
            pays_for=fields.get("paysFor"),
        )
        membership = self.controls.world.memberships.get(membership_id)
        return json_answer(
            200,
            {
                "membershipId": membership_id,
                "accountId": membership.account_id if membership else account,
                "collaborationId": membership.collaboration_id if membership else None,
            },
        )

    def set_quota(self, body: bytes) -> WireResponse:
        fields = _fields(body, {"name": (str,), "value": (int, float)})
        if fields.get("name") is None or fields.get("value") is None:
            return invalid("Fields 'name' and 'value' are required")
        try:
            self.controls.set_quota(fields["name"], float(fields["value"]))
        except KeyError as exc:
            return invalid(str(exc.args[0] if exc.args else exc))
        return json_answer(200, {"name": fields["name"], "value": float(fields["value"])})

    def seed(self, body: bytes) -> WireResponse:
        fields = _fields(body, {"value": (int,)})
        self.controls.seed(fields.get("value"))
        return json_answer(200, {"seed": fields.get("value")})

    def inject_error(self, body: bytes) -> WireResponse:
        fields = _fields(
            body,
            {"operation": (str,), "code": (str,), "message": (str,), "count": (int,),
             "quotaName": (str,), "quotaValue": (int, float)},
        )  # fmt: skip
        if not fields.get("operation"):
            return invalid("Field 'operation' is required")
        extra = {k: fields[k] for k in ("quotaName", "quotaValue") if fields.get(k) is not None}
        self.controls.inject_error(
            fields["operation"],
            fields.get("code") or None,
            message=fields.get("message"),
            count=fields["count"] if "count" in fields else 1,  # null: every call
            **extra,
        )
        return json_answer(200, {"operation": fields["operation"], "injected": True})

    def clear_errors(self, body: bytes) -> WireResponse:
        fields = _fields(body, {"operation": (str,)})
        self.controls.clear_errors(fields.get("operation"))
        return json_answer(200, {"cleared": fields.get("operation") or "all"})

    def state(self, body: bytes) -> WireResponse:
        return json_answer(200, dump_world(self.controls.world))

    def calls(self, body: bytes) -> WireResponse:
        calls = [
            {
                "operation": c.operation,
                "account": c.account,
                "region": c.region,
                "status": c.status,
                "error": getattr(c.error, "code", None),
            }
            for c in list(self.controls.calls)
        ]
        return json_answer(200, {"calls": calls})


RULES = Map(
    [
        Rule("/_mock/health", methods=["GET"], endpoint=ControlEndpoints.health),
        Rule("/_mock/reset", methods=["POST"], endpoint=ControlEndpoints.reset),
        Rule("/_mock/status", methods=["POST"], endpoint=ControlEndpoints.set_status),
        Rule("/_mock/advance", methods=["POST"], endpoint=ControlEndpoints.advance),
        Rule("/_mock/clock", methods=["GET"], endpoint=ControlEndpoints.clock),
        Rule("/_mock/clock", methods=["POST"], endpoint=ControlEndpoints.advance_clock),
        Rule("/_mock/memberships", methods=["POST"], endpoint=ControlEndpoints.add_membership),
        Rule("/_mock/quotas", methods=["POST"], endpoint=ControlEndpoints.set_quota),
        Rule("/_mock/seed", methods=["POST"], endpoint=ControlEndpoints.seed),
        Rule("/_mock/errors", methods=["POST"], endpoint=ControlEndpoints.inject_error),
        Rule("/_mock/errors", methods=["DELETE"], endpoint=ControlEndpoints.clear_errors),
        Rule("/_mock/state", methods=["GET"], endpoint=ControlEndpoints.state),
        Rule("/_mock/calls", methods=["GET"], endpoint=ControlEndpoints.calls),
        Rule("/_mock/ui", methods=["GET"], endpoint=dashboard),  # an HTML page (ui.py)
    ],
    # the paths are matched as sent: no redirect for a doubled or a trailing slash
    strict_slashes=False,
    merge_slashes=False,
)
"""The ``/_mock/`` rules; each endpoint is the ``ControlEndpoints`` method that answers it."""

PATHS = tuple(sorted({rule.rule for rule in RULES.iter_rules()}))
