"""The client's S3 bucket: artifacts, manifests and the history of each model.

Layout under ``s3://<bucket>/<prefix>/unireg/``:

    artifacts/sha256/<digest>          a local artifact, stored once per content
    manifests/sha256/<digest>.json     a version's manifest
    events/<model>/<event id>.json     one history event, written create-only

Every call passes ExpectedBucketOwner, so a bucket of another account is never read
or written even if its name is given
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from unireg.domain import Event, ModelName
from unireg.errors import ConflictError, InvalidInputError, NotFoundError

from .connection import Connection

# A single PutObject takes at most 5 GiB
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/upload-objects.html).
MAX_SINGLE_PUT = 5 * 1024**3
# Parallel reads of objects or model packages; each is one HTTPS request.
READ_WORKERS = 8
_CHUNK = 1 << 20

T = TypeVar("T")
R = TypeVar("R")


def parallel_map(function: Callable[[T], R], items: list[T]) -> list[R]:
    """Apply ``function`` to every item on a small thread pool, keeping the order."""
    if len(items) <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(READ_WORKERS, len(items))) as pool:
        return list(pool.map(function, items))


def split_s3_uri(uri: str) -> tuple[str, str]:
    """Split ``s3://bucket/key`` into bucket and key."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not uri.startswith("s3://") or not bucket or not key:
        raise InvalidInputError(f"{uri!r} is not an S3 object URI: use s3://bucket/key")
    return bucket, key


class Storage:
    """Objects of one client's bucket."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        settings = connection.settings
        self.bucket = settings.bucket
        self.owner = settings.account_id
        self.root = f"{settings.prefix}/unireg" if settings.prefix else "unireg"

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    # Artifacts and manifests.

    def put_artifact(self, path: Path, sha256: str) -> str:
        """Upload ``path`` unless an object with its digest exists; return its URI.

        S3 checks the upload against ``sha256`` (ChecksumSHA256), so a file changed
        after it was hashed is rejected instead of stored under the wrong digest.
        """
        key = f"{self.root}/artifacts/sha256/{sha256}"
        if self._exists(key):
            return self.uri(key)
        size = path.stat().st_size
        if size > MAX_SINGLE_PUT:
            raise InvalidInputError(
                f"artifact {str(path)!r} has {size} bytes, more than the 5 GiB of a "
                "single S3 upload: upload it yourself and register its s3:// URI "
                "with --sha256"
            )
        checksum = base64.b64encode(bytes.fromhex(sha256)).decode()
        with path.open("rb") as body:
            self._s3(
                "PutObject",
                key,
                "put_object",
                Key=key,
                Body=body,
                ChecksumSHA256=checksum,
            )
        return self.uri(key)

    def manifest_key(self, digest: str) -> str:
        return f"{self.root}/manifests/sha256/{digest}.json"

    def put_manifest(self, payload: bytes, digest: str) -> str:
        """Store a manifest under its digest; an identical one may already exist."""
        key = self.manifest_key(digest)
        # A conflict means the key exists, and the key is the digest of the bytes.
        with contextlib.suppress(ConflictError):
            self._s3(
                "PutObject",
                key,
                "put_object",
                Key=key,
                Body=payload,
                ContentType="application/json",
                IfNoneMatch="*",
            )
        return self.uri(key)

    def read(self, uri: str) -> bytes:
        """Read an object of the client's account."""
        bucket, key = split_s3_uri(uri)
        response = self._s3("GetObject", uri, "get_object", Bucket=bucket, Key=key)
        with response["Body"] as body:
            data: bytes = body.read()
        return data

    def describe(self, uri: str) -> tuple[str, int]:
        """Stream an object of the client's account; return its SHA-256 and size."""
        bucket, key = split_s3_uri(uri)
        response = self._s3("GetObject", uri, "get_object", Bucket=bucket, Key=key)
        digest = hashlib.sha256()
        size = 0
        with response["Body"] as body:
            for chunk in iter(lambda: body.read(_CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
        return digest.hexdigest(), size

    def _exists(self, key: str) -> bool:
        try:
            self._s3("HeadObject", key, "head_object", Key=key)
        except NotFoundError:
            return False
        return True

    # History.

    def append_event(self, event: Event) -> None:
        key = f"{self.root}/events/{event.model}/{event.id}.json"
        try:
            self._s3(
                "PutObject",
                key,
                "put_object",
                Key=key,
                Body=event.model_dump_json().encode(),
                ContentType="application/json",
                IfNoneMatch="*",
            )
        except ConflictError as exc:
            raise ConflictError(
                f"event {event.id} of {event.model} already exists; events are "
                "never overwritten",
                client=self.connection.client,
                backend="sagemaker",
                resource=self.uri(key),
            ) from exc

    def list_events(self, name: ModelName | None) -> list[Event]:
        """Return the events of one model or of all, oldest first (ids sort by time)."""
        prefix = f"{self.root}/events/" + (f"{name}/" if name else "")
        keys = sorted(self._keys(prefix), key=lambda key: key.rsplit("/", 1)[-1])
        bodies = parallel_map(lambda key: self.read(self.uri(key)), keys)
        return [Event.model_validate_json(body) for body in bodies]

    def _keys(self, prefix: str) -> Iterator[str]:
        token: str | None = None
        while True:
            params: dict[str, Any] = {"Prefix": prefix}
            if token:
                params["ContinuationToken"] = token
            page = self._s3("ListObjectsV2", prefix, "list_objects_v2", **params)
            for item in page.get("Contents", []):
                yield item["Key"]
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return

    def _s3(self, operation: str, key: str, method: str, **params: Any) -> Any:
        params.setdefault("Bucket", self.bucket)
        params["ExpectedBucketOwner"] = self.owner
        resource = key if key.startswith("s3://") else self.uri(key)
        s3 = self.connection.s3()
        return self.connection.call(operation, resource, getattr(s3, method), **params)
