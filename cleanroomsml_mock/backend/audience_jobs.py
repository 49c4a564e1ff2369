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
import random
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
from ..records import Host, Record, record_type
from ._base import BackendBase
from ._index import StatusCount, status_count
from .configured_audience_models import MAX_PERCENTAGE, start_job_allowed

JOB = "audience-generation-job"
JOB_NOUN = "Audience generation job"
EXPORT = "audience-export-job"
CONFIGURED = "configured-audience-model"
START_ACTION = "cleanrooms-ml:StartAudienceGenerationJob"

CREATING = frozenset({"CREATE_PENDING", "CREATE_IN_PROGRESS"})
DELETING = frozenset({"DELETE_PENDING", "DELETE_IN_PROGRESS"})
LIVE_EXPORT_STATES = frozenset({"CREATE_PENDING", "CREATE_IN_PROGRESS", "ACTIVE"})


def audience_export_job_arn(audience_generation_job_arn: str, name: str) -> str:
    """The pseudo-ARN under which the mock files an export job (for ``m.set_status``)."""
    return f"{audience_generation_job_arn}/{EXPORT}/{name}"


@record_type
@dataclass(eq=False)
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
    starter_copy: AudienceGenerationJob | None = None  # on the owner's copy

    paths = (CREATE_PATH, DELETE_AND_REMOVE_PATH)
    resumes = True

    def __post_init__(self) -> None:
        # one track for both copies, also when they are built again from saved state
        if self.starter_copy is not None:
            self.track = self.starter_copy.track

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


@record_type
@dataclass(eq=False)
class AudienceExportJob(Record):
    """An export of a generated audience; ``outputLocation`` shows once ACTIVE."""

    output_location: str = ""

    paths = (CREATE_PATH,)
    resumes = True

    def pick(self, member: str) -> Any:
        if member == "outputLocation":
            return self.output_location if self.status == "ACTIVE" else None
        return super().pick(member)


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

    def set_record_status(
        self,
        record: Record,
        status: str,
        details: dict[str, Any] | None,
        version: str | None = None,
    ) -> None:
        """A cross-account job's two copies share one status: both are counted again."""
        super().set_record_status(record, status, details, version)
        found = self._peer(record) if record.kind == JOB else None
        if found is not None:
            found[0].recount(found[1])

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
            owner_backend.new_record(
                JOB,
                owner_arn,
                {"audienceGenerationJobArn": owner_arn, "name": owner_name, **common},
                path=CREATE_PATH,
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
        if collaboration_id is None:
            jobs = (
                self.listing_of(JOB)
                if configured_audience_model_arn is None
                else self.listing_of(
                    JOB, "configuredAudienceModelArn", configured_audience_model_arn
                )
            )
        else:
            jobs = self.listing(
                job
                for job in self.audience_generation_jobs.values()
                if configured_audience_model_arn in (None, job.data["configuredAudienceModelArn"])
                and collaboration_id == job.data.get("collaborationId")
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
