"""Service quotas: their names, default values, and the check that raises
``ServiceQuotaExceededException`` (HTTP 402, with ``quotaName`` and ``quotaValue``).

Names and default values are the Clean Rooms ML quotas of the AWS General Reference
("AWS Clean Rooms ML endpoints and quotas",
https://docs.aws.amazon.com/general/latest/gr/clean-rooms-ml.html); the "pending or
in-progress" ones count resources in ``PENDING_STATES``. docs/lifecycle.md ("Quotas")
lists which operation raises which.

Values can be changed per mock: ``mock_cleanroomsml(quotas={...})`` or
``m.set_quota(name, value)``, to test a workload above a default or an error path below it.
"""

from __future__ import annotations

from .errors import ServiceQuotaExceededException

AUDIENCE_EXPORT_JOBS_PER_GENERATION_JOB = "Active audience export jobs per audience generation job"
ASSOCIATIONS_PER_MEMBERSHIP = "Active configured model algorithm associations per membership"
CONFIGURED_MODEL_ALGORITHMS = "Active configured model algorithms per account"
ML_INPUT_CHANNELS_PER_MEMBERSHIP = "Active ML input channels per membership"
PENDING_AUDIENCE_EXPORT_JOBS = "Pending or in-progress audience export jobs per account"
PENDING_AUDIENCE_GENERATION_JOBS = "Pending or in-progress audience generation jobs per account"
PENDING_AUDIENCE_MODELS = "Pending or in-progress audience models per account"
PENDING_INFERENCE_JOBS_PER_ACCOUNT = "Pending or in-progress inference jobs per account"
PENDING_INFERENCE_JOBS_PER_MEMBERSHIP = "Pending or in-progress inference jobs per membership"
PENDING_TRAINING_JOBS_PER_ACCOUNT = "Pending or in-progress training jobs per account"
PENDING_TRAINING_JOBS_PER_MEMBERSHIP = "Pending or in-progress training jobs per membership"

DEFAULT_QUOTAS: dict[str, float] = {
    AUDIENCE_EXPORT_JOBS_PER_GENERATION_JOB: 25,
    ASSOCIATIONS_PER_MEMBERSHIP: 1000,
    CONFIGURED_MODEL_ALGORITHMS: 1000,
    ML_INPUT_CHANNELS_PER_MEMBERSHIP: 100,
    PENDING_AUDIENCE_EXPORT_JOBS: 20,
    PENDING_AUDIENCE_GENERATION_JOBS: 10,
    PENDING_AUDIENCE_MODELS: 2,
    PENDING_INFERENCE_JOBS_PER_ACCOUNT: 10,
    PENDING_INFERENCE_JOBS_PER_MEMBERSHIP: 5,
    PENDING_TRAINING_JOBS_PER_ACCOUNT: 10,
    PENDING_TRAINING_JOBS_PER_MEMBERSHIP: 5,
}

# The states the "pending or in progress" quotas count.
PENDING_STATES = frozenset({"CREATE_PENDING", "CREATE_IN_PROGRESS"})


def quota_value(overrides: dict[str, float], name: str) -> float:
    if name not in DEFAULT_QUOTAS:
        raise KeyError(f"unknown quota {name!r}; known: {sorted(DEFAULT_QUOTAS)}")
    return overrides.get(name, DEFAULT_QUOTAS[name])


def enforce(overrides: dict[str, float], name: str, in_use: int) -> None:
    """Refuse one more resource when ``in_use`` already reaches the quota ``name``."""
    limit = quota_value(overrides, name)
    if in_use >= limit:
        raise ServiceQuotaExceededException(
            f"Service quota exceeded: {name} is {limit:g} and {in_use} are in use",
            quota_name=name,
            quota_value=limit,
        )
