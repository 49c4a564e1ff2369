"""ML configuration: one per membership, where Clean Rooms ML writes the member's
metrics, logs and exported model artifacts. Put is an upsert (API reference:
PutMLConfiguration,
https://docs.aws.amazon.com/cleanrooms-ml/latest/APIReference/API_PutMLConfiguration.html;
docs/custom-models.md, "ML configuration")."""

from __future__ import annotations

from typing import Any

from ..errors import ResourceNotFoundException
from ..records import Record
from ._collaboration import CollaborationSupport

KIND = "ml-configuration"


def key(membership_id: str) -> str:
    """ML configurations have no ARN; they are filed under this key."""
    return f"{KIND}/{membership_id}"


class MLConfigurations(CollaborationSupport):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.ml_configurations = self.table(KIND)

    def put_ml_configuration(
        self, *, membership_identifier: str, default_output_location: dict[str, Any]
    ) -> None:
        self.membership(membership_identifier, not_found=False)
        self.check_role_account(default_output_location["roleArn"], "defaultOutputLocation.roleArn")
        existing = self.ml_configurations.get(key(membership_identifier))
        if existing is not None:
            existing.data["defaultOutputLocation"] = default_output_location
            self.touch(existing)
            return
        self.new_record(
            KIND,
            key(membership_identifier),
            {
                "membershipIdentifier": membership_identifier,
                "defaultOutputLocation": default_output_location,
            },
            taggable=False,
        )

    def _configuration(self, membership_identifier: str) -> Record:
        self.membership(membership_identifier)
        record = self.ml_configurations.get(key(membership_identifier))
        if record is None:
            raise ResourceNotFoundException(
                f"Membership {membership_identifier} has no ML configuration"
            )
        return record

    def get_ml_configuration(self, *, membership_identifier: str) -> Record:
        return self._configuration(membership_identifier)

    def delete_ml_configuration(self, *, membership_identifier: str) -> None:
        self.remove(self._configuration(membership_identifier))
