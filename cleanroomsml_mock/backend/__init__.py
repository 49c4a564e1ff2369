"""The in-memory Clean Rooms ML service of one account in one region.

``CleanRoomsMLBackend`` is composed of one mixin per resource family; adding an
operation means adding one method (named as boto3 names it) to the family's mixin.
"""

from __future__ import annotations

from .audience_jobs import AudienceJobs
from .audience_models import AudienceModels
from .configured_audience_models import ConfiguredAudienceModels
from .tagging import Tagging
from .training_datasets import TrainingDatasets


class CleanRoomsMLBackend(
    TrainingDatasets, AudienceModels, ConfiguredAudienceModels, AudienceJobs, Tagging
):
    """Every implemented operation, for one (account, region)."""


__all__ = ["CleanRoomsMLBackend"]
