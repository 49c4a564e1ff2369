"""Audience generation jobs and audience export jobs (API reference:
StartAudienceGenerationJob and StartAudienceExportJob,
https://docs.aws.amazon.com/cleanrooms-ml/latest/APIReference/API_StartAudienceGenerationJob.html;
docs/lookalike.md, "Audience generation jobs" and "Audience export jobs").

A generation job started from the account that owns the configured audience model is one
record. Started from another account, the one job has an ARN in each account ("IAM
behaviors for AWS Clean Rooms ML", Cross-account jobs,
https://docs.aws.amazon.com/clean-rooms/latest/userguide/ml-behaviors.html): the
starter's copy (the seed provider's view, with ``seedAudience``) and the owner's copy,
named ``<starter account>-<name>``. Both copies share one ``StatusTrack`` object, so a
read, ``m.set_status`` or ``m.advance`` through either ARN moves the one job; deleting
either removes both (and the export jobs of both).

Export jobs have no ARN in the service. The mock files each under the pseudo-ARN
``<audienceGenerationJobArn>/audience-export-job/<name>`` (see ``audience_export_job_arn``), which
``m.set_status`` and ``m.advance`` accept; it is never returned by the API.
"""

from __future__ import annotations

import copy
import json
import random
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .. import changes, ids, quotas
from ..errors import (
    AccessDeniedException,
    ConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from ..lifecycle import CREATE_PATH, DELETE_AND_REMOVE_PATH
from ..moto_link import MissingInput, MotoLink
from ..outputs import Destination, audience_files, write
from ..records import Host, Record, record_type
from ._base import BackendBase
from ._index import StatusCount, listed_by, status_count
from .configured_audience_models import MAX_PERCENTAGE, start_job_allowed

JOB = "audience-generation-job"
JOB_NOUN = "Audience generation job"
EXPORT = "audience-export-job"
CONFIGURED = "configured-audience-model"
START_ACTION = "cleanrooms-ml:StartAudienceGenerationJob"

CREATING = frozenset({"CREATE_PENDING", "CREATE_IN_PROGRESS"})
DELETING = frozenset({"DELETE_PENDING", "DELETE_IN_PROGRESS"})
LIVE_EXPORT_STATES = frozenset({"CREATE_PENDING", "CREATE_IN_PROGRESS", "ACTIVE"})
# "The seed size should be between 25 and 500,000 unique user IDs" (User Guide, "Seed data
# requirements for Clean Rooms ML")
MIN_SEED_USERS = 25
MAX_SEED_USERS = 500_000


def audience_export_job_arn(audience_generation_job_arn: str, name: str) -> str:
    """The pseudo-ARN under which the mock files an export job (for ``m.set_status``)."""
    return f"{audience_generation_job_arn}/{EXPORT}/{name}"


@record_type
@dataclass(eq=False, repr=False)
class AudienceGenerationJob(Record):
    """A generation job as one account sees it.

    The owner's copy of a cross-account job refers to the starter's (``starter_copy``)
    and shares its ``StatusTrack``, so either ARN moves the one job; every status change
    of either copy moves both ``updateTime``s.
    """

    peer_arn: str | None = None  # the same job under the other account's ARN
    primary: bool = True  # the starter's copy (its track is the one both copies share)
    quality: dict[str, Any] | None = None  # the metrics, shown once ACTIVE
    show_metrics: bool = True
    size_config: dict[str, Any] | None = None  # audienceSizeConfig when the job started
    output_prefix: str = ""  # the configured output S3 location when the job started
    output_role: str = ""  # the configured outputConfig.roleArn when the job started
    starter_copy: AudienceGenerationJob | None = None  # on the owner's copy

    paths = (CREATE_PATH, DELETE_AND_REMOVE_PATH)
    resumes = True

    def __post_init__(self) -> None:
        # one track for both copies, also when they are built again from saved state
        if self.starter_copy is not None:
            self.track = self.starter_copy.track

    def reached_active(self, host: Host, *, forced: bool) -> None:
        """The job has read its seed audience: with moto consulted, a missing role or an
        S3 seed that does not meet the seed data requirements makes it CREATE_FAILED
        instead (docs/moto.md, "Inputs the mock reads"). The one job is checked once,
        through the starter's copy, which holds the seed. A test forcing ACTIVE says the
        job succeeded: nothing is read."""
        link = host.moto()
        if forced or link is None:
            return
        if not self.primary:
            found = host.locate(self.peer_arn) if self.peer_arn is not None else None
            if found is not None:
                found[1].reached_active(found[0], forced=forced)
            return
        seed = self.data["seedAudience"]
        try:
            link.check_role(seed["roleArn"], "seedAudience.roleArn")
            uri = (seed.get("dataSource") or {}).get("s3Uri")
            if uri is not None:  # a SQL seed is a query's result: nothing in S3 to read
                found = host.locate(self.data["configuredAudienceModelArn"])
                minimum = found[1].data.get("minMatchingSeedSize") if found else None
                count_seed_users(link, ids.arn_account(self.arn) or "", uri, minimum)
        except MissingInput as missing:
            self.fail(host, missing.status_details)

    def pick(self, member: str) -> Any:
        if member == "metrics":
            if self.status == "ACTIVE" and self.show_metrics:
                return self.quality
            return None
        return super().pick(member)

    def moved(self, host: Host, before: str | None) -> None:
        peer = host.locate(self.peer_arn) if self.peer_arn is not None else None
        super().moved(host, before)  # a delete that completes removes both copies
        if peer is not None:
            peer[1].update_time = self.update_time
            changes.note(peer[1], peer[0])
            if not peer[1].removed:  # the two copies share one status: both are counted
                peer[0].recount(peer[1])


@record_type
@dataclass(eq=False, repr=False)
class AudienceExportJob(Record):
    """An export of a generated audience; ``outputLocation`` shows once ACTIVE."""

    output_location: str = ""

    paths = (CREATE_PATH,)
    resumes = True

    def pick(self, member: str) -> Any:
        if member == "outputLocation":
            return self.output_location if self.status == "ACTIVE" else None
        return super().pick(member)

    def reached_active(self, host: Host, *, forced: bool) -> None:
        """The audience is written under ``outputLocation`` with the configured audience
        model's ``outputConfig.roleArn`` (docs/moto.md, "Outputs the mock writes")."""
        if host.moto() is None:
            return  # moto is not consulted: nothing to work out
        job_arn = self.data["audienceGenerationJobArn"]
        found = host.locate(job_arn)
        job = found[1] if found is not None else None
        if not isinstance(job, AudienceGenerationJob):
            return  # the job is gone with its exports; nothing is left to write for
        configured = job.data["configuredAudienceModelArn"]
        destination = Destination(
            self.output_location,
            job.output_role or None,
            f"the outputConfig.roleArn of configured audience model {configured},",
            lambda: audience_files(
                self.arn,
                generation_job_arn=job_arn,
                name=self.name,
                audience_size=self.data["audienceSize"],
                include_seed=bool(job.data.get("includeSeedInOutput")),
            ),
        )
        write(self, host, ids.arn_account(job_arn) or "", [destination], forced=forced)


status_count(
    quotas.PENDING_AUDIENCE_GENERATION_JOBS,
    StatusCount(
        JOB,
        lambda status: status in CREATING,
        # a cross-account job counts once, in the starter's account
        accept=lambda job: getattr(job, "primary", True),
    ),
)
status_count(quotas.PENDING_AUDIENCE_EXPORT_JOBS, StatusCount(EXPORT, lambda s: s in CREATING))
status_count(
    quotas.AUDIENCE_EXPORT_JOBS_PER_GENERATION_JOB,
    StatusCount(EXPORT, lambda s: s in LIVE_EXPORT_STATES, "audienceGenerationJobArn"),
)

# ListAudienceGenerationJobs filtered by collaboration (and configured audience model)
listed_by(JOB, "collaborationId")
listed_by(JOB, "collaborationId", "configuredAudienceModelArn")

# The paths the jobs walk (a test checks them against the model's enums).
LIFECYCLES = {JOB: AudienceGenerationJob.paths, EXPORT: AudienceExportJob.paths}


def _metrics(job_id: str, size_config: dict[str, Any] | None) -> dict[str, Any]:
    """Plausible, repeatable quality metrics: relevance in 0..1 decreasing with size."""
    rng = random.Random(job_id)
    top = rng.uniform(0.6, 0.95)
    relevance: list[dict[str, Any]] = []
    if size_config is not None:
        size_type = size_config["audienceSizeType"]
        bins = size_config["audienceSizeBins"]
        ranks = {value: rank for rank, value in enumerate(sorted(bins))}
        for value in bins:
            score = top * (1 - 0.6 * ranks[value] / max(len(bins), 1))
            relevance.append(
                {"audienceSize": {"type": size_type, "value": value}, "score": round(score, 4)}
            )
    return {"relevanceMetrics": relevance, "recallMetric": round(rng.uniform(0.2, 0.8), 4)}


# the usual row, {"user_id": "<no escapes>"}: its user ID without parsing JSON (a seed of
# 500,000 rows is read in a third of the time); any other line is parsed as JSON
_JSON_SPACE = b" \t\r\n"
_S = rb"[ \t\r\n]*"  # JSON's whitespace
_PLAIN_ROW = re.compile(
    _S + rb"\{" + _S + rb'"user_id"' + _S + b":" + _S + rb'"([^"\\\x00-\x1f]+)"' + _S + rb"\}" + _S
)
_ROW = '{"user_id": "..."}'


def _parsed_user_id(line: bytes) -> str:
    """The ``user_id`` of a line that is not a plain row: parsed as JSON. A ``ValueError``
    saying what is wrong with the line otherwise."""
    if not line.strip(_JSON_SPACE):
        raise ValueError("is empty; JSON Lines has one JSON object per line")
    try:
        row = json.loads(line)
    except ValueError:  # not JSON, or not UTF-8
        raise ValueError(f"is not JSON; the seed must be JSON Lines, {_ROW} on each line") from None
    user_id = row.get("user_id") if isinstance(row, dict) else None
    if not isinstance(user_id, str) or not user_id:
        raise ValueError(
            f'has no "user_id" string; the seed must be JSON Lines, {_ROW} on each line'
        )
    return user_id


def count_seed_users(link: MotoLink, account_id: str, uri: str, minimum: int | None = None) -> int:
    """The number of unique user IDs of the S3 seed audience at ``uri`` (an object, or
    every object under a prefix), read as the User Guide's "Seed data requirements for
    Clean Rooms ML" describe it: JSON Lines, one ``{"user_id": "..."}`` object per line,
    25 to 500,000 unique user IDs and at least the configured audience model's
    ``minMatchingSeedSize``. Read line by line, and no further than the 500,001st unique
    ID. A ``MissingInput`` names the object and line at fault, or the count."""
    objects = link.s3_objects(account_id, uri)
    seen: set[str] = set()
    plain_row = _PLAIN_ROW.fullmatch
    for found in objects:
        for number, line in enumerate(link.lines([found]), start=1):
            plain = plain_row(line)
            try:
                seen.add(
                    plain.group(1).decode("utf-8") if plain is not None else _parsed_user_id(line)
                )
            except UnicodeDecodeError:
                raise MissingInput(
                    "InvalidSeedData",
                    f"line {number} of the seed audience {found.uri} is not JSON (not UTF-8)",
                ) from None
            except ValueError as bad:
                raise MissingInput(
                    "InvalidSeedData", f"line {number} of the seed audience {found.uri} {bad}"
                ) from None
            if len(seen) > MAX_SEED_USERS:
                raise MissingInput(
                    "SeedAudienceTooLarge",
                    f"the seed audience {uri} has more than {MAX_SEED_USERS:,} unique user IDs "
                    f"(the most a seed may have)",
                )
    least = max(MIN_SEED_USERS, minimum or 0)
    if len(seen) < least:
        why = (
            "the configured audience model's minMatchingSeedSize"
            if minimum is not None and minimum > MIN_SEED_USERS
            else "the fewest a seed may have"
        )
        raise MissingInput(
            "SeedAudienceTooSmall",
            f"the seed audience {uri} has {len(seen):,} unique user IDs; it needs at least "
            f"{least:,} ({why})",
        )
    return len(seen)


def _check_seed(seed: dict[str, Any]) -> None:
    has_s3 = seed.get("dataSource") is not None
    sql = seed.get("sqlParameters")
    if has_s3 == (sql is not None):
        raise ValidationException(
            "seedAudience must give exactly one of dataSource (an S3 seed) and sqlParameters "
            f"(a SQL seed); got {'both' if has_s3 else 'neither'}"
        )
    if seed.get("sqlComputeConfiguration") is not None and sql is None:
        raise ValidationException(
            "seedAudience.sqlComputeConfiguration can only be given with seedAudience.sqlParameters"
        )
    if sql is not None and bool(sql.get("queryString")) == bool(sql.get("analysisTemplateArn")):
        raise ValidationException(
            "seedAudience.sqlParameters must give exactly one of queryString and "
            "analysisTemplateArn"
        )


class AudienceJobs(BackendBase):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.audience_generation_jobs = self.table(JOB)
        self.audience_export_jobs = self.table(EXPORT)

    # ------------------------------------------------------------ the two copies of a job

    def _peer(self, job: Record) -> tuple[BackendBase, Record] | None:
        """The other copy of a cross-account job, and the backend that holds it."""
        peer_arn = job.peer_arn if isinstance(job, AudienceGenerationJob) else None
        return self.locate(peer_arn) if peer_arn is not None else None

    def remove(self, record: Record) -> None:
        """A generation job goes with its export jobs, and with its other copy."""
        super().remove(record)
        if record.kind != JOB:
            return
        for export in self.children(EXPORT, "audienceGenerationJobArn", record.arn):
            super().remove(export)
        found = self._peer(record)
        if found is not None:
            found[0].remove(found[1])

    def _exports_of(self, job: Record) -> list[Record]:
        """The export jobs of a generation job, under both of its ARNs."""
        exports = self.children(EXPORT, "audienceGenerationJobArn", job.arn)
        found = self._peer(job)
        if found is not None:
            backend, peer = found
            exports += backend.children(EXPORT, "audienceGenerationJobArn", peer.arn)
        return exports

    def _live_exports_of(self, job: Record) -> int:
        """How many export jobs of a generation job (under both its ARNs) are live."""
        name = quotas.AUDIENCE_EXPORT_JOBS_PER_GENERATION_JOB
        live = self.count_status(name, job.arn)
        found = self._peer(job)
        if found is not None:
            live += found[0].count_status(name, found[1].arn)
        return live

    # ------------------------------------------------------------ generation jobs

    def _configured_audience_model(self, arn: str) -> tuple[BackendBase, Record]:
        owner = ids.arn_account(arn) or ""
        backend = self.view.backend_for(owner, self.region)
        record = backend.table(CONFIGURED).get(arn) if backend is not None else None
        if backend is None or record is None:
            raise ResourceNotFoundException(f"Configured audience model {arn} not found")
        return backend, record

    def _policy_context(
        self, collaboration_id: str | None, tags: dict[str, str] | None, configured: Record
    ) -> dict[str, Any]:
        """The condition keys a StartAudienceGenerationJob request carries (IAM global
        condition keys; the Clean Rooms ML service authorization reference for
        ``cleanrooms-ml:CollaborationId``). ``aws:PrincipalAccount`` comes from the caller;
        the time keys are the mock's clock (docs/lookalike.md, "Resource policy")."""
        now = self.now()
        context: dict[str, Any] = {
            "aws:CurrentTime": now,
            "aws:EpochTime": int(now.timestamp()),
            "aws:TagKeys": list(tags or {}),
        }
        if collaboration_id is not None:
            context["cleanrooms-ml:CollaborationId"] = collaboration_id
        # condition keys are case-insensitive, tag keys are not: tags whose keys differ
        # only in case give one key several values
        lower: dict[str, str] = {}
        for prefix, given in (
            ("aws:RequestTag/", tags or {}),
            ("aws:ResourceTag/", configured.tags),
        ):
            for key, value in given.items():
                name = lower.setdefault(f"{prefix}{key}".lower(), f"{prefix}{key}")
                context[name] = [*context.get(name, []), value]
        return context

    def start_audience_generation_job(
        self,
        *,
        name: str,
        configured_audience_model_arn: str,
        seed_audience: dict[str, Any],
        include_seed_in_output: bool | None = None,
        collaboration_id: str | None = None,
        description: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        _check_seed(seed_audience)
        self.check_role_account(seed_audience["roleArn"], "seedAudience.roleArn")
        self.check_tags(tags)
        owner_backend, configured = self._configured_audience_model(configured_audience_model_arn)
        cross_account = owner_backend is not self
        job_id = self.new_id()
        arn = self.new_arn(f"{JOB}/{job_id}")
        owner_arn = owner_backend.new_arn(f"{JOB}/{job_id}")
        owner_name = f"{self.account_id}-{name}"
        if cross_account:
            if collaboration_id is None:
                raise ValidationException(
                    "collaborationId is required to start an audience generation job on a "
                    f"configured audience model of another account ({owner_backend.account_id})"
                )
            policy = configured.data.get("configuredAudienceModelPolicy")
            context = self._policy_context(collaboration_id, tags, configured)
            from ..policy import Request  # imported when a policy is evaluated, not before

            for resource in (configured_audience_model_arn, owner_arn):
                request = Request(self.account_id, START_ACTION, resource, context)
                if not start_job_allowed(policy, request):
                    raise AccessDeniedException(
                        f"Account {self.account_id} is not allowed to perform {START_ACTION} on "
                        f"{resource}: the resource policy of configured audience model "
                        f"{configured_audience_model_arn} does not grant it"
                    )
        self.check_name_free(JOB, name, "audience generation job")
        if cross_account:
            owner_backend.check_name_free(JOB, owner_name, "audience generation job")
        self.enforce_quota(
            quotas.PENDING_AUDIENCE_GENERATION_JOBS,
            self.count_status(quotas.PENDING_AUDIENCE_GENERATION_JOBS),
        )

        parent_tags = configured.tags
        inherit = configured.data.get("childResourceTagOnCreatePolicy") == "FROM_PARENT_RESOURCE"
        own_tags = dict(tags or {})
        if inherit and not cross_account:
            own_tags = {**parent_tags, **own_tags}
        self.check_tags(own_tags)
        size_config = configured.data.get("audienceSizeConfig")
        shared = configured.data.get("sharedAudienceMetrics", ["ALL"])
        common = {
            "configuredAudienceModelArn": configured_audience_model_arn,
            "description": description,
            "includeSeedInOutput": bool(include_seed_in_output),
            "collaborationId": collaboration_id,
            "startedBy": self.account_id,
        }
        snapshot = {
            "quality": _metrics(job_id, size_config),
            "size_config": size_config,
            "output_prefix": configured.data["outputConfig"]["destination"]["s3Destination"][
                "s3Uri"
            ],
            "output_role": configured.data["outputConfig"]["roleArn"],
        }
        seed_view: dict[str, Any] = {"seedAudience": seed_audience}
        if seed_audience.get("sqlParameters") is not None:
            seed_view["protectedQueryIdentifier"] = ids.new_uuid()
        record = self.new_record(
            JOB,
            arn,
            {"audienceGenerationJobArn": arn, "name": name, **common, **seed_view},
            path=CREATE_PATH,
            tags=own_tags,
            cls=AudienceGenerationJob,
            peer_arn=owner_arn if cross_account else None,
            show_metrics=not cross_account or "ALL" in shared,
            **copy.deepcopy(snapshot),
        )
        if cross_account:
            # no path of its own: the owner's copy takes the starter's track (and so the
            # status it reached when it was born: its inputs were read then, once)
            owner_backend.new_record(
                JOB,
                owner_arn,
                {"audienceGenerationJobArn": owner_arn, "name": owner_name, **common},
                tags=dict(parent_tags) if inherit else {},
                cls=AudienceGenerationJob,
                peer_arn=arn,
                primary=False,
                starter_copy=record,
                **copy.deepcopy(snapshot),
            )
        return {"audienceGenerationJobArn": arn}

    def get_audience_generation_job(self, *, audience_generation_job_arn: str) -> Record:
        return self.read(JOB, audience_generation_job_arn, JOB_NOUN)

    def list_audience_generation_jobs(
        self,
        *,
        configured_audience_model_arn: str | None = None,
        collaboration_id: str | None = None,
    ) -> dict[str, Any]:
        jobs = self.listing_by(
            JOB,
            configuredAudienceModelArn=configured_audience_model_arn,
            collaborationId=collaboration_id,
        )
        return {"audienceGenerationJobs": jobs}

    def delete_audience_generation_job(self, *, audience_generation_job_arn: str) -> None:
        record = self.find(JOB, audience_generation_job_arn, JOB_NOUN)
        if record.status in CREATING:
            raise ConflictException(
                f"{JOB_NOUN} {audience_generation_job_arn} is {record.status}; it can be "
                "deleted once it is ACTIVE or CREATE_FAILED"
            )
        if record.status in DELETING:
            return  # already being deleted: deleting again changes nothing
        exporting = [e.name for e in self._exports_of(record) if e.status in CREATING]
        if exporting:
            raise ConflictException(
                f"{JOB_NOUN} {audience_generation_job_arn} has export jobs in progress: "
                f"{', '.join(exporting)}"
            )
        record.begin(self, DELETE_AND_REMOVE_PATH)

    # ------------------------------------------------------------ export jobs

    def start_audience_export_job(
        self,
        *,
        name: str,
        audience_generation_job_arn: str,
        audience_size: dict[str, Any],
        description: str | None = None,
    ) -> None:
        job = self.find(JOB, audience_generation_job_arn, JOB_NOUN)
        assert isinstance(job, AudienceGenerationJob)
        if audience_size["type"] == "PERCENTAGE" and audience_size["value"] > MAX_PERCENTAGE:
            raise ValidationException(
                f"audienceSize.value: a PERCENTAGE size must be between 1 and {MAX_PERCENTAGE}, "
                f"got {audience_size['value']}"
            )
        size_config = job.size_config
        if size_config is None:
            # API reference, StartAudienceExportJob: audienceSize "Must match one of the
            # sizes in the configured audience model"; with no sizes configured nothing
            # matches (the stricter reading; docs/lookalike.md, "Audience export jobs")
            raise ValidationException(
                f"audienceSize {audience_size['type']} {audience_size['value']} cannot match: "
                "the configured audience model had no audienceSizeConfig when job "
                f"{audience_generation_job_arn} started"
            )
        if not (
            audience_size["type"] == size_config["audienceSizeType"]
            and audience_size["value"] in size_config["audienceSizeBins"]
        ):
            raise ValidationException(
                f"audienceSize {audience_size['type']} {audience_size['value']} is not one of "
                f"the sizes of the configured audience model: {size_config['audienceSizeType']} "
                f"{size_config['audienceSizeBins']}"
            )
        if job.status != "ACTIVE":
            raise ConflictException(
                f"{JOB_NOUN} {audience_generation_job_arn} is {job.status}; an audience can be "
                "exported once the job is ACTIVE"
            )
        # export jobs are filed under a key made of their job and name: a look-up
        if audience_export_job_arn(audience_generation_job_arn, name) in self.audience_export_jobs:
            raise ConflictException(
                f"An audience export job named '{name}' already exists for "
                f"{audience_generation_job_arn}"
            )
        self.enforce_quota(
            quotas.AUDIENCE_EXPORT_JOBS_PER_GENERATION_JOB,
            self._live_exports_of(job),
        )
        self.enforce_quota(
            quotas.PENDING_AUDIENCE_EXPORT_JOBS,
            self.count_status(quotas.PENDING_AUDIENCE_EXPORT_JOBS),
        )
        job_id = audience_generation_job_arn.rsplit("/", 1)[-1]
        location = (
            f"{job.output_prefix.rstrip('/')}/{job_id}/{quote(name, safe='')}/"
            f"{audience_size['type'].lower()}-{audience_size['value']}/"
        )
        self.new_record(
            EXPORT,
            audience_export_job_arn(audience_generation_job_arn, name),
            {
                "name": name,
                "audienceGenerationJobArn": audience_generation_job_arn,
                "audienceSize": audience_size,
                "description": description,
            },
            path=CREATE_PATH,
            taggable=False,
            cls=AudienceExportJob,
            output_location=location,
        )

    def list_audience_export_jobs(
        self, *, audience_generation_job_arn: str | None = None
    ) -> dict[str, Any]:
        exports = (
            self.listing_of(EXPORT)
            if audience_generation_job_arn is None
            else self.listing_of(EXPORT, "audienceGenerationJobArn", audience_generation_job_arn)
        )
        return {"audienceExportJobs": exports}
