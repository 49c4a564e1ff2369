"""Training datasets: account-level metadata about the Glue tables of interactions an
audience model trains on. ACTIVE from creation, removed at once on delete (API reference:
CreateTrainingDataset,
https://docs.aws.amazon.com/cleanrooms-ml/latest/APIReference/API_CreateTrainingDataset.html;
docs/lookalike.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import ids
from ..errors import ConflictException, ValidationException
from ..lifecycle import ACTIVE_ONLY
from ..moto_link import MissingInput, MotoLink
from ..records import Record, record_type
from ._base import BackendBase

KIND = "training-dataset"
NOUN = "Training dataset"
REQUIRED_COLUMN_TYPES = ("USER_ID", "ITEM_ID", "TIMESTAMP")


@record_type
@dataclass(eq=False, repr=False)
class TrainingDatasetRecord(Record):
    """A training dataset: ACTIVE, and nothing else."""

    paths = (ACTIVE_ONLY,)


def _check_schema(training_data: list[dict[str, Any]]) -> None:
    for i, dataset in enumerate(training_data, start=1):
        schema = dataset.get("inputConfig", {}).get("schema", [])
        path = f"trainingData.{i}.member.inputConfig.schema"
        names: set[str] = set()
        duplicated: set[str] = set()
        counts = dict.fromkeys(REQUIRED_COLUMN_TYPES, 0)
        for column in schema:
            name = column["columnName"]
            (duplicated if name in names else names).add(name)
            for column_type in column.get("columnTypes", ()):
                if column_type in counts:
                    counts[column_type] += 1
        if duplicated:
            raise ValidationException(f"{path}: duplicate column names {sorted(duplicated)}")
        for required, found in counts.items():
            if found != 1:
                raise ValidationException(
                    f"{path}: the schema must have exactly one column of type {required} "
                    f"(found {found})"
                )


def read_training_data(link: MotoLink, dataset: Record) -> None:
    """What training an audience model reads of its training dataset, from moto
    (docs/moto.md, "Inputs the mock reads"): Clean Rooms ML assumes the dataset's
    ``roleArn`` "to read the data referred to in the dataSource field of each dataset"
    (API reference, CreateTrainingDataset), so the role must exist; then each dataset's
    Glue table must exist in its ``catalogId`` (else the dataset owner's account), in the
    dataset's region, with every column its ``schema`` declares ("The schema specified in
    the CreateTrainingDataset action must align with the schema defined when the AWS Glue
    table was created": User Guide, "Training data requirements for Clean Rooms ML").
    Glue keeps names in lower case, so columns are compared case-insensitively. A
    ``MissingInput`` names the first thing missing."""
    arn = dataset.arn
    link.check_role(dataset.data["roleArn"], f"Training dataset {arn} roleArn")
    account = ids.arn_account(arn) or ""
    region = ids.arn_region(arn) or ""
    for i, entry in enumerate(dataset.data["trainingData"], start=1):
        config = entry["inputConfig"]
        glue = config["dataSource"]["glueDataSource"]
        catalog = glue.get("catalogId") or account
        database, table = glue["databaseName"], glue["tableName"]
        columns = link.glue_columns(catalog, region, database, table)
        present = {str(column.get("Name", "")).lower() for column in columns}
        absent = [
            column["columnName"]
            for column in config["schema"]
            if column["columnName"].lower() not in present
        ]
        if absent:
            raise MissingInput(
                "GlueColumnNotFound",
                f"Glue table {database}.{table} (catalog {catalog}, {region}) has no column "
                f"{', '.join(absent)}, declared in trainingData.{i}.inputConfig.schema of "
                f"training dataset {arn}",
            )


class TrainingDatasets(BackendBase):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.training_datasets = self.table(KIND)

    def create_training_dataset(
        self,
        *,
        name: str,
        role_arn: str,
        training_data: list[dict[str, Any]],
        tags: dict[str, str] | None = None,
        description: str | None = None,
    ) -> dict[str, Any]:
        self.check_role_account(role_arn)
        _check_schema(training_data)
        self.check_tags(tags)
        self.check_name_free(KIND, name, "training dataset")
        arn = self.new_arn(f"{KIND}/{self.new_id()}")
        self.new_record(
            KIND,
            arn,
            {
                "trainingDatasetArn": arn,
                "name": name,
                "roleArn": role_arn,
                "trainingData": training_data,
                "description": description,
            },
            path=ACTIVE_ONLY,
            tags=tags,
            cls=TrainingDatasetRecord,
        )
        return {"trainingDatasetArn": arn}

    def get_training_dataset(self, *, training_dataset_arn: str) -> Record:
        return self.read(KIND, training_dataset_arn, NOUN)

    def list_training_datasets(self) -> dict[str, Any]:
        return {"trainingDatasets": self.listing_of(KIND)}

    def delete_training_dataset(self, *, training_dataset_arn: str) -> None:
        record = self.find(KIND, training_dataset_arn, NOUN)
        users = [
            model.arn
            for model in self.children("audience-model", "trainingDatasetArn", training_dataset_arn)
        ]
        if users:
            raise ConflictException(
                f"{NOUN} {training_dataset_arn} is used by audience model(s) {', '.join(users)}; "
                "delete them first"
            )
        self.remove(record)
