"""Configured model algorithms: account-level descriptions of the training and inference
containers of a custom model. No status, no update (API reference:
CreateConfiguredModelAlgorithm,
https://docs.aws.amazon.com/cleanrooms-ml/latest/APIReference/API_CreateConfiguredModelAlgorithm.html;
docs/custom-models.md, "Configured model algorithms")."""

from __future__ import annotations

from typing import Any

from .. import quotas
from ..errors import ConflictException, ValidationException
from ..records import Record
from ._collaboration import CollaborationSupport

KIND = "configured-model-algorithm"
NOUN = "Configured model algorithm"
ASSOCIATION_KIND = "configured-model-algorithm-association"


def _check_image(config: dict[str, Any] | None, member: str) -> None:
    if not config:
        return
    uri = str(config.get("imageUri", ""))
    if "@" in uri:
        raise ValidationException(
            f"{member}.imageUri: '{uri}' is a digest reference; only the "
            "registry/repository[:tag] image path format is supported"
        )


class ConfiguredModelAlgorithms(CollaborationSupport):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.configured_model_algorithms = self.table(KIND)

    def create_configured_model_algorithm(
        self,
        *,
        name: str,
        role_arn: str,
        description: str | None = None,
        training_container_config: dict[str, Any] | None = None,
        inference_container_config: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
        kms_key_arn: str | None = None,
    ) -> dict[str, Any]:
        self.check_role_account(role_arn)
        if not training_container_config and not inference_container_config:
            raise ValidationException(
                "A configured model algorithm needs a trainingContainerConfig or an "
                "inferenceContainerConfig (or both)"
            )
        _check_image(training_container_config, "trainingContainerConfig")
        _check_image(inference_container_config, "inferenceContainerConfig")
        self.check_tags(tags)
        self.check_name_free(KIND, name, "configured model algorithm")
        in_use = len(self.configured_model_algorithms)
        self.enforce_quota(quotas.CONFIGURED_MODEL_ALGORITHMS, in_use)
        arn = self.new_arn(f"{KIND}/{self.new_id()}")
        self.new_record(
            KIND,
            arn,
            {
                "configuredModelAlgorithmArn": arn,
                "name": name,
                "roleArn": role_arn,
                "description": description,
                "trainingContainerConfig": training_container_config,
                "inferenceContainerConfig": inference_container_config,
                "kmsKeyArn": kms_key_arn,
            },
            tags=tags,
        )
        return {"configuredModelAlgorithmArn": arn}

    def get_configured_model_algorithm(self, *, configured_model_algorithm_arn: str) -> Record:
        return self.read(KIND, configured_model_algorithm_arn, NOUN)

    def list_configured_model_algorithms(self) -> dict[str, Any]:
        return {"configuredModelAlgorithms": self.listing_of(KIND)}

    def delete_configured_model_algorithm(self, *, configured_model_algorithm_arn: str) -> None:
        record = self.find(KIND, configured_model_algorithm_arn, NOUN)
        users = [
            a.arn
            for a in self.children_anywhere(
                ASSOCIATION_KIND, "configuredModelAlgorithmArn", configured_model_algorithm_arn
            )
        ]
        if users:
            raise ConflictException(
                f"{NOUN} {configured_model_algorithm_arn} is used by configured model algorithm "
                f"association(s) {', '.join(users)}; delete them first"
            )
        self.remove(record)
