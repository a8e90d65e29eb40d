"""A fake of the Cloud Storage JSON API, enough for google-cloud-storage 3.x.

Covers what the adapter uses: multipart, media and resumable uploads, downloads,
object metadata, listing with ``pageToken``, and ``ifGenerationMatch``
preconditions (https://cloud.google.com/storage/docs/json_api/v1/objects).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from .emulator_models import ApiError, timestamp

LIST_PAGE_MAX = 1000  # maxResults default and maximum (objects.list)


@dataclass
class StoredObject:
    bucket: str
    name: str
    data: bytes
    generation: int
    content_type: str
    created: datetime

    def resource(self) -> dict[str, Any]:
        return {
            "kind": "storage#object",
            "id": f"{self.bucket}/{self.name}/{self.generation}",
            "bucket": self.bucket,
            "name": self.name,
            "generation": str(self.generation),
            "metageneration": "1",
            "size": str(len(self.data)),
            "contentType": self.content_type,
            "md5Hash": base64.b64encode(hashlib.md5(self.data).digest()).decode(),  # noqa: S324 - the API's own checksum
            "crc32c": _crc32c(self.data),
            "timeCreated": timestamp(self.created),
            "updated": timestamp(self.created),
        }


def _crc32c(data: bytes) -> str:
    import google_crc32c

    return base64.b64encode(google_crc32c.value(data).to_bytes(4, "big")).decode()


class Storage:
    """Buckets and objects, in memory."""

    def __init__(self) -> None:
        self.buckets: dict[str, dict[str, StoredObject]] = {}
        self.lock = threading.RLock()
        self._generations = itertools.count(1_700_000_000_000_000)
        self._uploads: dict[str, dict[str, Any]] = {}

    def create_bucket(self, name: str) -> None:
        with self.lock:
            self.buckets.setdefault(name, {})

    def _bucket(self, name: str) -> dict[str, StoredObject]:
        bucket = self.buckets.get(name)
        if bucket is None:
            raise ApiError(404, "NOT_FOUND", f"The bucket {name} does not exist.")
        return bucket

    def get(self, bucket: str, name: str) -> StoredObject:
        with self.lock:
            found = self._bucket(bucket).get(name)
        if found is None:
            raise ApiError(404, "NOT_FOUND", f"No such object: {bucket}/{name}")
        return found

    def put(
        self,
        bucket: str,
        name: str,
        data: bytes,
        content_type: str,
        if_generation_match: str | None,
    ) -> StoredObject:
        if not name:
            raise ApiError(400, "INVALID_ARGUMENT", "The object name is required.")
        with self.lock:
            objects = self._bucket(bucket)
            current = objects.get(name)
            if if_generation_match is not None:
                # ifGenerationMatch=0 means "only if no live object exists".
                expected = int(if_generation_match)
                actual = current.generation if current else 0
                if expected != actual:
                    raise ApiError(
                        412,
                        "FAILED_PRECONDITION",
                        "At least one of the pre-conditions you specified did not "
                        "hold.",
                    )
            stored = StoredObject(
                bucket,
                name,
                data,
                next(self._generations),
                content_type or "application/octet-stream",
                datetime.now(UTC),
            )
            objects[name] = stored
            return stored

    def list(self, bucket: str, query: dict[str, str]) -> dict[str, Any]:
        prefix = query.get("prefix", "")
        size = min(int(query.get("maxResults") or LIST_PAGE_MAX), LIST_PAGE_MAX)
        with self.lock:
            names = sorted(n for n in self._bucket(bucket) if n.startswith(prefix))
            token = query.get("pageToken", "")
            names = [n for n in names if n > token] if token else names
            page = [self._bucket(bucket)[n].resource() for n in names[:size]]
        body: dict[str, Any] = {"kind": "storage#objects", "items": page}
        if len(names) > size:
            body["nextPageToken"] = page[-1]["name"]
        return body

    # Uploads.

    def upload(
        self, bucket: str, query: dict[str, str], headers: Any, body: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        kind = query.get("uploadType", "media")
        precondition = query.get("ifGenerationMatch")
        if kind == "media":
            stored = self.put(
                bucket,
                query.get("name", ""),
                body,
                headers.get("Content-Type", ""),
                precondition,
            )
            return 200, stored.resource(), {}
        if kind == "multipart":
            metadata, data, content_type = _split_multipart(headers, body)
            name = metadata.get("name") or query.get("name", "")
            stored = self.put(bucket, name, data, content_type, precondition)
            return 200, stored.resource(), {}
        if kind == "resumable":
            metadata = _json(body) if body else {}
            upload_id = f"upload-{next(self._generations)}"
            self._uploads[upload_id] = {
                "bucket": bucket,
                "name": metadata.get("name") or query.get("name", ""),
                "content_type": metadata.get("contentType")
                or headers.get("X-Upload-Content-Type", ""),
                "precondition": precondition,
                "data": b"",
            }
            return 200, {}, {"upload_id": upload_id}
        raise ApiError(400, "INVALID_ARGUMENT", f"Unknown uploadType {kind!r}.")

    def upload_chunk(
        self, upload_id: str, headers: Any, body: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Append a chunk (``Content-Range: bytes A-B/TOTAL``); finish at TOTAL."""
        with self.lock:
            state = self._uploads.get(upload_id)
            if state is None:
                raise ApiError(404, "NOT_FOUND", f"No upload {upload_id}.")
            state["data"] += body
            total = headers.get("Content-Range", "").rpartition("/")[2]
            if total in ("", "*"):
                received = len(state["data"])
                return 308, {}, {"Range": f"bytes=0-{received - 1}"}
            del self._uploads[upload_id]
        stored = self.put(
            state["bucket"],
            state["name"],
            state["data"],
            state["content_type"],
            state["precondition"],
        )
        return 200, stored.resource(), {}


def _json(body: bytes) -> dict[str, Any]:
    import json

    loaded = json.loads(body)
    return loaded if isinstance(loaded, dict) else {}


def _split_multipart(headers: Any, body: bytes) -> tuple[dict[str, Any], bytes, str]:
    """Split a ``multipart/related`` upload into its metadata and its data."""
    head = f"Content-Type: {headers.get('Content-Type', '')}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    parts = list(message.iter_parts())
    if len(parts) != 2:
        raise ApiError(400, "INVALID_ARGUMENT", "A multipart upload has two parts.")
    metadata = _json(bytes(parts[0].get_payload(decode=True) or b"{}"))
    data = bytes(parts[1].get_payload(decode=True) or b"")
    return metadata, data, parts[1].get_content_type()
