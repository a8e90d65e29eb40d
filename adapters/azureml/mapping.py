"""How unireg's models, versions, stages and records are spelled on Azure ML.

- A model is a model container named by ``CLOUD_NAME_RULES["azureml"]``; the
  canonical name is also kept in the ``unireg.model`` tag of each version.
- A version is a model version whose id is a positive integer chosen by the adapter.
  The semantic version is kept in the ``unireg.version`` tag and property. The ARM
  API puts no pattern on version ids, but integers are what every Azure ML surface
  accepts: SDK v1 and MLflow on Azure ML expose integer model versions.
- The stage is the version's ``stage`` field (``Production``) and the
  ``unireg.stage`` tag (``production``); the tag is authoritative because
  azure-ai-ml drops ``stage`` on archive and restore. Archived and deprecated
  versions are also archived on Azure (``isArchived``).
"""

from __future__ import annotations

from unireg.domain import ModelName, SemVer, Stage, VersionRecord
from unireg.errors import InvalidInputError

TAG_MODEL = "unireg.model"
TAG_VERSION = "unireg.version"
TAG_STAGE = "unireg.stage"
TAG_MANIFEST_SHA256 = "unireg.manifest_sha256"
PROPERTY_MANIFEST_URI = "unireg.manifest_uri"
RESERVED_PREFIX = "unireg."

# Stages whose versions are archived on Azure, so hidden from default lists.
ARCHIVED_STAGES = frozenset({Stage.ARCHIVED, Stage.DEPRECATED})

# Azure documents no limits for model tags (azure-ai-ml ModelSchema tags is a
# plain dict). The limits of Azure resource tags are applied instead, which is
# inferred: https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources#limitations
MAX_TAGS = 50
MAX_TAG_KEY = 512
MAX_TAG_VALUE = 256
FORBIDDEN_TAG_KEY_CHARACTERS = "<>%&\\?/"


def azure_stage(stage: Stage) -> str:
    """Return the text of Azure's ``stage`` field for ``stage``."""
    return stage.value.capitalize()


def stage_from_tags(tags: dict[str, str], azure_field: str | None) -> Stage | None:
    """Read the stage from the tag, else from Azure's stage field."""
    text = tags.get(TAG_STAGE) or (azure_field or "").lower()
    try:
        return Stage(text)
    except ValueError:
        return None


def version_tags(
    name: ModelName,
    version: SemVer,
    stage: Stage,
    manifest_digest: str,
    record: VersionRecord,
) -> dict[str, str]:
    """Return every tag of a new version: the record's own tags, then unireg's."""
    tags = dict(record.tags)
    tags.update(
        {
            TAG_MODEL: str(name),
            TAG_VERSION: str(version),
            TAG_STAGE: stage.value,
            TAG_MANIFEST_SHA256: manifest_digest,
        }
    )
    return tags


def check_tags(tags: dict[str, str]) -> None:
    """Raise InvalidInputError for a record tag Azure would not hold."""
    if len(tags) + 4 > MAX_TAGS:
        raise InvalidInputError(
            f"the record has {len(tags)} tags; Azure ML accepts at most {MAX_TAGS} "
            f"per version and unireg uses 4 of them: keep at most {MAX_TAGS - 4}"
        )
    for key, value in tags.items():
        if key.startswith(RESERVED_PREFIX):
            raise InvalidInputError(
                f"record tag {key!r} starts with {RESERVED_PREFIX!r}, which unireg "
                "reserves for its own tags on Azure ML: rename it"
            )
        if len(key) > MAX_TAG_KEY or any(
            char in FORBIDDEN_TAG_KEY_CHARACTERS for char in key
        ):
            raise InvalidInputError(
                f"record tag {key!r} cannot be an Azure tag name: at most "
                f"{MAX_TAG_KEY} characters and none of "
                f"{FORBIDDEN_TAG_KEY_CHARACTERS!r}; rename it"
            )
        if len(value) > MAX_TAG_VALUE:
            raise InvalidInputError(
                f"record tag {key!r} has a value of {len(value)} characters; Azure "
                f"tag values hold at most {MAX_TAG_VALUE}: shorten it"
            )


def parse_native_id(text: str) -> int | None:
    """Return a version id as a number, or None for ids not made by unireg."""
    return int(text) if text.isdigit() and not text.startswith("0") else None
