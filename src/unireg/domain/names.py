"""Model and artifact names, and how each cloud spells them.

The agency names every model ``{client}_{domain}_{task}_{variant}``, for example
``acme_retail_churn_v1``. Each segment is lowercase ASCII letters and digits, so the
only separator is ``_`` and the translation to a cloud that forbids ``_`` (SageMaker)
is the reversible swap ``_`` <-> ``-``. Adapters still store the canonical name beside
the cloud name (a tag or label), so a reader never depends on the swap alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from unireg.errors import InvalidInputError

# The strictest cloud limit on a model's identifier: SageMaker group names and Vertex
# model ids both stop at 63 characters, and so do Vertex label values, where the
# canonical name is stored.
MAX_MODEL_NAME_LENGTH = 63

_SEGMENT_NAMES = ("client", "domain", "task", "variant")
_WORD = re.compile(r"[a-z][a-z0-9]*")
_VARIANT = re.compile(r"[a-z0-9]+")
_FORMAT = re.compile(r"[a-z][a-z0-9]{0,19}")


@dataclass(frozen=True, order=True)
class ModelName:
    """A canonical model name, split into its four segments."""

    client: str
    domain: str
    task: str
    variant: str

    def __str__(self) -> str:
        return f"{self.client}_{self.domain}_{self.task}_{self.variant}"


def parse_model_name(text: str) -> ModelName:
    """Parse ``{client}_{domain}_{task}_{variant}``, naming the segment at fault."""
    if not isinstance(text, str) or not text:
        raise InvalidInputError(
            "model name is empty: use {client}_{domain}_{task}_{variant}, "
            "for example acme_retail_churn_v1"
        )
    if len(text) > MAX_MODEL_NAME_LENGTH:
        raise InvalidInputError(
            f"model name {text!r} has {len(text)} characters, more than the "
            f"{MAX_MODEL_NAME_LENGTH} that SageMaker and Vertex AI accept: "
            "shorten a segment"
        )

    segments = text.split("_")
    if len(segments) != len(_SEGMENT_NAMES):
        raise InvalidInputError(
            f"model name {text!r} has {len(segments)} "
            f"{'segment' if len(segments) == 1 else 'segments'} separated by '_', "
            "expected 4: {client}_{domain}_{task}_{variant}, "
            "for example acme_retail_churn_v1"
        )

    for label, segment in zip(_SEGMENT_NAMES, segments, strict=True):
        pattern = _VARIANT if label == "variant" else _WORD
        if not pattern.fullmatch(segment):
            rule = (
                "lowercase letters and digits"
                if label == "variant"
                else "a lowercase letter, then lowercase letters and digits"
            )
            raise InvalidInputError(
                f"model name {text!r}: the {label} segment {segment!r} is invalid; "
                f"use {rule} (no '-', '.' or capitals)"
            )
    return ModelName(*segments)


def check_format(fmt: str) -> str:
    """Check an artifact format such as ``onnx`` or ``pickle``."""
    if not _FORMAT.fullmatch(fmt):
        raise InvalidInputError(
            f"artifact format {fmt!r} is invalid: use 1 to 20 lowercase letters "
            "and digits starting with a letter, for example onnx, pickle or joblib"
        )
    return fmt


def artifact_name(name: ModelName, version: str, fmt: str) -> str:
    """Return ``{model}_{version}_{format}``: ``acme_retail_churn_v1_1.2.0_onnx``."""
    return f"{name}_{version}_{check_format(fmt)}"


@dataclass(frozen=True)
class CloudNameRule:
    """The spelling rule of one cloud's model identifiers, with its source."""

    cloud: str
    pattern: re.Pattern[str]
    max_length: int
    rule: str
    source: str
    hyphenate: bool = False

    def native(self, name: ModelName) -> str:
        """Return the cloud's spelling of ``name``; raise if the cloud can't hold it."""
        native = str(name).replace("_", "-") if self.hyphenate else str(name)
        if len(native) > self.max_length or not self.pattern.fullmatch(native):
            raise InvalidInputError(
                f"model name {str(name)!r} cannot be stored on {self.cloud}: "
                f"{self.rule} ({self.source}); choose a shorter or simpler name"
            )
        return native

    def canonical(self, native: str) -> ModelName:
        """Invert ``native``."""
        return parse_model_name(native.replace("-", "_") if self.hyphenate else native)


CLOUD_NAME_RULES = {
    "sagemaker": CloudNameRule(
        cloud="SageMaker",
        pattern=re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"),
        max_length=63,
        rule="model package group names are 1-63 letters, digits and hyphens",
        source="SageMaker API CreateModelPackageGroup, ModelPackageGroupName",
        hyphenate=True,
    ),
    "vertex": CloudNameRule(
        cloud="Vertex AI",
        pattern=re.compile(r"[a-z_][a-z0-9_-]{0,62}"),
        max_length=63,
        rule="model ids are up to 63 of a-z, 0-9, '_' and '-', not starting "
        "with a digit or hyphen",
        source="Vertex AI v1 UploadModelRequest.model_id",
    ),
    "azureml": CloudNameRule(
        cloud="Azure Machine Learning",
        pattern=re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_-]{0,254}"),
        max_length=255,
        rule="model names are 1-255 letters, digits, '-' and '_', with no '.'",
        source="ARM type Microsoft.MachineLearningServices/workspaces/models",
    ),
}
