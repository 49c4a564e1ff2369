"""Configured audience models and their resource policy (API reference:
CreateConfiguredAudienceModel and PutConfiguredAudienceModelPolicy,
https://docs.aws.amazon.com/cleanrooms-ml/latest/APIReference/API_CreateConfiguredAudienceModel.html;
docs/lookalike.md, "Configured audience models").

A configured audience model is ACTIVE from creation and removed at once on delete. Its
resource policy (one JSON document) lives on the record, under the members the policy
operations return (``configuredAudienceModelPolicy``, ``policyHash``), so a Get of the
policy serialises from the record itself; the model's Get/List shapes do not carry them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import changes
from ..errors import ConflictException, ResourceNotFoundException, ValidationException
from ..lifecycle import ACTIVE_ONLY
from ..records import Record, record_type
from ._base import BackendBase

if TYPE_CHECKING:
    from ..policy import Request

# policy.py (the IAM policy evaluator) is imported where a policy is parsed or evaluated:
# the first call of the mock does not pay for it

KIND = "configured-audience-model"
NOUN = "Configured audience model"
AUDIENCE_MODEL = "audience-model"
GENERATION_JOB = "audience-generation-job"
DEFAULT_MIN_MATCHING_SEED_SIZE = 500
MAX_PERCENTAGE = 100
POLICY = "configuredAudienceModelPolicy"
POLICY_HASH = "policyHash"


@record_type
@dataclass(eq=False, repr=False)
class ConfiguredAudienceModelRecord(Record):
    """A configured audience model: ACTIVE, and nothing else."""

    paths = (ACTIVE_ONLY,)


LIFECYCLES = {KIND: ConfiguredAudienceModelRecord.paths}


def policy_hash(policy: str) -> str:
    """The deterministic hash of a policy text: lower-case hex SHA-256."""
    return hashlib.sha256(policy.encode()).hexdigest()


def start_job_allowed(policy_text: str | None, request: Request) -> bool:
    """Whether the resource policy ``policy_text`` allows ``request`` (IAM evaluation of one
    resource-based policy, cleanroomsml_mock/policy.py; docs/lookalike.md, "Resource
    policy"). No policy, or one the mock cannot evaluate (saved before the mock checked
    policies), allows nothing."""
    if not policy_text:
        return False
    from ..policy import PolicyError, allows

    try:
        return allows(policy_text, request)
    except PolicyError:
        return False


def _check_size_config(config: dict[str, Any] | None, member: str) -> None:
    if config is None:
        return
    bins = config["audienceSizeBins"]
    duplicated = sorted({b for b in bins if bins.count(b) > 1})
    if duplicated:
        raise ValidationException(f"{member}.audienceSizeBins: duplicate sizes {duplicated}")
    if config["audienceSizeType"] == "PERCENTAGE":
        too_big = [b for b in bins if b > MAX_PERCENTAGE]
        if too_big:
            raise ValidationException(
                f"{member}.audienceSizeBins: PERCENTAGE sizes must be between 1 and "
                f"{MAX_PERCENTAGE}, got {too_big}"
            )


class ConfiguredAudienceModels(BackendBase):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.configured_audience_models = self.table(KIND)

    # ------------------------------------------------------------ shared checks

    def _usable_audience_model(self, audience_model_arn: str) -> None:
        model = self.find(AUDIENCE_MODEL, audience_model_arn, "Audience model")
        if model.status != "ACTIVE":
            raise ConflictException(
                f"Audience model {audience_model_arn} is {model.status}; a configured audience "
                "model needs an ACTIVE audience model"
            )

    def _check_output_config(self, output_config: dict[str, Any] | None) -> None:
        if output_config is not None:
            self.check_role_account(output_config["roleArn"], "outputConfig.roleArn")

    # ------------------------------------------------------------ operations

    def create_configured_audience_model(
        self,
        *,
        name: str,
        audience_model_arn: str,
        output_config: dict[str, Any],
        shared_audience_metrics: list[str],
        description: str | None = None,
        min_matching_seed_size: int | None = None,
        audience_size_config: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
        child_resource_tag_on_create_policy: str | None = None,
    ) -> dict[str, Any]:
        _check_size_config(audience_size_config, "audienceSizeConfig")
        self.check_tags(tags)
        self._check_output_config(output_config)
        self._usable_audience_model(audience_model_arn)
        self.check_name_free(KIND, name, "configured audience model")
        arn = self.new_arn(f"{KIND}/{self.new_id()}")
        if min_matching_seed_size is None:
            min_matching_seed_size = DEFAULT_MIN_MATCHING_SEED_SIZE
        self.new_record(
            KIND,
            arn,
            {
                "configuredAudienceModelArn": arn,
                "name": name,
                "audienceModelArn": audience_model_arn,
                "outputConfig": output_config,
                "sharedAudienceMetrics": shared_audience_metrics,
                "description": description,
                "minMatchingSeedSize": min_matching_seed_size,
                "audienceSizeConfig": audience_size_config,
                "childResourceTagOnCreatePolicy": child_resource_tag_on_create_policy,
            },
            path=ACTIVE_ONLY,
            tags=tags,
            cls=ConfiguredAudienceModelRecord,
        )
        return {"configuredAudienceModelArn": arn}

    def get_configured_audience_model(self, *, configured_audience_model_arn: str) -> Record:
        return self.read(KIND, configured_audience_model_arn, NOUN)

    def list_configured_audience_models(self) -> dict[str, Any]:
        return {"configuredAudienceModels": self.listing_of(KIND)}

    def update_configured_audience_model(
        self,
        *,
        configured_audience_model_arn: str,
        output_config: dict[str, Any] | None = None,
        audience_model_arn: str | None = None,
        shared_audience_metrics: list[str] | None = None,
        min_matching_seed_size: int | None = None,
        audience_size_config: dict[str, Any] | None = None,
        description: str | None = None,
    ) -> dict[str, Any]:
        record = self.find(KIND, configured_audience_model_arn, NOUN)
        _check_size_config(audience_size_config, "audienceSizeConfig")
        self._check_output_config(output_config)
        if audience_model_arn is not None:
            self._usable_audience_model(audience_model_arn)
        changes = {
            "outputConfig": output_config,
            "audienceModelArn": audience_model_arn,
            "sharedAudienceMetrics": shared_audience_metrics,
            "minMatchingSeedSize": min_matching_seed_size,
            "audienceSizeConfig": audience_size_config,
            "description": description,
        }
        record.data.update({k: v for k, v in changes.items() if v is not None})
        self.touch(record)
        return {"configuredAudienceModelArn": configured_audience_model_arn}

    def delete_configured_audience_model(self, *, configured_audience_model_arn: str) -> None:
        record = self.find(KIND, configured_audience_model_arn, NOUN)
        # API reference, DeleteConfiguredAudienceModel: refused "if there are any lookalike
        # models that use the configured audience model". Stricter reading: every audience
        # generation job that uses it, whatever its status, until the job is deleted
        # (docs/lookalike.md, "Configured audience models").
        using = [
            job.arn
            for job in self.children(
                GENERATION_JOB, "configuredAudienceModelArn", configured_audience_model_arn
            )
            if not job.removed
        ]
        if using:
            raise ConflictException(
                f"{NOUN} {configured_audience_model_arn} is used by audience generation "
                f"job(s) {', '.join(using)}; delete them first"
            )
        self.remove(record)  # its resource policy goes with it

    # ------------------------------------------------------------ resource policy

    def put_configured_audience_model_policy(
        self,
        *,
        configured_audience_model_arn: str,
        configured_audience_model_policy: str,
        previous_policy_hash: str | None = None,
        policy_existence_condition: str | None = None,
    ) -> dict[str, Any]:
        record = self.find(KIND, configured_audience_model_arn, NOUN)
        try:
            document = json.loads(configured_audience_model_policy)
        except ValueError as exc:
            raise ValidationException(
                f"configuredAudienceModelPolicy is not valid JSON: {exc}"
            ) from None
        if not isinstance(document, dict):
            raise ValidationException("configuredAudienceModelPolicy must be a JSON object")
        from ..policy import PolicyError, parse_policy

        try:
            parse_policy(configured_audience_model_policy)
        except PolicyError as exc:
            # a policy the mock could not evaluate faithfully is refused, naming the part
            raise ValidationException(
                f"configuredAudienceModelPolicy: {exc.path}: {exc.reason}"
            ) from None
        current = record.data.get(POLICY_HASH)
        if policy_existence_condition == "POLICY_MUST_EXIST" and current is None:
            raise ResourceNotFoundException(
                f"{NOUN} {configured_audience_model_arn} has no policy "
                "(policyExistenceCondition is POLICY_MUST_EXIST)"
            )
        if policy_existence_condition == "POLICY_MUST_NOT_EXIST" and current is not None:
            raise ValidationException(
                f"{NOUN} {configured_audience_model_arn} already has a policy "
                "(policyExistenceCondition is POLICY_MUST_NOT_EXIST)"
            )
        if previous_policy_hash is not None and previous_policy_hash != current:
            raise ValidationException(
                f"previousPolicyHash {previous_policy_hash} does not match the current policy "
                f"of {configured_audience_model_arn} "
                f"({current if current is not None else 'there is none'})"
            )
        digest = policy_hash(configured_audience_model_policy)
        record.data[POLICY] = configured_audience_model_policy
        record.data[POLICY_HASH] = digest
        changes.note(record, self)
        return {POLICY: configured_audience_model_policy, POLICY_HASH: digest}

    def _policy_holder(self, configured_audience_model_arn: str) -> Record:
        record = self.find(KIND, configured_audience_model_arn, NOUN)
        if record.data.get(POLICY) is None:
            raise ResourceNotFoundException(
                f"{NOUN} {configured_audience_model_arn} has no resource policy"
            )
        return record

    def get_configured_audience_model_policy(self, *, configured_audience_model_arn: str) -> Record:
        return self._policy_holder(configured_audience_model_arn)

    def delete_configured_audience_model_policy(
        self, *, configured_audience_model_arn: str
    ) -> None:
        record = self._policy_holder(configured_audience_model_arn)
        record.data.pop(POLICY, None)
        record.data.pop(POLICY_HASH, None)
        changes.note(record, self)
