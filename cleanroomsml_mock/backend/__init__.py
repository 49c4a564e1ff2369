"""The in-memory Clean Rooms ML service of one account in one region.

``CleanRoomsMLBackend`` is composed of one mixin per resource family; adding an
operation means adding one method (named as boto3 names it) to the family's mixin.
"""

from __future__ import annotations

from .associations import ConfiguredModelAlgorithmAssociations
from .audience_jobs import AudienceJobs
from .audience_models import AudienceModels
from .configured_audience_models import ConfiguredAudienceModels
from .configured_model_algorithms import ConfiguredModelAlgorithms
from .inference_jobs import TrainedModelInferenceJobs
from .ml_configuration import MLConfigurations
from .ml_input_channels import MLInputChannels
from .tagging import Tagging
from .trained_model_exports import TrainedModelExportJobs
from .training_datasets import TrainingDatasets


class CleanRoomsMLBackend(
    TrainingDatasets,
    AudienceModels,
    ConfiguredAudienceModels,
    AudienceJobs,
    ConfiguredModelAlgorithms,
    ConfiguredModelAlgorithmAssociations,
    MLConfigurations,
    MLInputChannels,
    TrainedModelInferenceJobs,
    TrainedModelExportJobs,
    Tagging,
):
    """Every implemented operation, for one (account, region)."""


__all__ = ["CleanRoomsMLBackend"]
