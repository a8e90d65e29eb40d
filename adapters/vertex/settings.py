"""Per-client settings of the Vertex AI backend, from ``clients.<id>.settings``."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from .mapping import MAX_LABELS, OWN_LABELS, RESERVED_LABEL_PREFIX, label_problem

# Project ids: 6 to 30 lowercase letters, digits and hyphens, starting with a letter
# (https://cloud.google.com/resource-manager/docs/creating-managing-projects).
ProjectId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")]
Location = Annotated[str, StringConstraints(pattern=r"^[a-z]+-[a-z]+[0-9]+$")]
# Bucket names: 3 to 63 characters without dots (dotted names need domain
# verification, https://cloud.google.com/storage/docs/buckets#naming).
BucketName = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$")
]
Prefix = Annotated[
    str, StringConstraints(pattern=r"^([A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*)?$")
]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]+$")]

# NOTE: a prebuilt Vertex AI prediction image, used only because UploadModel needs
# a container for custom models; set serving_image_uri to the client's own image.
DEFAULT_SERVING_IMAGE = "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-3:latest"

LOOPBACK = "127.0.0.1"


class VertexSettings(BaseModel):
    """The location of a client's Vertex AI registry and Cloud Storage bucket, and
    the credentials and limits used to reach them."""

    model_config = ConfigDict(extra="forbid")

    project: ProjectId
    location: Location
    bucket: BucketName
    prefix: Prefix = ""
    impersonate_service_account: Email | None = None
    api_endpoint: str | None = None
    storage_endpoint: str | None = None
    anonymous_credentials: bool = False
    serving_image_uri: str = Field(default=DEFAULT_SERVING_IMAGE, min_length=1)
    label_tags: list[str] = Field(default_factory=list)
    operation_timeout_s: float = Field(default=300.0, gt=0, le=3600)
    retry_initial_s: float = Field(default=1.0, gt=0, le=60)
    retry_deadline_s: float = Field(default=120.0, gt=0, le=900)
    page_size: int = Field(default=100, ge=1, le=1000)

    @model_validator(mode="after")
    def _check(self) -> VertexSettings:
        for field in ("api_endpoint", "storage_endpoint"):
            endpoint = getattr(self, field)
            if endpoint is not None and urlsplit(endpoint).scheme not in (
                "http",
                "https",
            ):
                raise ValueError(
                    f"{field} {endpoint!r} needs a scheme: use https://HOST or, for "
                    "an emulator, http://127.0.0.1:PORT"
                )
        if self.anonymous_credentials:
            self._check_anonymous()
        self._check_label_tags()
        return self

    def _check_anonymous(self) -> None:
        if self.impersonate_service_account is not None:
            raise ValueError(
                "anonymous_credentials and impersonate_service_account exclude each "
                "other: remove one"
            )
        for field in ("api_endpoint", "storage_endpoint"):
            endpoint = getattr(self, field)
            if endpoint is None or urlsplit(endpoint).hostname != LOOPBACK:
                raise ValueError(
                    f"anonymous_credentials is allowed only with an emulator: set "
                    f"{field} to http://{LOOPBACK}:PORT (it is {endpoint!r})"
                )

    def _check_label_tags(self) -> None:
        for key in self.label_tags:
            if key.startswith(RESERVED_LABEL_PREFIX):
                raise ValueError(
                    f"label_tags entry {key!r} starts with {RESERVED_LABEL_PREFIX!r}, "
                    "which unireg reserves for its own labels: rename the tag"
                )
            problem = label_problem(key, "")
            if problem is not None:
                raise ValueError(f"label_tags entry {key!r} is invalid: {problem}")
        if len(OWN_LABELS) + len(self.label_tags) > MAX_LABELS:
            raise ValueError(
                f"label_tags lists {len(self.label_tags)} tags, but a version has "
                f"at most {MAX_LABELS} labels and unireg uses {len(OWN_LABELS)}: "
                f"list at most {MAX_LABELS - len(OWN_LABELS)}"
            )

    @property
    def parent(self) -> str:
        return f"projects/{self.project}/locations/{self.location}"

    def key(self, *parts: str) -> str:
        """Return the object name ``<prefix>/unireg/<parts...>``."""
        return "/".join([p for p in (self.prefix, "unireg") if p] + list(parts))
