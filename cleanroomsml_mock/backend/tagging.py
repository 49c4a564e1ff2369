"""Tagging: the tags of every taggable record of an account and region. At most 50 tags
per resource, and keys starting with ``aws:`` are reserved (API reference: TagResource,
https://docs.aws.amazon.com/cleanrooms-ml/latest/APIReference/API_TagResource.html)."""

from __future__ import annotations

from typing import Any

from .. import changes
from ..errors import ResourceNotFoundException, ValidationException
from ..records import Record
from ._base import BackendBase


class Tagging(BackendBase):
    def _taggable(self, resource_arn: str) -> Record:
        record = self.records.get(resource_arn)
        if record is None or not record.taggable or record.removed:
            raise ResourceNotFoundException(f"Resource {resource_arn} not found")
        return record

    def tag_resource(self, *, resource_arn: str, tags: dict[str, str]) -> dict[str, Any]:
        record = self._taggable(resource_arn)
        self.check_tags(tags, record.tags)
        record.tags.update(tags)
        changes.note(record, self)
        return {}

    def untag_resource(self, *, resource_arn: str, tag_keys: list[str]) -> dict[str, Any]:
        record = self._taggable(resource_arn)
        reserved = [k for k in tag_keys if k.lower().startswith("aws:")]
        if reserved:
            raise ValidationException(
                f"Tag keys starting with 'aws:' are reserved and cannot be removed: "
                f"{', '.join(reserved)}"
            )
        for key in tag_keys:
            record.tags.pop(key, None)
        changes.note(record, self)
        return {}

    def list_tags_for_resource(self, *, resource_arn: str) -> dict[str, Any]:
        return {"tags": dict(self._taggable(resource_arn).tags)}
