"""Where the store keeps its signed PDFs: a local folder (the embedded default) or an S3-compatible bucket.

Both speak one small interface (``put``, ``delete``, ``names``, ``writable``, ``beside``); the index of letters stays in
SQLite or PostgreSQL (:mod:`naskah.store`). A file's location, as the index and the outbox record it, is a path
for the folder and ``s3://BUCKET/KEY`` for a bucket; :func:`location_of` turns that text back into something
with ``read_bytes()``, so whoever reads a letter's PDF needs not know where it is kept. Credentials are named
as environment variables, never written in the configuration; without them boto3 looks where it always does
(its own variables, an instance role). boto3 is imported only when a bucket is configured.

The signature flow keeps its drafts' previews and paraf copies ``beside`` the letters, through the same interface:
``STORE_DIR/drafts`` for the folder, ``drafts/`` next to the letters' prefix in the bucket, so that with a bucket
any API instance serves and signs a draft another made (:mod:`naskah.drafts_files`).
"""
from __future__ import annotations

import copy
import mimetypes
import os
import threading
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .errors import ConfigError
from .files import private_folder, write_atomically
from .secrets import ENV_NAME, read_secret

S3_SCHEME = "s3://"


class StoreOptions(BaseModel):
    """``[store]`` in the configuration file: where signed PDFs and the index of letters are kept."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["folder", "s3"] = Field(default="folder", description="folder: STORE_DIR/letters; s3: a bucket")
    index: str | None = Field(default=None, description="the index of letters: SQLite file or postgresql:// URL; "
                                                        "default STORE_DIR/index.sqlite")
    bucket: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
                               description="the S3 bucket (kind = s3)")
    prefix: str = Field(default="letters/", pattern=r"^([A-Za-z0-9_.-]+/)*$",
                        description="keys of the letters in the bucket start with this")
    endpoint_url: str | None = Field(default=None, description="an S3-compatible server (default: AWS)")
    region: str | None = Field(default=None, description="the bucket's region")
    access_key_id_env: str | None = Field(default=None, pattern=ENV_NAME,
                                          description="variable holding the access key id")
    secret_access_key_env: str | None = Field(default=None, pattern=ENV_NAME,
                                              description="variable holding the secret access key")
    create_bucket: bool = Field(default=False, description="create the bucket when it does not exist")

    @model_validator(mode="after")
    def _bucket_for_s3(self):
        if self.kind == "s3" and not self.bucket:
            raise ValueError("store kind s3 needs a bucket")
        if self.prefix.rstrip("/").rpartition("/")[2] == "drafts":
            raise ValueError("the letters' prefix must not end in drafts/: the drafts' previews are kept there")
        if bool(self.access_key_id_env) != bool(self.secret_access_key_env):
            raise ValueError("give access_key_id_env and secret_access_key_env together")
        return self


class ObjectStore(Protocol):
    """What the store needs of the place its PDFs are kept."""

    def put(self, name: str, data: bytes) -> "Path | ObjectLocation": ...

    def delete(self, location: "str | Path") -> None: ...

    def location(self, name: str) -> "Path | ObjectLocation": ...

    def names(self, start: str) -> list[str]: ...

    def writable(self) -> bool: ...

    def beside(self, name: str) -> "ObjectStore": ...


class FolderObjects:
    """PDFs as private files in one folder, each written atomically."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def put(self, name: str, data: bytes) -> Path:
        path = self.folder / name
        private_folder(path.parent)  # a name may hold a folder: drafts/<id>/v1.pdf
        write_atomically(path, data)
        return path

    def delete(self, location: str | Path) -> None:
        Path(location).unlink(missing_ok=True)

    def location(self, name: str) -> Path:
        return self.folder / name

    def names(self, start: str) -> list[str]:
        return sorted(path.name for path in self.folder.glob(f"{start}*"))

    def writable(self) -> bool:
        return os.access(self.folder, os.W_OK)

    def beside(self, name: str) -> "FolderObjects":
        """The folder ``name`` next to this one (STORE_DIR/letters -> STORE_DIR/drafts)."""
        return FolderObjects(self.folder.parent / name)


class ObjectLocation(str):
    """``s3://BUCKET/KEY``: a letter's PDF in a bucket, read through the bucket's client (:class:`S3Objects`)."""

    @property
    def bucket(self) -> str:
        return self[len(S3_SCHEME):].split("/", 1)[0]

    @property
    def key(self) -> str:
        return self[len(S3_SCHEME):].split("/", 1)[1]

    @property
    def name(self) -> str:
        return self.rsplit("/", 1)[-1]

    def read_bytes(self) -> bytes:
        buckets = _open_buckets.get(self.bucket)
        if buckets is None:
            raise FileNotFoundError(2, f"no client for bucket {self.bucket} (is [store] kind = \"s3\" configured?)")
        return buckets.get(self.key)


#: the buckets this process has opened, by name: what reads an ObjectLocation
_open_buckets: dict[str, "S3Objects"] = {}


class S3Objects:
    """PDFs as objects in an S3-compatible bucket (AWS, SeaweedFS, MinIO, Ceph...)."""

    def __init__(self, options: StoreOptions):
        try:
            import boto3
            from botocore.config import Config
        except ImportError:
            raise ConfigError("a store in an S3 bucket needs boto3: pip install -e '.[cluster]'") from None
        credentials = {}
        if options.access_key_id_env:
            credentials = dict(
                aws_access_key_id=read_secret(options.access_key_id_env, "S3 access key id", ConfigError),
                aws_secret_access_key=read_secret(options.secret_access_key_env, "S3 secret access key",
                                                  ConfigError))
        self.bucket = options.bucket
        self.prefix = options.prefix
        self.client = boto3.client(
            "s3", endpoint_url=options.endpoint_url, region_name=options.region,
            config=Config(s3={"addressing_style": "path"}, connect_timeout=10, read_timeout=60,
                          retries={"max_attempts": 5, "mode": "standard"}), **credentials)
        self._errors = self.client.exceptions
        if options.create_bucket:
            self._create_bucket()
        _open_buckets[self.bucket] = self

    def _create_bucket(self) -> None:
        with _creating:
            try:
                self.client.head_bucket(Bucket=self.bucket)
            except self._errors.ClientError:
                try:
                    self.client.create_bucket(Bucket=self.bucket)
                except (self._errors.BucketAlreadyOwnedByYou, self._errors.BucketAlreadyExists):
                    pass

    def put(self, name: str, data: bytes) -> ObjectLocation:
        location = self.location(name)
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        self.client.put_object(Bucket=self.bucket, Key=location.key, Body=data, ContentType=kind)
        return location

    def location(self, name: str) -> ObjectLocation:
        return ObjectLocation(f"{S3_SCHEME}{self.bucket}/{self.prefix}{name}")

    def get(self, key: str) -> bytes:
        from botocore.exceptions import BotoCoreError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except self._errors.NoSuchKey:
            raise FileNotFoundError(2, f"no object {key} in bucket {self.bucket}") from None
        except (BotoCoreError, self._errors.ClientError) as exc:  # away, refused: an OSError, as a folder's would be
            raise OSError(f"cannot read {key} from bucket {self.bucket}: {type(exc).__name__}") from None

    def delete(self, location: str | Path) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=ObjectLocation(str(location)).key)

    def names(self, start: str) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix + start)
        return sorted(item["Key"][len(self.prefix):] for page in pages for item in page.get("Contents", []))

    def beside(self, name: str) -> "S3Objects":
        """The same bucket and client, keys under ``name/`` next to this prefix (letters/ -> drafts/)."""
        other = copy.copy(self)
        other.prefix = f"{self.prefix.rstrip('/').rpartition('/')[0]}/{name}/".lstrip("/")
        return other

    def writable(self) -> bool:
        try:
            self.client.head_bucket(Bucket=self.bucket)
            return True
        except Exception:  # unreachable, refused, no such bucket: not ready, whatever the reason
            return False


_creating = threading.Lock()


def objects_for(options: StoreOptions, folder: Path) -> ObjectStore:
    """The configured place for PDFs; ``folder`` is the local one (``STORE_DIR/letters``)."""
    return S3Objects(options) if options.kind == "s3" else FolderObjects(folder)


def location_of(text: str | Path) -> "Path | ObjectLocation":
    """A recorded location (index, outbox) as something to ``read_bytes()`` from."""
    text = str(text)
    return ObjectLocation(text) if text.startswith(S3_SCHEME) else Path(text)
