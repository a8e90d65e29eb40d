"""The client's blob container: artifacts, manifests, events and version claims.

Layout under ``<prefix>/unireg/``: ``artifacts/sha256/<digest>``,
``manifests/sha256/<digest>.json``, ``events/<model>/<event id>.json`` and
``claims/<model>/...``. Every write is create-only (``If-None-Match: *``), so a
blob once written never changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from unireg.errors import ConflictError, InvalidInputError


class BlobStore:
    """Create-only blobs in one container, every call measured by ``measure``."""

    def __init__(
        self,
        container: Any,
        prefix: str,
        call: Callable[[str, str, Callable[[], Any]], Any],
    ) -> None:
        self._container = container
        self.root = "/".join(part for part in (prefix, "unireg") if part)
        self._call = call
        self.url = container.url.rstrip("/")

    def key(self, *parts: str) -> str:
        return "/".join((self.root, *parts))

    def uri(self, key: str) -> str:
        return f"{self.url}/{key}"

    def key_of(self, uri: str) -> str | None:
        """Return the blob name of ``uri`` if it is in this container, else None."""
        prefix = self.url + "/"
        return uri[len(prefix) :] if uri.startswith(prefix) else None

    def exists(self, key: str) -> bool:
        blob = self._container.get_blob_client(key)
        return bool(self._call("GetBlobProperties", key, blob.exists))

    def create(self, key: str, data: bytes | Any, length: int | None = None) -> bool:
        """Write ``data`` unless the blob exists; return whether it was written."""
        from azure.core.exceptions import ResourceExistsError

        blob = self._container.get_blob_client(key)
        try:
            self._call(
                "PutBlob",
                key,
                lambda: blob.upload_blob(data, length=length, overwrite=False),
            )
        except ConflictError as exc:
            if isinstance(exc.__cause__, ResourceExistsError):
                return False
            raise
        return True

    def put_once(self, key: str, data: bytes) -> None:
        """Write ``data`` at a content-addressed key, checking existence first."""
        if not self.exists(key):
            self.create(key, data)

    def read(self, key: str) -> bytes:
        blob = self._container.get_blob_client(key)
        data: bytes = self._call("GetBlob", key, lambda: blob.download_blob().readall())
        return data

    def digest(self, key: str) -> tuple[str, int]:
        """Stream a blob and return its SHA-256 and size."""
        blob = self._container.get_blob_client(key)

        def stream() -> tuple[str, int]:
            sha256 = hashlib.sha256()
            size = 0
            for chunk in blob.download_blob().chunks():
                sha256.update(chunk)
                size += len(chunk)
            return sha256.hexdigest(), size

        result: tuple[str, int] = self._call("GetBlob", key, stream)
        return result

    def names(self, prefix: str) -> list[str]:
        """List every blob name under ``prefix``, following the continuation
        marker to the last page."""

        def collect() -> list[str]:
            return [item.name for item in self._container.list_blobs(prefix)]

        names: list[str] = self._call("ListBlobs", prefix, collect)
        return names

    def upload_file(self, key: str, path: Path) -> None:
        if self.exists(key):
            return
        with path.open("rb") as handle:
            self.create(key, handle, length=path.stat().st_size)


def require_key(store: BlobStore, uri: str) -> str:
    key = store.key_of(uri)
    if key is None:
        raise InvalidInputError(
            f"artifact {uri!r} is not in this client's container {store.url}: "
            "copy it there, or pass its digest with --sha256"
        )
    return key
