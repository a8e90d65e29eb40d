"""The part of the Azure Blob Storage REST API that the adapter uses, in memory.

Served in path style, as Azurite does: ``/{account}/{container}/{blob}``. Operations:
Put Blob (with ``If-None-Match: *``), Get Blob (with ``x-ms-range``), Get Blob
Properties (HEAD) and List Blobs (with ``marker`` and ``maxresults``). Rules and
error codes follow https://learn.microsoft.com/rest/api/storageservices/ (Put Blob,
Get Blob, List Blobs, Blob service error codes).
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from werkzeug.wrappers import Request, Response

API_VERSION = "2025-05-05"


@dataclass
class Blob:
    data: bytes
    etag: str
    modified: datetime


@dataclass
class BlobState:
    """Accounts -> containers -> blobs."""

    page_size: int = 5000
    containers: dict[tuple[str, str], dict[str, Blob]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_container(self, account: str, container: str) -> None:
        with self.lock:
            self.containers.setdefault((account, container), {})


def error(status: int, code: str, message: str, head: bool = False) -> Response:
    body = (
        ""
        if head
        else f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code>'
        f"<Message>{escape(message)}</Message></Error>"
    )
    return Response(
        body,
        status=status,
        content_type="application/xml",
        headers=_headers({"x-ms-error-code": code}),
    )


def _headers(extra: dict[str, str] | None = None) -> dict[str, str]:
    headers = {
        "x-ms-version": API_VERSION,
        "x-ms-request-id": str(uuid.uuid4()),
        "Date": format_datetime(datetime.now(UTC), usegmt=True),
    }
    headers.update(extra or {})
    return headers


def handle_blob(state: BlobState, request: Request) -> Response:
    parts = request.path.lstrip("/").split("/", 2)
    if len(parts) < 2 or not parts[1]:
        return error(400, "InvalidUri", f"no container in {request.path}")
    account, container = parts[0], parts[1]
    with state.lock:
        blobs = state.containers.get((account, container))
        if blobs is None:
            head = request.method == "HEAD"
            return error(404, "ContainerNotFound", "container not found", head)
        if len(parts) == 2:
            if request.args.get("comp") == "list":
                return _list(state, blobs, account, container, request)
            return error(400, "InvalidQueryParameterValue", "unsupported request")
        name = parts[2]
        if request.method == "PUT":
            return _put(blobs, name, request)
        if request.method == "HEAD":
            return _head(blobs, name)
        if request.method == "GET":
            return _get(blobs, name, request)
    return error(405, "UnsupportedHttpVerb", request.method)


def _blob_headers(blob: Blob) -> dict[str, str]:
    return _headers(
        {
            "ETag": blob.etag,
            "Last-Modified": format_datetime(blob.modified, usegmt=True),
            "x-ms-creation-time": format_datetime(blob.modified, usegmt=True),
            "x-ms-blob-type": "BlockBlob",
            "Accept-Ranges": "bytes",
        }
    )


def _put(blobs: dict[str, Blob], name: str, request: Request) -> Response:
    if request.headers.get("x-ms-blob-type") != "BlockBlob":
        return error(400, "InvalidHeaderValue", "only block blobs are supported")
    # A conditional Put Blob with If-None-Match: * fails when the blob exists
    # (Put Blob, "conditional headers"; error BlobAlreadyExists, status 409).
    if request.headers.get("If-None-Match") == "*" and name in blobs:
        return error(409, "BlobAlreadyExists", "The specified blob already exists.")
    data = request.get_data()
    now = datetime.now(UTC).replace(microsecond=0)
    blob = Blob(data=data, etag=f'"0x{uuid.uuid4().hex[:15].upper()}"', modified=now)
    blobs[name] = blob
    headers = _blob_headers(blob)
    headers["Content-MD5"] = base64.b64encode(hashlib.md5(data).digest()).decode()  # noqa: S324 - the Put Blob contract, not security
    headers["x-ms-request-server-encrypted"] = "true"
    return Response(b"", status=201, headers=headers)


def _head(blobs: dict[str, Blob], name: str) -> Response:
    blob = blobs.get(name)
    if blob is None:
        return error(404, "BlobNotFound", "The specified blob does not exist.", True)
    headers = _blob_headers(blob)
    headers["Content-Length"] = str(len(blob.data))
    headers["Content-Type"] = "application/octet-stream"
    return Response(b"", status=200, headers=headers)


_RANGE = re.compile(r"bytes=(\d+)-(\d*)")


def _get(blobs: dict[str, Blob], name: str, request: Request) -> Response:
    blob = blobs.get(name)
    if blob is None:
        return error(404, "BlobNotFound", "The specified blob does not exist.")
    headers = _blob_headers(blob)
    requested = request.headers.get("x-ms-range") or request.headers.get("Range")
    match = _RANGE.fullmatch(requested or "")
    if match is None:
        return Response(
            blob.data,
            status=200,
            headers=headers,
            content_type="application/octet-stream",
        )
    size = len(blob.data)
    start = int(match.group(1))
    end = min(int(match.group(2)) if match.group(2) else size - 1, size - 1)
    if start >= size:
        # Get Blob on a range past the end: 416 InvalidRange (an empty blob too).
        headers["Content-Range"] = f"bytes */{size}"
        return Response(
            b"", status=416, headers={**headers, "x-ms-error-code": "InvalidRange"}
        )
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return Response(
        blob.data[start : end + 1],
        status=206,
        headers=headers,
        content_type="application/octet-stream",
    )


def _list(
    state: BlobState,
    blobs: dict[str, Blob],
    account: str,
    container: str,
    request: Request,
) -> Response:
    prefix = request.args.get("prefix", "")
    marker = request.args.get("marker", "")
    size = min(int(request.args.get("maxresults", "5000")), state.page_size)
    # List Blobs returns names in lexicographical order and continues from the
    # NextMarker of the previous page.
    names = sorted(n for n in blobs if n.startswith(prefix) and n >= marker)
    page, rest = names[:size], names[size:]
    items = "".join(_list_item(name, blobs[name]) for name in page)
    next_marker = rest[0] if rest else ""
    root = request.url_root.rstrip("/") + f"/{account}"
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<EnumerationResults ServiceEndpoint="{escape(root)}/" '
        f'ContainerName="{escape(container)}">'
        f"<Prefix>{escape(prefix)}</Prefix><Marker>{escape(marker)}</Marker>"
        f"<MaxResults>{size}</MaxResults><Blobs>{items}</Blobs>"
        f"<NextMarker>{escape(next_marker)}</NextMarker></EnumerationResults>"
    )
    return Response(
        body, status=200, content_type="application/xml", headers=_headers()
    )


def _list_item(name: str, blob: Blob) -> str:
    modified = format_datetime(blob.modified, usegmt=True)
    return (
        f"<Blob><Name>{escape(name)}</Name><Properties>"
        f"<Creation-Time>{modified}</Creation-Time>"
        f"<Last-Modified>{modified}</Last-Modified><Etag>{blob.etag}</Etag>"
        f"<Content-Length>{len(blob.data)}</Content-Length>"
        "<Content-Type>application/octet-stream</Content-Type>"
        "<BlobType>BlockBlob</BlobType></Properties></Blob>"
    )
