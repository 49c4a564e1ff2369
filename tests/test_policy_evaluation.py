"""cleanroomsml_mock.policy: IAM resource-policy evaluation, table-driven.

Each row of EVALUATIONS is (name, policy document, request, expected decision); each row
of MALFORMED is (name, policy document or text, path the PolicyError must name). The
semantics follow the IAM User Guide pages cited in the module's docstring.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cleanroomsml_mock.policy import (
    Decision,
    PolicyError,
    Request,
    allows,
    evaluate,
    parse_policy,
)

CALLER = "111122223333"  # the account starting the job (user guide example)
OWNER = "444455556666"  # the account owning the configured audience model
OTHER = "999988887777"
COLLABORATION = "3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b"
OTHER_COLLABORATION = "00000000-1111-4222-8333-444444444444"
CAM = f"arn:aws:cleanrooms-ml:us-east-1:{OWNER}:configured-audience-model/id"
JOB = f"arn:aws:cleanrooms-ml:us-east-1:{OWNER}:audience-generation-job/job-1"
START = "cleanrooms-ml:StartAudienceGenerationJob"
ROLE = f"arn:aws:iam::{CALLER}:role/Admin"
BOB = f"arn:aws:iam::{CALLER}:user/Bob"
SESSION = f"arn:aws:sts::{CALLER}:assumed-role/Admin/session-1"
ROOT = f"arn:aws:iam::{CALLER}:root"
COLL_KEY = "cleanrooms-ml:CollaborationId"

ALLOW = Decision.ALLOW
DENY = Decision.EXPLICIT_DENY
IMPLICIT = Decision.IMPLICIT_DENY

_REMOVE = object()


def stmt(effect: str = "Allow", **elements: Any) -> dict[str, Any]:
    """A statement allowing CALLER to start a job on CAM, with ``elements`` changed
    (``_REMOVE`` drops one)."""
    out: dict[str, Any] = {
        "Effect": effect,
        "Principal": {"AWS": CALLER},
        "Action": START,
        "Resource": CAM,
    }
    for name, value in elements.items():
        if value is _REMOVE:
            out.pop(name, None)
        else:
            out[name] = value
    return out


def pol(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def cond(condition: dict[str, Any], effect: str = "Allow") -> dict[str, Any]:
    """A policy whose one statement carries ``condition``; a Deny is paired with an Allow
    of everything, so that the row shows whether the Deny applied."""
    if effect == "Deny":
        return pol(stmt(), stmt("Deny", Condition=condition))
    return pol(stmt(Condition=condition))


def req(
    context: dict[str, Any] | None = None,
    *,
    account: str = CALLER,
    action: str = START,
    resource: str = CAM,
    principal_arn: str | None = None,
) -> Request:
    return Request(account, action, resource, context or {}, principal_arn=principal_arn)


ALLOW_EVERYTHING = stmt(Principal="*", Action="*", Resource="*")

# The cross-account policy of the Clean Rooms ML user guide ("IAM behaviors for AWS Clean
# Rooms ML", https://docs.aws.amazon.com/clean-rooms/latest/userguide/ml-behaviors.html),
# with its placeholders filled in.
USER_GUIDE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Clean-Rooms-CAMA-ID",
            "Effect": "Allow",
            "Principal": {"AWS": [CALLER]},
            "Action": ["cleanrooms-ml:StartAudienceGenerationJob"],
            "Resource": [
                CAM,
                f"arn:aws:cleanrooms-ml:us-east-1:{OWNER}:audience-generation-job/*",
            ],
            "Condition": {"StringEquals": {"cleanrooms-ml:CollaborationId": COLLABORATION}},
        }
    ],
}
IN_COLLABORATION = {COLL_KEY: COLLABORATION}

T2024 = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
T2019 = dt.datetime(2019, 5, 1, tzinfo=dt.timezone.utc)

Row = tuple[str, dict[str, Any], Request, Decision]

EVALUATIONS: list[Row] = [
    # --- the user guide's cross-account example
    ("guide: right collaboration, model", USER_GUIDE_POLICY, req(IN_COLLABORATION), ALLOW),
    (
        "guide: right collaboration, job",
        USER_GUIDE_POLICY,
        req(IN_COLLABORATION, resource=JOB),
        ALLOW,
    ),
    (
        "guide: another collaboration",
        USER_GUIDE_POLICY,
        req({COLL_KEY: OTHER_COLLABORATION}),
        IMPLICIT,
    ),
    ("guide: no collaborationId in the request", USER_GUIDE_POLICY, req(), IMPLICIT),
    (
        "guide: another account",
        USER_GUIDE_POLICY,
        req(IN_COLLABORATION, account=OTHER),
        IMPLICIT,
    ),
    (
        "guide: another model",
        USER_GUIDE_POLICY,
        req(IN_COLLABORATION, resource=CAM.replace("/id", "/other")),
        IMPLICIT,
    ),
    (
        "guide: another action",
        USER_GUIDE_POLICY,
        req(IN_COLLABORATION, action="cleanrooms-ml:GetConfiguredAudienceModel"),
        IMPLICIT,
    ),
    # --- effects: explicit Deny wins, otherwise Allow, otherwise implicit deny
    ("allow", pol(stmt()), req(), ALLOW),
    ("nothing applies", pol(stmt()), req(account=OTHER), IMPLICIT),
    ("deny alone", pol(stmt("Deny")), req(), DENY),
    ("deny wins over allow", pol(stmt(), stmt("Deny")), req(), DENY),
    ("deny wins whatever the order", pol(stmt("Deny"), stmt()), req(), DENY),
    (
        "a deny that does not apply leaves the allow",
        pol(stmt(), stmt("Deny", Resource=JOB)),
        req(),
        ALLOW,
    ),
    ("a single statement object", {"Statement": stmt()}, req(), ALLOW),
    ("old grammar version", {"Version": "2008-10-17", "Statement": [stmt()]}, req(), ALLOW),
    # --- principals
    ("principal *", pol(stmt(Principal="*")), req(account=OTHER), ALLOW),
    ("principal AWS *", pol(stmt(Principal={"AWS": "*"})), req(account=OTHER), ALLOW),
    (
        "principal in an account list",
        pol(stmt(Principal={"AWS": [OTHER, CALLER]})),
        req(),
        ALLOW,
    ),
    ("principal account root ARN", pol(stmt(Principal={"AWS": ROOT})), req(), ALLOW),
    (
        "account principal covers its IAM principals",
        pol(stmt()),
        req(principal_arn=BOB),
        ALLOW,
    ),
    (
        "role ARN of the account, caller known by account only",
        pol(stmt(Principal={"AWS": ROLE})),
        req(),
        ALLOW,
    ),
    (
        "role ARN, caller is that role",
        pol(stmt(Principal={"AWS": ROLE})),
        req(principal_arn=ROLE),
        ALLOW,
    ),
    (
        "role ARN, caller is a session of that role",
        pol(stmt(Principal={"AWS": ROLE})),
        req(principal_arn=SESSION),
        ALLOW,
    ),
    (
        "role ARN, caller is another principal",
        pol(stmt(Principal={"AWS": ROLE})),
        req(principal_arn=BOB),
        IMPLICIT,
    ),
    (
        "role ARN, caller is the account root",
        pol(stmt(Principal={"AWS": ROLE})),
        req(principal_arn=ROOT),
        IMPLICIT,
    ),
    (
        "user ARN, caller is that user",
        pol(stmt(Principal={"AWS": BOB})),
        req(principal_arn=BOB),
        ALLOW,
    ),
    (
        "role ARN of another account",
        pol(stmt(Principal={"AWS": f"arn:aws:iam::{OTHER}:role/Admin"})),
        req(),
        IMPLICIT,
    ),
    # --- NotPrincipal (with Deny; paired with an Allow of everything)
    (
        "NotPrincipal exempts a listed account",
        pol(ALLOW_EVERYTHING, stmt("Deny", Principal=_REMOVE, NotPrincipal={"AWS": ROOT})),
        req(),
        ALLOW,
    ),
    (
        "NotPrincipal denies an account not listed",
        pol(ALLOW_EVERYTHING, stmt("Deny", Principal=_REMOVE, NotPrincipal={"AWS": OTHER})),
        req(),
        DENY,
    ),
    (
        "NotPrincipal user without its account: denied",
        pol(ALLOW_EVERYTHING, stmt("Deny", Principal=_REMOVE, NotPrincipal={"AWS": BOB})),
        req(principal_arn=BOB),
        DENY,
    ),
    (
        "NotPrincipal user with its account: exempt",
        pol(
            ALLOW_EVERYTHING,
            stmt("Deny", Principal=_REMOVE, NotPrincipal={"AWS": [BOB, ROOT]}),
        ),
        req(principal_arn=BOB),
        ALLOW,
    ),
    (
        "NotPrincipal account only, caller a user of it: denied",
        pol(ALLOW_EVERYTHING, stmt("Deny", Principal=_REMOVE, NotPrincipal={"AWS": ROOT})),
        req(principal_arn=BOB),
        DENY,
    ),
    (
        "NotPrincipal session, role and account: exempt",
        pol(
            ALLOW_EVERYTHING,
            stmt("Deny", Principal=_REMOVE, NotPrincipal={"AWS": [SESSION, ROLE, CALLER]}),
        ),
        req(principal_arn=SESSION),
        ALLOW,
    ),
    (
        "NotPrincipal session without its role: denied",
        pol(
            ALLOW_EVERYTHING,
            stmt("Deny", Principal=_REMOVE, NotPrincipal={"AWS": [SESSION, CALLER]}),
        ),
        req(principal_arn=SESSION),
        DENY,
    ),
    # --- actions: wildcards, case-insensitive, NotAction
    ("action *", pol(stmt(Action="*")), req(), ALLOW),
    ("action service:*", pol(stmt(Action="cleanrooms-ml:*")), req(), ALLOW),
    ("action prefix*", pol(stmt(Action="cleanrooms-ml:Start*")), req(), ALLOW),
    (
        "action with ?",
        pol(stmt(Action="cleanrooms-ml:StartAudience??????????Job")),
        req(),
        ALLOW,
    ),
    (
        "action ? is exactly one character",
        pol(stmt(Action="cleanrooms-ml:StartAudience?????????Job")),
        req(),
        IMPLICIT,
    ),
    (
        "actions are case-insensitive",
        pol(stmt(Action="CLEANROOMS-ML:startaudiencegenerationjob")),
        req(),
        ALLOW,
    ),
    ("another action", pol(stmt(Action="cleanrooms-ml:Get*")), req(), IMPLICIT),
    (
        "one of several actions",
        pol(stmt(Action=["cleanrooms-ml:Get*", START])),
        req(),
        ALLOW,
    ),
    (
        "NotAction not listing the action",
        pol(stmt(Action=_REMOVE, NotAction="cleanrooms-ml:Get*")),
        req(),
        ALLOW,
    ),
    ("NotAction listing the action", pol(stmt(Action=_REMOVE, NotAction=START)), req(), IMPLICIT),
    (
        "Deny with NotAction denies the others",
        pol(ALLOW_EVERYTHING, stmt("Deny", Action=_REMOVE, NotAction="cleanrooms-ml:Get*")),
        req(),
        DENY,
    ),
    # --- resources: wildcards per ARN component, case-sensitive, NotResource
    ("resource *", pol(stmt(Resource="*")), req(), ALLOW),
    (
        "resource wildcard in the last component",
        pol(stmt(Resource=f"arn:aws:cleanrooms-ml:us-east-1:{OWNER}:audience-generation-job/*")),
        req(resource=JOB),
        ALLOW,
    ),
    (
        "resource wildcards in several components",
        pol(stmt(Resource="arn:aws:cleanrooms-ml:us-east-?:*:configured-audience-model/*")),
        req(),
        ALLOW,
    ),
    (
        "resources are case-sensitive",
        pol(stmt(Resource=CAM.replace("/id", "/ID"))),
        req(),
        IMPLICIT,
    ),
    (
        "resource of another account",
        pol(stmt(Resource=f"arn:aws:cleanrooms-ml:us-east-1:{OTHER}:*")),
        req(),
        IMPLICIT,
    ),
    (
        "NotResource not listing the resource",
        pol(stmt(Resource=_REMOVE, NotResource=JOB)),
        req(),
        ALLOW,
    ),
    (
        "NotResource listing the resource",
        pol(stmt(Resource=_REMOVE, NotResource=CAM)),
        req(),
        IMPLICIT,
    ),
    (
        "Deny with NotResource denies the others",
        pol(ALLOW_EVERYTHING, stmt("Deny", Resource=_REMOVE, NotResource=CAM)),
        req(resource=JOB),
        DENY,
    ),
    # --- String operators
    (
        "StringEquals",
        cond({"StringEquals": {COLL_KEY: COLLABORATION}}),
        req(IN_COLLABORATION),
        ALLOW,
    ),
    (
        "StringEquals is case-sensitive",
        cond({"StringEquals": {COLL_KEY: COLLABORATION.upper()}}),
        req(IN_COLLABORATION),
        IMPLICIT,
    ),
    (
        "StringEquals: several values are ORed",
        cond({"StringEquals": {COLL_KEY: [OTHER_COLLABORATION, COLLABORATION]}}),
        req(IN_COLLABORATION),
        ALLOW,
    ),
    (
        "StringNotEquals: several values are NORed (listed)",
        cond({"StringNotEquals": {COLL_KEY: [OTHER_COLLABORATION, COLLABORATION]}}),
        req(IN_COLLABORATION),
        IMPLICIT,
    ),
    (
        "StringNotEquals: several values are NORed (not listed)",
        cond({"StringNotEquals": {COLL_KEY: [OTHER_COLLABORATION]}}),
        req(IN_COLLABORATION),
        ALLOW,
    ),
    (
        "StringEqualsIgnoreCase",
        cond({"StringEqualsIgnoreCase": {COLL_KEY: COLLABORATION.upper()}}),
        req(IN_COLLABORATION),
        ALLOW,
    ),
    (
        "StringNotEqualsIgnoreCase",
        cond({"StringNotEqualsIgnoreCase": {COLL_KEY: COLLABORATION.upper()}}),
        req(IN_COLLABORATION),
        IMPLICIT,
    ),
    (
        "StringLike with *",
        cond({"StringLike": {COLL_KEY: "3f1a2b4c-*"}}),
        req(IN_COLLABORATION),
        ALLOW,
    ),
    (
        "StringLike with ?",
        cond({"StringLike": {COLL_KEY: "3f1a2b4?-5d6e-4f70-8a9b-0c1d2e3f4a5?"}}),
        req(IN_COLLABORATION),
        ALLOW,
    ),
    (
        "StringLike needs a wildcard for a partial match",
        cond({"StringLike": {COLL_KEY: "3f1a2b4c"}}),
        req(IN_COLLABORATION),
        IMPLICIT,
    ),
    (
        "StringLike: brackets are literal",
        cond({"StringLike": {"aws:ResourceTag/team": "a[bc]d"}}),
        req({"aws:ResourceTag/team": "abd"}),
        IMPLICIT,
    ),
    (
        "StringNotLike",
        cond({"StringNotLike": {COLL_KEY: "0000*"}}),
        req(IN_COLLABORATION),
        ALLOW,
    ),
    # --- missing keys and IfExists
    (
        "missing key: StringEquals is false",
        cond({"StringEquals": {COLL_KEY: COLLABORATION}}),
        req(),
        IMPLICIT,
    ),
    (
        "missing key: a negated operator is true",
        cond({"StringNotEquals": {COLL_KEY: COLLABORATION}}),
        req(),
        ALLOW,
    ),
    (
        "missing key: IfExists is true",
        cond({"StringEqualsIfExists": {COLL_KEY: COLLABORATION}}),
        req(),
        ALLOW,
    ),
    (
        "present key: IfExists still checks it",
        cond({"StringEqualsIfExists": {COLL_KEY: COLLABORATION}}),
        req({COLL_KEY: OTHER_COLLABORATION}),
        IMPLICIT,
    ),
    (
        "Deny with a negated IfExists denies a missing key",
        cond({"StringNotEqualsIfExists": {COLL_KEY: COLLABORATION}}, "Deny"),
        req(),
        DENY,
    ),
    # --- keys are case-insensitive, AND/OR rules
    (
        "policy key in another case",
        cond({"StringEquals": {"CleanRooms-ML:collaborationID": COLLABORATION}}),
        req(IN_COLLABORATION),
        ALLOW,
    ),
    (
        "request key in another case",
        cond({"StringEquals": {COLL_KEY: COLLABORATION}}),
        req({"CLEANROOMS-ML:COLLABORATIONID": COLLABORATION}),
        ALLOW,
    ),
    (
        "keys of one operator are ANDed (both hold)",
        cond({"StringEquals": {COLL_KEY: COLLABORATION, "aws:PrincipalAccount": CALLER}}),
        req(IN_COLLABORATION),
        ALLOW,
    ),
    (
        "keys of one operator are ANDed (one fails)",
        cond({"StringEquals": {COLL_KEY: COLLABORATION, "aws:PrincipalAccount": OTHER}}),
        req(IN_COLLABORATION),
        IMPLICIT,
    ),
    (
        "operators are ANDed (one fails)",
        cond(
            {
                "StringEquals": {COLL_KEY: COLLABORATION},
                "StringLike": {"aws:PrincipalAccount": "9999*"},
            }
        ),
        req(IN_COLLABORATION),
        IMPLICIT,
    ),
    (
        "operators are ANDed (all hold)",
        cond(
            {
                "StringEquals": {COLL_KEY: COLLABORATION},
                "StringLike": {"aws:PrincipalAccount": "1111*"},
                "Null": {"aws:TagKeys": "true"},
            }
        ),
        req(IN_COLLABORATION),
        ALLOW,
    ),
    (
        "aws:PrincipalAccount comes from the principal",
        cond({"StringEquals": {"aws:PrincipalAccount": CALLER}}),
        req(),
        ALLOW,
    ),
    (
        "resource tag key",
        cond({"StringEquals": {"aws:ResourceTag/Team": "ml"}}),
        req({"aws:resourcetag/team": "ml"}),
        ALLOW,
    ),
    # --- Numeric operators (s3:max-keys is the condition operators page's example)
    (
        "NumericLessThanEquals (equal)",
        cond({"NumericLessThanEquals": {"s3:max-keys": "10"}}),
        req({"s3:max-keys": 10}),
        ALLOW,
    ),
    (
        "NumericLessThanEquals (over)",
        cond({"NumericLessThanEquals": {"s3:max-keys": "10"}}),
        req({"s3:max-keys": "11"}),
        IMPLICIT,
    ),
    (
        "NumericLessThan",
        cond({"NumericLessThan": {"s3:max-keys": 10}}),
        req({"s3:max-keys": 9.5}),
        ALLOW,
    ),
    (
        "NumericGreaterThan",
        cond({"NumericGreaterThan": {"s3:max-keys": 10}}),
        req({"s3:max-keys": 10}),
        IMPLICIT,
    ),
    (
        "NumericGreaterThanEquals",
        cond({"NumericGreaterThanEquals": {"s3:max-keys": 10}}),
        req({"s3:max-keys": 10}),
        ALLOW,
    ),
    (
        "NumericEquals ints and floats",
        cond({"NumericEquals": {"s3:max-keys": 10.0}}),
        req({"s3:max-keys": "10"}),
        ALLOW,
    ),
    (
        "NumericNotEquals NOR",
        cond({"NumericNotEquals": {"s3:max-keys": [1, 2]}}),
        req({"s3:max-keys": 3}),
        ALLOW,
    ),
    (
        "NumericNotEquals listed",
        cond({"NumericNotEquals": {"s3:max-keys": [1, 2]}}),
        req({"s3:max-keys": 2}),
        IMPLICIT,
    ),
    (
        "Numeric: a non-number request value matches nothing",
        cond({"NumericEquals": {"s3:max-keys": 1}}),
        req({"s3:max-keys": "one"}),
        IMPLICIT,
    ),
    ("Numeric: missing key", cond({"NumericEquals": {"s3:max-keys": 1}}), req(), IMPLICIT),
    (
        "NumericEqualsIfExists: missing key",
        cond({"NumericEqualsIfExists": {"s3:max-keys": 1}}),
        req(),
        ALLOW,
    ),
    (
        "aws:EpochTime with Numeric",
        cond({"NumericGreaterThan": {"aws:EpochTime": 1700000000}}),
        req({"aws:EpochTime": 1714521600}),
        ALLOW,
    ),
    # --- Date operators
    (
        "DateGreaterThan (ISO 8601)",
        cond({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:01Z"}}),
        req({"aws:CurrentTime": T2024}),
        ALLOW,
    ),
    (
        "DateGreaterThan (before)",
        cond({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:01Z"}}),
        req({"aws:CurrentTime": T2019}),
        IMPLICIT,
    ),
    (
        "DateLessThan (epoch policy value)",
        cond({"DateLessThan": {"aws:CurrentTime": 1700000000}}),
        req({"aws:CurrentTime": "2020-01-01T00:00:00Z"}),
        ALLOW,
    ),
    (
        "DateEquals a date alone (midnight UTC)",
        cond({"DateEquals": {"aws:CurrentTime": "2024-05-01"}}),
        req({"aws:CurrentTime": T2024}),
        ALLOW,
    ),
    (
        "DateEquals across time zones",
        cond({"DateEquals": {"aws:CurrentTime": "2024-05-01T02:00:00+02:00"}}),
        req({"aws:CurrentTime": T2024}),
        ALLOW,
    ),
    (
        "DateEquals with fractional seconds",
        cond({"DateEquals": {"aws:CurrentTime": "2024-05-01T00:00:00.000Z"}}),
        req({"aws:CurrentTime": "1714521600"}),
        ALLOW,
    ),
    (
        "DateNotEquals",
        cond({"DateNotEquals": {"aws:CurrentTime": "2024-05-01T00:00Z"}}),
        req({"aws:CurrentTime": T2024}),
        IMPLICIT,
    ),
    (
        "DateLessThanEquals (boundary)",
        cond({"DateLessThanEquals": {"aws:CurrentTime": "2024-05-01T00:00:00Z"}}),
        req({"aws:CurrentTime": T2024}),
        ALLOW,
    ),
    (
        "DateGreaterThanEquals (boundary)",
        cond({"DateGreaterThanEquals": {"aws:EpochTime": "2024-05"}}),
        req({"aws:EpochTime": 1714521600}),
        ALLOW,
    ),
    (
        "Date: missing key",
        cond({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}),
        req(),
        IMPLICIT,
    ),
    (
        "DateLessThanIfExists: missing key",
        cond({"DateLessThanIfExists": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}),
        req(),
        ALLOW,
    ),
    # --- Bool
    (
        "Bool true",
        cond({"Bool": {"aws:SecureTransport": "true"}}),
        req({"aws:SecureTransport": True}),
        ALLOW,
    ),
    (
        "Bool JSON true",
        cond({"Bool": {"aws:SecureTransport": True}}),
        req({"aws:SecureTransport": "true"}),
        ALLOW,
    ),
    (
        "Bool false",
        cond({"Bool": {"aws:SecureTransport": "true"}}),
        req({"aws:SecureTransport": False}),
        IMPLICIT,
    ),
    (
        "Deny Bool false: a missing key does not deny",
        cond({"Bool": {"aws:SecureTransport": "false"}}, "Deny"),
        req(),
        ALLOW,
    ),
    (
        "Deny BoolIfExists false: a missing key denies",
        cond({"BoolIfExists": {"aws:SecureTransport": "false"}}, "Deny"),
        req(),
        DENY,
    ),
    # --- ARN operators
    (
        "ArnLike on aws:PrincipalArn",
        cond({"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{CALLER}:role/*"}}),
        req(principal_arn=ROLE),
        ALLOW,
    ),
    (
        "ArnLike on aws:PrincipalArn, another principal",
        cond({"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{CALLER}:role/*"}}),
        req(principal_arn=BOB),
        IMPLICIT,
    ),
    (
        "ArnLike: no principal ARN, the key is missing",
        cond({"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{CALLER}:role/*"}}),
        req(),
        IMPLICIT,
    ),
    (
        "ArnNotLike: missing key",
        cond({"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{CALLER}:role/*"}}),
        req(),
        ALLOW,
    ),
    (
        "ArnEquals takes wildcards like ArnLike",
        cond({"ArnEquals": {"aws:SourceArn": "arn:aws:sns:*:444455556666:topic-?"}}),
        req({"aws:SourceArn": "arn:aws:sns:us-east-1:444455556666:topic-1"}),
        ALLOW,
    ),
    (
        "ArnNotEquals",
        cond({"ArnNotEquals": {"aws:SourceArn": "arn:aws:sns:*:444455556666:*"}}),
        req({"aws:SourceArn": "arn:aws:sns:us-east-1:444455556666:topic-1"}),
        IMPLICIT,
    ),
    # The ARN operators' documented example: * does not cross a colon in ArnLike, it does
    # in StringLike.
    (
        "ArnLike matches component by component",
        cond({"ArnLike": {"aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"}}),
        req(
            {
                "aws:SourceArn": "arn:aws:someservice:us-east-2:999999999999:store/abc:"
                "111122223333:finance/document.txt"
            }
        ),
        IMPLICIT,
    ),
    (
        "StringLike matches the whole string",
        cond({"StringLike": {"aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"}}),
        req(
            {
                "aws:SourceArn": "arn:aws:someservice:us-east-2:999999999999:store/abc:"
                "111122223333:finance/document.txt"
            }
        ),
        ALLOW,
    ),
    (
        "ArnLike: a request value that is not an ARN",
        cond({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:*"}}),
        req({"aws:SourceArn": "topic-1"}),
        IMPLICIT,
    ),
    # --- Null
    ("Null true, key missing", cond({"Null": {COLL_KEY: "true"}}), req(), ALLOW),
    ("Null true, key present", cond({"Null": {COLL_KEY: "true"}}), req(IN_COLLABORATION), IMPLICIT),
    ("Null false, key present", cond({"Null": {COLL_KEY: False}}), req(IN_COLLABORATION), ALLOW),
    ("Null false, key missing", cond({"Null": {COLL_KEY: "false"}}), req(), IMPLICIT),
    (
        "Null: an empty set is absent",
        cond({"Null": {"aws:TagKeys": "true"}}),
        req({"aws:TagKeys": []}),
        ALLOW,
    ),
    (
        "Deny without a collaboration (Null)",
        cond({"Null": {COLL_KEY: "true"}}, "Deny"),
        req(),
        DENY,
    ),
    # --- ForAllValues / ForAnyValue (aws:TagKeys is multivalued)
    (
        "ForAllValues: every value listed",
        cond({"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}}),
        req({"aws:TagKeys": ["team"]}),
        ALLOW,
    ),
    (
        "ForAllValues: one value not listed",
        cond({"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}}),
        req({"aws:TagKeys": ["team", "cost"]}),
        IMPLICIT,
    ),
    (
        "ForAllValues: missing key is true",
        cond({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}),
        req(),
        ALLOW,
    ),
    (
        "ForAllValues: empty set is true",
        cond({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}),
        req({"aws:TagKeys": []}),
        ALLOW,
    ),
    (
        "ForAnyValue: one value listed",
        cond({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team", "env"]}}),
        req({"aws:TagKeys": ["cost", "env"]}),
        ALLOW,
    ),
    (
        "ForAnyValue: no value listed",
        cond({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team", "env"]}}),
        req({"aws:TagKeys": ["cost"]}),
        IMPLICIT,
    ),
    (
        "ForAnyValue: missing key is false",
        cond({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}),
        req(),
        IMPLICIT,
    ),
    (
        "ForAnyValue: empty set is false",
        cond({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}),
        req({"aws:TagKeys": []}),
        IMPLICIT,
    ),
    (
        "ForAnyValue ...IfExists: missing key is true",
        cond({"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": ["team"]}}),
        req(),
        ALLOW,
    ),
    (
        "ForAllValues:StringLike",
        cond({"ForAllValues:StringLike": {"aws:TagKeys": ["team-*"]}}),
        req({"aws:TagKeys": ["team-a", "team-b"]}),
        ALLOW,
    ),
    (
        "ForAllValues:StringNotEquals: none listed",
        cond({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret"]}}),
        req({"aws:TagKeys": ["team", "env"]}),
        ALLOW,
    ),
    (
        "ForAllValues:StringNotEquals: one listed",
        cond({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret"]}}),
        req({"aws:TagKeys": ["team", "secret"]}),
        IMPLICIT,
    ),
    (
        "ForAnyValue:StringNotEquals: all listed",
        cond({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["secret"]}}),
        req({"aws:TagKeys": ["secret"]}),
        IMPLICIT,
    ),
    (
        "ForAnyValue:StringNotEquals: one not listed",
        cond({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["secret"]}}),
        req({"aws:TagKeys": ["secret", "team"]}),
        ALLOW,
    ),
    (
        "Deny ForAnyValue on a forbidden tag key",
        cond({"ForAnyValue:StringEquals": {"aws:TagKeys": ["forbidden"]}}, "Deny"),
        req({"AWS:TAGKEYS": ["team", "forbidden"]}),
        DENY,
    ),
    (
        "ForAllValues:NumericLessThan",
        cond({"ForAllValues:NumericLessThan": {"example:Sizes": 3}}),
        req({"example:Sizes": [1, 2]}),
        ALLOW,
    ),
    (
        "ForAnyValue:ArnLike",
        cond({"ForAnyValue:ArnLike": {"example:Arns": "arn:aws:sns:*:*:topic-?"}}),
        req({"example:Arns": ["topic-1", "arn:aws:sns:us-east-1:444455556666:topic-2"]}),
        ALLOW,
    ),
    # Without a qualifier, several request values: positive when any matches, negated
    # when none does.
    (
        "no qualifier, several request values, one matches",
        cond({"StringEquals": {"example:Colors": "red"}}),
        req({"example:Colors": ["blue", "red"]}),
        ALLOW,
    ),
    (
        "no qualifier, negated, several request values, one listed",
        cond({"StringNotEquals": {"example:Colors": "red"}}),
        req({"example:Colors": ["blue", "red"]}),
        IMPLICIT,
    ),
]


@pytest.mark.parametrize(
    ("document", "request_", "expected"),
    [pytest.param(doc, r, want, id=name) for name, doc, r, want in EVALUATIONS],
)
def test_evaluation(document: dict[str, Any], request_: Request, expected: Decision) -> None:
    assert evaluate(parse_policy(json.dumps(document)), request_) is expected
    assert allows(json.dumps(document), request_) is (expected is ALLOW)


def test_rows_have_unique_names() -> None:
    names = [row[0] for row in EVALUATIONS]
    assert len(names) == len(set(names))


# ------------------------------------------------------------------------------ refused

OK = stmt()


def with_condition(condition: Any) -> dict[str, Any]:
    return pol(stmt(Condition=condition))


MALFORMED: list[tuple[str, Any, str]] = [
    ("not JSON", "{", "policy"),
    ("not an object", "[]", "policy"),
    ("NaN", '{"Statement": NaN}', "policy"),
    ("unknown top-level element", {**pol(OK), "Foo": 1}, "Foo"),
    ("bad Version", {"Version": "2020-01-01", "Statement": [OK]}, "Version"),
    ("Id not a string", {"Id": 1, "Statement": [OK]}, "Id"),
    ("missing Statement", {"Version": "2012-10-17"}, "Statement"),
    ("empty Statement", pol(), "Statement"),
    ("Statement a string", {"Statement": "x"}, "Statement"),
    ("statement not an object", {"Statement": [OK, ["x"]]}, "Statement[1]"),
    (
        "duplicate element",
        '{"Statement": [{"Effect": "Allow", "Effect": "Deny", "Principal": "*", '
        '"Action": "*", "Resource": "*"}]}',
        "Statement[0].Effect",
    ),
    ("unknown statement element", pol(stmt(Principals="*")), "Statement[0].Principals"),
    ("element names are case-sensitive", pol({**OK, "effect": "Allow"}), "Statement[0].effect"),
    ("bad Effect", pol(stmt("allow")), "Statement[0].Effect"),
    ("missing Effect", pol(stmt(Effect=_REMOVE)), "Statement[0].Effect"),
    ("Sid not a string", pol(stmt(Sid=1)), "Statement[0].Sid"),
    ("duplicate Sid", pol(stmt(Sid="A"), stmt(Sid="A")), "Statement[1].Sid"),
    ("missing Principal", pol(stmt(Principal=_REMOVE)), "Statement[0].Principal"),
    (
        "Principal and NotPrincipal together",
        pol(stmt("Deny", NotPrincipal={"AWS": OTHER})),
        "Statement[0].NotPrincipal",
    ),
    (
        "NotPrincipal with Allow",
        pol(stmt(Principal=_REMOVE, NotPrincipal={"AWS": OTHER})),
        "Statement[0].NotPrincipal",
    ),
    (
        "NotPrincipal *",
        pol(stmt("Deny", Principal=_REMOVE, NotPrincipal={"AWS": "*"})),
        "Statement[0].NotPrincipal",
    ),
    ("Principal a list", pol(stmt(Principal=[CALLER])), "Statement[0].Principal"),
    ("Principal empty", pol(stmt(Principal={})), "Statement[0].Principal"),
    (
        "Service principal",
        pol(stmt(Principal={"Service": "cleanrooms-ml.amazonaws.com"})),
        "Statement[0].Principal.Service",
    ),
    ("unknown principal type", pol(stmt(Principal={"Aws": CALLER})), "Statement[0].Principal.Aws"),
    (
        "partial wildcard in a principal",
        pol(stmt(Principal={"AWS": f"arn:aws:iam::{CALLER}:role/*"})),
        "Statement[0].Principal.AWS",
    ),
    (
        "not a principal",
        pol(stmt(Principal={"AWS": [CALLER, "12345"]})),
        "Statement[0].Principal.AWS[1]",
    ),
    ("missing Action", pol(stmt(Action=_REMOVE)), "Statement[0].Action"),
    ("Action and NotAction", pol(stmt(NotAction="cleanrooms-ml:Get*")), "Statement[0].NotAction"),
    ("empty Action list", pol(stmt(Action=[])), "Statement[0].Action"),
    (
        "Action without a service",
        pol(stmt(Action="StartAudienceGenerationJob")),
        "Statement[0].Action",
    ),
    ("Action not a string", pol(stmt(Action=[START, 7])), "Statement[0].Action[1]"),
    ("missing Resource", pol(stmt(Resource=_REMOVE)), "Statement[0].Resource"),
    ("Resource and NotResource", pol(stmt(NotResource=JOB)), "Statement[0].NotResource"),
    (
        "Resource not an ARN",
        pol(stmt(Resource="configured-audience-model/id")),
        "Statement[0].Resource",
    ),
    (
        "Resource ARN with too few components",
        pol(stmt(Resource=["*", "arn:aws:cleanrooms-ml:*"])),
        "Statement[0].Resource[1]",
    ),
    (
        "policy variable in a Resource",
        pol(stmt(Resource=f"arn:aws:cleanrooms-ml:us-east-1:{OWNER}:${{aws:username}}")),
        "Statement[0].Resource",
    ),
    ("Condition a list", with_condition([]), "Statement[0].Condition"),
    ("Condition empty", with_condition({}), "Statement[0].Condition"),
    (
        "unknown operator",
        pol(OK, stmt(Condition={"StringEqualz": {COLL_KEY: COLLABORATION}})),
        "Statement[1].Condition.StringEqualz",
    ),
    (
        "operator names are case-sensitive",
        with_condition({"stringequals": {COLL_KEY: COLLABORATION}}),
        "Statement[0].Condition.stringequals",
    ),
    (
        "unknown set operator",
        with_condition({"ForSomeValues:StringEquals": {"aws:TagKeys": "a"}}),
        "Statement[0].Condition.ForSomeValues:StringEquals",
    ),
    (
        "IfExists alone",
        with_condition({"IfExists": {COLL_KEY: COLLABORATION}}),
        "Statement[0].Condition.IfExists",
    ),
    (
        "IpAddress is not evaluable",
        with_condition({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
        "Statement[0].Condition.IpAddress",
    ),
    (
        "NotIpAddressIfExists is not evaluable",
        with_condition({"NotIpAddressIfExists": {"aws:SourceIp": "203.0.113.0/24"}}),
        "Statement[0].Condition.NotIpAddressIfExists",
    ),
    (
        "BinaryEquals is not evaluable",
        with_condition({"BinaryEquals": {"example:Blob": "QmluYXJ5"}}),
        "Statement[0].Condition.BinaryEquals",
    ),
    (
        "Null has no IfExists form",
        with_condition({"NullIfExists": {COLL_KEY: "true"}}),
        "Statement[0].Condition.NullIfExists",
    ),
    (
        "Null takes no set operator",
        with_condition({"ForAnyValue:Null": {"aws:TagKeys": "true"}}),
        "Statement[0].Condition.ForAnyValue:Null",
    ),
    (
        "operator block not an object",
        with_condition({"StringEquals": COLLABORATION}),
        "Statement[0].Condition.StringEquals",
    ),
    (
        "operator block empty",
        with_condition({"StringEquals": {}}),
        "Statement[0].Condition.StringEquals",
    ),
    (
        "String value of the wrong type",
        with_condition({"StringEquals": {COLL_KEY: 123}}),
        f"Statement[0].Condition.StringEquals.{COLL_KEY}",
    ),
    (
        "String list item of the wrong type",
        with_condition({"StringEquals": {COLL_KEY: [COLLABORATION, {"x": 1}]}}),
        f"Statement[0].Condition.StringEquals.{COLL_KEY}[1]",
    ),
    (
        "null condition value",
        with_condition({"StringEquals": {COLL_KEY: None}}),
        f"Statement[0].Condition.StringEquals.{COLL_KEY}",
    ),
    (
        "empty value list",
        with_condition({"StringEquals": {COLL_KEY: []}}),
        f"Statement[0].Condition.StringEquals.{COLL_KEY}",
    ),
    (
        "Numeric value not a number",
        with_condition({"NumericEquals": {"s3:max-keys": "ten"}}),
        "Statement[0].Condition.NumericEquals.s3:max-keys",
    ),
    (
        "Numeric value a boolean",
        with_condition({"NumericEquals": {"s3:max-keys": True}}),
        "Statement[0].Condition.NumericEquals.s3:max-keys",
    ),
    (
        "Date value not a date",
        with_condition({"DateLessThan": {"aws:CurrentTime": "yesterday"}}),
        "Statement[0].Condition.DateLessThan.aws:CurrentTime",
    ),
    (
        "Date time without a time zone",
        with_condition({"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00"}}),
        "Statement[0].Condition.DateLessThan.aws:CurrentTime",
    ),
    (
        "Date with a wildcard",
        with_condition({"DateLessThan": {"aws:CurrentTime": "2020-*"}}),
        "Statement[0].Condition.DateLessThan.aws:CurrentTime",
    ),
    (
        "Date four digits (year or epoch?)",
        with_condition({"DateLessThan": {"aws:CurrentTime": "2020"}}),
        "Statement[0].Condition.DateLessThan.aws:CurrentTime",
    ),
    (
        "Date fractional epoch",
        with_condition({"DateLessThan": {"aws:CurrentTime": 1700000000.5}}),
        "Statement[0].Condition.DateLessThan.aws:CurrentTime",
    ),
    (
        "Date impossible month",
        with_condition({"DateLessThan": {"aws:CurrentTime": "2020-13-01"}}),
        "Statement[0].Condition.DateLessThan.aws:CurrentTime",
    ),
    (
        "Bool value not true/false",
        with_condition({"Bool": {"aws:SecureTransport": "yes"}}),
        "Statement[0].Condition.Bool.aws:SecureTransport",
    ),
    (
        "Null value not true/false",
        with_condition({"Null": {COLL_KEY: "maybe"}}),
        f"Statement[0].Condition.Null.{COLL_KEY}",
    ),
    (
        "Arn value not an ARN",
        with_condition({"ArnLike": {"aws:SourceArn": "topic-1"}}),
        "Statement[0].Condition.ArnLike.aws:SourceArn",
    ),
    (
        "policy variable in a condition value",
        with_condition({"StringLike": {"aws:PrincipalArn": "*/${aws:username}"}}),
        "Statement[0].Condition.StringLike.aws:PrincipalArn",
    ),
    (
        "condition key without a prefix",
        with_condition({"StringEquals": {"CollaborationId": COLLABORATION}}),
        "Statement[0].Condition.StringEquals.CollaborationId",
    ),
    (
        "unknown Clean Rooms ML condition key",
        with_condition({"StringEquals": {"cleanrooms-ml:Collaboration": COLLABORATION}}),
        "Statement[0].Condition.StringEquals.cleanrooms-ml:Collaboration",
    ),
    (
        "the same key twice (case-insensitive)",
        with_condition({"StringEquals": {COLL_KEY: "a", "CLEANROOMS-ML:COLLABORATIONID": "b"}}),
        "Statement[0].Condition.StringEquals.CLEANROOMS-ML:COLLABORATIONID",
    ),
    (
        "operator of the wrong type for the key",
        with_condition({"NumericEquals": {COLL_KEY: 1}}),
        f"Statement[0].Condition.NumericEquals.{COLL_KEY}",
    ),
    (
        "multivalued key without a set operator",
        with_condition({"StringEquals": {"aws:TagKeys": "team"}}),
        "Statement[0].Condition.StringEquals.aws:TagKeys",
    ),
    (
        "set operator on a single-valued key",
        with_condition({"ForAnyValue:StringEquals": {COLL_KEY: COLLABORATION}}),
        f"Statement[0].Condition.ForAnyValue:StringEquals.{COLL_KEY}",
    ),
    (
        "duplicate operator",
        '{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", '
        '"Condition": {"Bool": {"aws:SecureTransport": "true"}, '
        '"Bool": {"aws:SecureTransport": "false"}}}}',
        "Statement.Condition.Bool",
    ),
]


@pytest.mark.parametrize(
    ("document", "path"),
    [pytest.param(doc, path, id=name) for name, doc, path in MALFORMED],
)
def test_refused(document: Any, path: str) -> None:
    text = document if isinstance(document, str) else json.dumps(document)
    with pytest.raises(PolicyError) as caught:
        parse_policy(text)
    assert caught.value.path == path
    assert str(caught.value).startswith(f"{path}: ")
    assert caught.value.reason


def test_malformed_rows_have_unique_names() -> None:
    names = [row[0] for row in MALFORMED]
    assert len(names) == len(set(names))


def test_policy_error_is_a_value_error_and_allows_propagates_it() -> None:
    assert issubclass(PolicyError, ValueError)
    with pytest.raises(PolicyError, match="StringEqualz"):
        allows(json.dumps(with_condition({"StringEqualz": {COLL_KEY: "x"}})), req())


def test_parse_accepts_a_decoded_document_and_keeps_its_parts() -> None:
    policy = parse_policy(USER_GUIDE_POLICY)
    assert policy.version == "2012-10-17"
    [statement] = policy.statements
    assert statement.sid == "Clean-Rooms-CAMA-ID"
    assert statement.effect == "Allow"
    [condition] = statement.conditions
    assert (condition.base, condition.key, condition.values) == (
        "StringEquals",
        "cleanrooms-ml:collaborationid",
        (COLLABORATION,),
    )
    assert parse_policy({"Statement": OK}).version is None


# ------------------------------------------------------------------------------ requests


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"principal_account": "1234"}, "12 digits", id="bad account"),
        pytest.param(
            {"context": {"aws:PrincipalAccount": OTHER}}, "contradicts", id="conflicting account"
        ),
        pytest.param(
            {"context": {"aws:CurrentTime": dt.datetime(2024, 1, 1)}},
            "time zone",
            id="naive datetime",
        ),
        pytest.param(
            {"principal_arn": f"arn:aws:iam::{OTHER}:role/Admin"},
            "not a principal of",
            id="principal of another account",
        ),
        pytest.param({"principal_arn": "Admin"}, "not a principal of", id="not an ARN"),
        pytest.param({"context": {COLL_KEY: "a", COLL_KEY.upper(): "b"}}, "twice", id="key twice"),
        pytest.param({"context": {COLL_KEY: {"a": 1}}}, "not a condition value", id="dict value"),
        pytest.param({"context": {COLL_KEY: [None]}}, "not a condition value", id="None item"),
    ],
)
def test_request_is_checked(kwargs: dict[str, Any], message: str) -> None:
    fields: dict[str, Any] = {
        "principal_account": CALLER,
        "action": START,
        "resource": CAM,
        **kwargs,
    }
    with pytest.raises(ValueError, match=message):
        Request(**fields)


def test_request_derives_principal_keys_and_reads_keys_in_any_case() -> None:
    request = req({"CleanRooms-ML:CollaborationId": COLLABORATION}, principal_arn=ROLE)
    assert request.values("AWS:PRINCIPALACCOUNT") == (CALLER,)
    assert request.values("aws:principalarn") == (ROLE,)
    assert request.values(COLL_KEY) == (COLLABORATION,)
    assert request.values("aws:TagKeys") is None
    assert req().values("aws:PrincipalArn") is None


# ------------------------------------------------------------------------------ properties

_TEXT = st.text(alphabet=st.characters(blacklist_characters="*?$"), max_size=12)


@given(pattern=_TEXT, value=_TEXT)
def test_string_like_without_wildcards_is_string_equals(pattern: str, value: str) -> None:
    like = parse_policy(with_condition({"StringLike": {"example:Key": pattern}}))
    equals = parse_policy(with_condition({"StringEquals": {"example:Key": pattern}}))
    request = req({"example:Key": value})
    assert evaluate(like, request) is evaluate(equals, request)
    assert (evaluate(like, request) is ALLOW) is (pattern == value)


@given(rows=st.lists(st.sampled_from(EVALUATIONS), min_size=1, max_size=4))
def test_an_applicable_deny_always_wins(rows: list[Row]) -> None:
    statements: list[dict[str, Any]] = []
    for _, document, _, _ in rows:
        body = document["Statement"]
        statements.extend(body if isinstance(body, list) else [body])
    statements = [{k: v for k, v in s.items() if k != "Sid"} for s in statements]
    deny_all = stmt("Deny", Principal="*", Action="*", Resource="*")
    request = rows[0][2]
    assert evaluate(parse_policy(pol(*statements, deny_all)), request) is DENY
