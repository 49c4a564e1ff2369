"""The one place that knows moto: inputs read from moto's Glue, S3 and IAM, and outputs
written into moto's S3 (docs/moto.md).

The package never imports moto. Whether moto's ``mock_aws`` is active is read from the
modules moto has already loaded (``sys.modules``), so a process without moto, or with moto
imported but not started, pays nothing. moto's backends are reached in process, never
through a client: reading a seed audience does not go through botocore, and nothing here
depends on which of the two mocks was started first.

What a resource does with what is found here (fail with ``statusDetails``, write its
outputs) is its own status machine's business: ``MissingInput`` carries the
``statusDetails`` a resource fails with.
"""

from __future__ import annotations

import importlib
import io
import sys
from collections.abc import Iterator
from typing import Any, NamedTuple

GLOBAL = "global"  # moto files S3 and IAM, which have no region, under this name


class MissingInput(Exception):
    """An input the service would read is missing or unusable: the resource that reads it
    fails, with ``statusDetails`` {"statusCode": code, "message": message}."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def status_details(self) -> dict[str, str]:
        return {"statusCode": self.code, "message": self.message}


def moto_active() -> bool:
    """True while moto's ``mock_aws`` is active in this process (moto is never imported
    here: a process that has not imported it has no moto to consult)."""
    core = sys.modules.get("moto.core.models")
    mock_class = getattr(core, "MockAWS", None) if core is not None else None
    return bool(mock_class is not None and getattr(mock_class, "_mocks_active", False))


def link_for(use_moto: bool | None) -> MotoLink | None:
    """The link to consult under the ``use_moto`` option, or None: with ``None`` whenever
    moto is active, with ``False`` never, with ``True`` while moto is active (``start``
    refuses to begin without it)."""
    if use_moto is False or not moto_active():
        return None
    return MotoLink()


def require_active(use_moto: bool | None, option: str) -> None:
    """A ``RuntimeError`` naming ``option`` when ``use_moto`` is True and moto's
    ``mock_aws`` is not active in this process (a mock in another process cannot be seen:
    docs/moto.md, "Server mode")."""
    if use_moto and not moto_active():
        raise RuntimeError(
            f"{option} needs moto's mock_aws to be active in this process: start it first "
            "(a moto in another process, such as moto_server, cannot be seen; docs/moto.md)"
        )


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key/prefix`` -> (bucket, key or prefix); a ``MissingInput`` for
    anything else."""
    if not uri.startswith("s3://") or len(uri) <= len("s3://"):
        raise MissingInput("InvalidS3Uri", f"{uri!r} is not an S3 URI (s3://bucket/key)")
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket:
        raise MissingInput("InvalidS3Uri", f"{uri!r} names no bucket")
    return bucket, key


class S3Object(NamedTuple):
    """An object stored in moto's S3: its address, its size, and a way to read it."""

    bucket: str
    key: str
    size: int
    stored: Any  # moto's own object (read through ``open``)

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def open(self) -> io.BufferedIOBase:
        """The object's bytes as a stream, read as far as the reader goes (moto keeps a
        large object in a spooled file; it is not copied whole to be read)."""
        buffer = getattr(self.stored, "_value_buffer", None)
        if buffer is not None and hasattr(buffer, "seek") and hasattr(buffer, "read"):
            return io.BufferedReader(_Window(buffer, self.size))
        return io.BytesIO(bytes(self.stored.value))


class _Window(io.RawIOBase):
    """A read-only stream over moto's buffer of an object, from its start, which keeps its
    own position (the buffer itself may be read by others in between)."""

    def __init__(self, buffer: Any, size: int) -> None:
        super().__init__()
        self._buffer = buffer
        self._size = size
        self._position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        want = min(len(target), self._size - self._position)
        if want <= 0:
            return 0
        self._buffer.seek(self._position)
        chunk = self._buffer.read(want)
        target[: len(chunk)] = chunk
        self._position += len(chunk)
        return len(chunk)


class MotoLink:
    """moto's S3, Glue and IAM, as the Clean Rooms ML service would see them."""

    @staticmethod
    def _backends(service: str) -> Any:
        return importlib.import_module("moto.backends").get_backend(service)

    def _s3(self, account_id: str) -> Any:
        return self._backends("s3")[account_id][GLOBAL]

    # ------------------------------------------------------------ IAM

    def role_exists(self, role_arn: str) -> bool:
        """Whether the IAM role ``role_arn`` exists in moto's IAM, in the account it names."""
        parts = role_arn.split(":", 5)
        if len(parts) != 6:
            return False
        backend = self._backends("iam")[parts[4]][GLOBAL]
        try:
            backend.get_role_by_arn(role_arn)
        except Exception:  # moto's IAM "not found"; whatever its class in this release
            return False
        return True

    def check_role(self, role_arn: str, field: str) -> None:
        """A ``MissingInput`` naming ``field`` if the role does not exist in moto's IAM."""
        if not self.role_exists(role_arn):
            raise MissingInput(
                "RoleNotFound",
                f"{field} {role_arn} does not exist in IAM: Clean Rooms ML cannot assume it",
            )

    # ------------------------------------------------------------ Glue

    def glue_columns(
        self, catalog_id: str, region: str, database: str, table: str
    ) -> list[dict[str, Any]]:
        """The columns (``Name``, ``Type``; partition keys included) of a Glue table in
        moto's Data Catalog ``catalog_id`` (an account) in ``region``; a ``MissingInput``
        naming what is not there."""
        glue = self._backends("glue")[catalog_id][region]
        if database not in getattr(glue, "databases", {}):
            raise MissingInput(
                "GlueDatabaseNotFound",
                f"Glue database {database} not found in catalog {catalog_id} in {region}",
            )
        try:
            found = glue.get_table(database, table)
        except Exception:  # moto's Glue "not found"
            raise MissingInput(
                "GlueTableNotFound",
                f"Glue table {database}.{table} not found in catalog {catalog_id} in {region}",
            ) from None
        described = found.as_dict()
        columns = list((described.get("StorageDescriptor") or {}).get("Columns") or [])
        return columns + list(described.get("PartitionKeys") or [])

    # ------------------------------------------------------------ S3

    def _bucket(self, account_id: str, bucket: str) -> Any:
        try:
            return self._s3(account_id).get_bucket(bucket)
        except Exception:  # moto's MissingBucket
            raise MissingInput("S3BucketNotFound", f"S3 bucket {bucket} does not exist") from None

    def s3_objects(self, account_id: str, uri: str) -> list[S3Object]:
        """The object ``uri`` names, or when there is none and ``uri`` is a prefix, every
        object under it (in key order); a ``MissingInput`` when there is nothing."""
        bucket_name, key = split_s3_uri(uri)
        bucket = self._bucket(account_id, bucket_name)
        keys = bucket.keys
        found = keys.get(key) if key and not key.endswith("/") else None
        if found is not None:
            return [S3Object(bucket_name, key, int(found.size), found)]
        objects = [
            S3Object(bucket_name, name, int(stored.size), stored)
            for name in sorted(keys.keys())
            if name.startswith(key) and not name.endswith("/")
            for stored in [keys.get(name)]
            if stored is not None
        ]
        if not objects:
            raise MissingInput("S3ObjectNotFound", f"no S3 object at {uri}")
        return objects

    def check_bucket(self, account_id: str, bucket: str) -> None:
        """A ``MissingInput`` (``S3BucketNotFound``) naming ``bucket`` if it does not exist."""
        self._bucket(account_id, bucket)

    def put_object(
        self,
        account_id: str,
        bucket: str,
        key: str,
        body: bytes,
        content_type: str | None = None,
    ) -> None:
        """Store ``body`` at ``s3://bucket/key`` in moto's S3 (the bucket must exist), with
        ``content_type`` as its ``Content-Type`` when given."""
        self._bucket(account_id, bucket)
        stored = self._s3(account_id).put_object(bucket, key, body)
        if content_type is not None:
            stored.set_metadata({"Content-Type": content_type})

    def lines(self, objects: list[S3Object]) -> Iterator[bytes]:
        """The lines of ``objects`` one after another, read only as far as the caller goes."""
        for found in objects:
            with found.open() as stream:
                yield from stream
