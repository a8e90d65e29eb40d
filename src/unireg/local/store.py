"""A content-addressed file store: each distinct content is kept once, by digest."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from unireg.errors import ConflictError, NotFoundError
from unireg.files import sha256_file

_CHUNK = 1 << 20


class ContentStore:
    """Files under ``root/sha256/ab/cdef...``; writes are atomic renames."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        return self.root / "sha256" / sha256[:2] / sha256[2:]

    def uri_of(self, sha256: str) -> str:
        return self.path_of(sha256).resolve().as_uri()

    def put_file(self, source: Path, sha256: str) -> str:
        """Copy ``source`` in unless its digest is already stored; return its URI."""
        target = self.path_of(sha256)
        if target.exists():
            return self.uri_of(sha256)
        with (
            tempfile.NamedTemporaryFile(dir=self._staging(), delete=False) as handle,
            source.open("rb") as reader,
        ):
            shutil.copyfileobj(reader, handle, _CHUNK)
            handle.flush()
            os.fsync(handle.fileno())
            staged = Path(handle.name)
        return self._commit(staged, sha256)

    def put_bytes(self, payload: bytes) -> tuple[str, str]:
        """Store ``payload``; return its digest and URI."""
        sha256 = hashlib.sha256(payload).hexdigest()
        if self.path_of(sha256).exists():
            return sha256, self.uri_of(sha256)
        with tempfile.NamedTemporaryFile(dir=self._staging(), delete=False) as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
            staged = Path(handle.name)
        return sha256, self._commit(staged, sha256)

    def get_bytes(self, sha256: str) -> bytes:
        try:
            return self.path_of(sha256).read_bytes()
        except FileNotFoundError as exc:
            raise NotFoundError(
                f"stored file {sha256} is missing from {self.root}"
            ) from exc

    def _staging(self) -> Path:
        staging = self.root / "tmp"
        staging.mkdir(parents=True, exist_ok=True)
        return staging

    def _commit(self, staged: Path, sha256: str) -> str:
        """Check the staged copy's digest, then rename it into place."""
        actual, _ = sha256_file(staged)
        if actual != sha256:
            staged.unlink(missing_ok=True)
            raise ConflictError(
                f"file changed while it was stored: expected digest {sha256}, "
                f"read {actual}; register it again once it is no longer written to"
            )
        target = self.path_of(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, target)
        return self.uri_of(sha256)
