"""The version record: everything stored about one version of a model.

The record travels as a JSON manifest stored next to the artifact, because no cloud's
key/value metadata can hold it (SageMaker and Vertex AI forbid braces and quotes in
values, Azure properties are write-once strings). The registry entry keeps the
manifest's location and SHA-256 digest; ``manifest_digest`` is computed over the
canonical JSON so that every backend returns the record unchanged.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from unireg.errors import ConflictError, InvalidInputError

from .versions import SemVer

MANIFEST_SCHEMA = "unireg.manifest/1"

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Key = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:/@+=-]+$"),
]
ShortText = Annotated[str, StringConstraints(max_length=1024)]
LongText = Annotated[str, StringConstraints(max_length=20_000)]
JsonValue = Any  # checked by _check_json below: JSON types with finite numbers only


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)


class ArtifactRef(_Frozen):
    """A stored file: its URI, SHA-256 digest, format and size."""

    uri: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    sha256: Sha256
    format: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]{0,19}$")]
    size_bytes: int | None = Field(default=None, ge=0)


class CodeRef(_Frozen):
    """The training code: git commit, repository and whether the tree was dirty."""

    commit: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{7,64}$")] | None = None
    repository: ShortText | None = None
    dirty: bool | None = None


class DataRef(_Frozen):
    """The training data: a dataset version, a query or a snapshot id."""

    dataset_version: ShortText | None = None
    query: LongText | None = None
    snapshot_id: ShortText | None = None


class FeatureSpec(_Frozen):
    """One input feature or output field: name, type and expected range."""

    name: Key
    dtype: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    minimum: float | None = None
    maximum: float | None = None
    allowed_values: list[str] | None = None
    description: ShortText = ""

    @model_validator(mode="after")
    def _range(self) -> FeatureSpec:
        for bound in (self.minimum, self.maximum):
            if bound is not None and not math.isfinite(bound):
                raise ValueError(f"feature {self.name!r}: range bounds must be finite")
        if (
            self.minimum is not None
            and self.maximum is not None
            and self.minimum > self.maximum
        ):
            raise ValueError(
                f"feature {self.name!r}: minimum {self.minimum} exceeds "
                f"maximum {self.maximum}"
            )
        return self


class Dependencies(_Frozen):
    """Runtime requirements: Python version, package versions, system packages."""

    python: ShortText | None = None
    packages: dict[Key, Annotated[str, StringConstraints(max_length=128)]] = {}
    system: list[ShortText] = []


class PreprocessingArtifact(_Frozen):
    """A tokenizer, encoder, scaler or other file needed at inference time."""

    name: Key
    kind: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    artifact: ArtifactRef


class ModelCard(_Frozen):
    """The human-readable description of a version."""

    purpose: LongText = ""
    training_data: LongText = ""
    performance: LongText = ""
    limitations: LongText = ""
    ethical_considerations: LongText = ""

    def missing_sections(self) -> list[str]:
        return [name for name, text in self.model_dump().items() if not text.strip()]


class DeploymentConfig(_Frozen):
    """Serving requirements: accelerator, memory, replicas and server settings."""

    accelerator: ShortText | None = None
    memory_mb: int | None = Field(default=None, ge=1)
    replicas: int | None = Field(default=None, ge=1)
    serving: dict[Key, JsonValue] = {}

    @field_validator("serving")
    @classmethod
    def _serving_is_json(cls, value: dict[str, Any]) -> dict[str, Any]:
        _check_json(value, "deployment.serving")
        return value


class VersionRecord(_Frozen):
    """Everything recorded about one version."""

    artifact: ArtifactRef
    description: ShortText = ""
    code: CodeRef = CodeRef()
    data: DataRef = DataRef()
    hyperparameters: dict[Key, JsonValue] = {}
    metrics: dict[Key, float] = {}
    segment_metrics: dict[Key, dict[Key, float]] = {}
    feature_schema: list[FeatureSpec] = []
    output_schema: list[FeatureSpec] = []
    dependencies: Dependencies = Dependencies()
    preprocessing: list[PreprocessingArtifact] = []
    model_card: ModelCard = ModelCard()
    deployment: DeploymentConfig = DeploymentConfig()
    tags: dict[Key, Annotated[str, StringConstraints(max_length=256)]] = {}

    @field_validator("metrics", mode="before")
    @classmethod
    def _finite_metrics(cls, value: Any) -> Any:
        if isinstance(value, dict):
            _check_metrics(value, "metric")
        return value

    @field_validator("segment_metrics", mode="before")
    @classmethod
    def _finite_segment_metrics(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for segment, metrics in value.items():
                if isinstance(metrics, dict):
                    _check_metrics(metrics, f"segment {segment!r} metric")
        return value

    @field_validator("hyperparameters")
    @classmethod
    def _hyperparameters_are_json(cls, value: dict[str, Any]) -> dict[str, Any]:
        _check_json(value, "hyperparameters")
        return value


def _check_metrics(metrics: dict[Any, Any], what: str) -> None:
    for name, number in metrics.items():
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise ValueError(f"{what} {name!r} is {number!r}, not a number")
        if not math.isfinite(number):
            raise ValueError(
                f"{what} {name!r} is {number}; metrics must be finite numbers"
            )


def _check_json(value: Any, where: str) -> None:
    if value is None or isinstance(value, bool | str | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(
                f"{where} contains {value}; only finite numbers are allowed"
            )
        return
    if isinstance(value, list):
        for item in value:
            _check_json(item, where)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{where} has a key {key!r} that is not a string")
            _check_json(item, f"{where}.{key}")
        return
    raise ValueError(f"{where} contains {value!r}, which is not a JSON value")


def parse_record(data: Any, source: str = "version record") -> VersionRecord:
    """Validate a record, turning pydantic's report into one ``InvalidInputError``."""
    try:
        return VersionRecord.model_validate(data)
    except ValidationError as exc:
        raise InvalidInputError(f"{source} is invalid: {describe(exc)}") from exc


def describe(exc: ValidationError) -> str:
    """Render a pydantic error as 'field: problem' clauses."""
    parts = []
    for error in exc.errors():
        location = ".".join(str(item) for item in error["loc"]) or "value"
        message = _PLAIN_MESSAGES.get(error["type"]) or re.sub(
            r"^Value error, ", "", error["msg"]
        )
        parts.append(f"{location}: {message}")
    return "; ".join(parts)


# Plain wording for pydantic's error types whose own message names internals.
_PLAIN_MESSAGES = {
    "extra_forbidden": "unknown field; remove it or check its spelling",
    "missing": "required field is missing",
    "model_type": "must be a mapping of fields",
    "model_attributes_type": "must be a mapping of fields",
    "dict_type": "must be a mapping",
    "list_type": "must be a list",
}


def manifest_json(name: str, version: SemVer, record: VersionRecord) -> bytes:
    """Serialize the manifest canonically (sorted keys, no spaces, UTF-8)."""
    document = {
        "schema": MANIFEST_SCHEMA,
        "name": name,
        "version": str(version),
        "record": record.model_dump(mode="json"),
    }
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def manifest_digest(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def parse_manifest(payload: bytes, expected_digest: str, where: str) -> VersionRecord:
    """Read a manifest back, refusing one whose digest does not match the registry."""
    actual = manifest_digest(payload)
    if actual != expected_digest:
        raise ConflictError(
            f"manifest at {where} has digest {actual}, but the registry records "
            f"{expected_digest}: the manifest was changed after registration"
        )
    document = json.loads(payload)
    return parse_record(document["record"], f"manifest at {where}")
