"""A Vertex AI model version read back as a unireg version."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from unireg.domain import SemVer, Stage, VersionSummary
from unireg.errors import ConflictError, InvalidInputError

from .mapping import (
    MANIFEST_LABEL,
    MODEL_LABEL,
    PRODUCTION_ALIAS,
    STAGE_LABEL,
    VERSION_LABEL,
    digest_from_label,
    parse_version_description,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VersionState:
    """One version as Vertex stores it: resource name, labels, aliases and etag."""

    resource: str
    version_id: str
    labels: dict[str, str]
    aliases: tuple[str, ...]
    etag: str
    deployed: bool
    summary: VersionSummary

    @property
    def version(self) -> SemVer:
        return self.summary.version

    @property
    def stage(self) -> Stage:
        return self.summary.stage

    @property
    def label_stage(self) -> str:
        return self.labels.get(STAGE_LABEL, "")


def read_stage(labels: dict[str, str], aliases: tuple[str, ...]) -> Stage:
    """Return a version's stage: the production alias decides production, the
    stage label decides the rest.

    A version labelled production without the alias lost the alias to another
    version outside unireg, so it reads as archived (replaced).
    """
    if PRODUCTION_ALIAS in aliases:
        return Stage.PRODUCTION
    stage = Stage(labels[STAGE_LABEL])
    return Stage.ARCHIVED if stage is Stage.PRODUCTION else stage


def _utc(value: Any) -> datetime:
    moment: datetime = value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_version(model: Any, expected_model: str, name: str) -> VersionState | None:
    """Read a ``Model`` resource of one version; return None for a version that
    unireg did not register (no unireg labels)."""
    if model.name != expected_model:
        raise ConflictError(
            f"Vertex AI returned {model.name} where {expected_model} was expected: "
            "the resource is outside the client's project and location"
        )
    labels = dict(model.labels)
    aliases = tuple(model.version_aliases)
    resource = f"{model.name}@{model.version_id}"
    if not {MODEL_LABEL, VERSION_LABEL, STAGE_LABEL, MANIFEST_LABEL} <= set(labels):
        log.debug("skipping %s: it has no unireg labels", resource)
        return None
    if labels[MODEL_LABEL] != name:
        raise ConflictError(
            f"{resource} is labelled {MODEL_LABEL}={labels[MODEL_LABEL]}, not {name}"
        )
    described = parse_version_description(model.version_description)
    if described is None:
        raise InvalidInputError(
            f"{resource} has the version description "
            f"{model.version_description!r}, which does not name its manifest"
        )
    version, manifest_uri = described
    if version != SemVer.from_label(labels[VERSION_LABEL]):
        raise ConflictError(
            f"{resource} is labelled {VERSION_LABEL}={labels[VERSION_LABEL]} but "
            f"described as {version}"
        )
    summary = VersionSummary(
        name=name,
        version=version,
        stage=read_stage(labels, aliases),
        native_id=str(model.version_id),
        created_at=_utc(model.version_create_time),
        updated_at=_utc(model.version_update_time),
        manifest_uri=manifest_uri,
        manifest_digest=digest_from_label(labels[MANIFEST_LABEL]),
    )
    return VersionState(
        resource=resource,
        version_id=str(model.version_id),
        labels=labels,
        aliases=aliases,
        etag=model.etag,
        deployed=bool(model.deployed_models),
        summary=summary,
    )
