"""The client's Cloud Storage bucket: manifests, artifacts and history events."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from unireg.errors import InvalidInputError, UniregError
from unireg.port import CallStats

from .calls import sdk_errors, translate


class Bucket:
    """One bucket, every call counted in ``stats`` and translated at the edge."""

    def __init__(
        self, client: Any, name: str, stats: CallStats, retry: Any, owner: str
    ) -> None:
        self.name = name
        self._bucket = client.bucket(name)
        self._client = client
        self._stats = stats
        self._retry = retry
        self._owner = owner

    def uri(self, key: str) -> str:
        return f"gs://{self.name}/{key}"

    def key_of(self, uri: str) -> str:
        """Return the object name of a ``gs://`` URI in this bucket, or raise."""
        prefix = f"gs://{self.name}/"
        if not uri.startswith(prefix) or len(uri) == len(prefix):
            raise InvalidInputError(
                f"{uri!r} is not an object of the client's bucket gs://{self.name}: "
                "pass its digest with --sha256, or copy it into that bucket"
            )
        return uri[len(prefix) :]

    def _call(self, operation: str, key: str, action: Any) -> Any:
        with self._stats.measure(operation):
            try:
                return action()
            except UniregError:
                raise
            except sdk_errors() as exc:
                raise translate(
                    exc,
                    action=operation,
                    resource=self.uri(key),
                    client=self._owner,
                ) from exc

    def exists(self, key: str) -> bool:
        blob = self._bucket.blob(key)
        return bool(
            self._call("storage.get", key, lambda: blob.exists(retry=self._retry))
        )

    def create(self, key: str, data: bytes | Path, content_type: str) -> bool:
        """Write an object only if none exists; return False if one did."""
        from google.api_core.exceptions import PreconditionFailed

        blob = self._bucket.blob(key)

        def upload() -> bool:
            try:
                if isinstance(data, Path):
                    blob.upload_from_filename(
                        str(data),
                        content_type=content_type,
                        if_generation_match=0,
                        retry=self._retry,
                    )
                else:
                    blob.upload_from_string(
                        data,
                        content_type=content_type,
                        if_generation_match=0,
                        retry=self._retry,
                    )
            except PreconditionFailed:
                return False
            return True

        return bool(self._call("storage.insert", key, upload))

    def read(self, key: str) -> bytes:
        blob = self._bucket.blob(key)
        payload = self._call(
            "storage.download", key, lambda: blob.download_as_bytes(retry=self._retry)
        )
        return bytes(payload)

    def read_if_exists(self, key: str) -> bytes | None:
        from google.api_core.exceptions import NotFound

        blob = self._bucket.blob(key)

        def download() -> bytes | None:
            try:
                return bytes(blob.download_as_bytes(retry=self._retry))
            except NotFound:
                return None

        payload: bytes | None = self._call("storage.download", key, download)
        return payload

    def overwrite(self, key: str, data: bytes, content_type: str) -> None:
        blob = self._bucket.blob(key)
        # Without a precondition the upload is not retried by default; this one
        # is idempotent, so the bounded retry is passed explicitly.
        self._call(
            "storage.insert",
            key,
            lambda: blob.upload_from_string(
                data, content_type=content_type, retry=self._retry
            ),
        )

    def digest(self, key: str) -> tuple[str, int]:
        """Stream an object and return its SHA-256 and size."""
        blob = self._bucket.blob(key)

        def stream() -> tuple[str, int]:
            writer = _DigestWriter()
            blob.download_to_file(writer, retry=self._retry)
            return writer.digest.hexdigest(), writer.size

        result: tuple[str, int] = self._call("storage.download", key, stream)
        return result

    def names(self, prefix: str, page_size: int) -> Iterator[str]:
        """Yield every object name under ``prefix``, one counted call per page."""
        # list_blobs sends nothing until its pages are read.
        iterator = self._client.list_blobs(
            self.name, prefix=prefix, page_size=page_size, retry=self._retry
        )
        pages = iter(iterator.pages)
        while True:
            page = self._call("storage.list", prefix, lambda: next(pages, None))
            if page is None:
                return
            for blob in page:
                yield blob.name
            if not iterator.next_page_token:
                return


class _DigestWriter:
    """A write-only file that keeps a SHA-256 and a byte count, not the bytes."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> int:
        self.digest.update(chunk)
        self.size += len(chunk)
        return len(chunk)
