"""Spelling of unireg's models, versions and stages in the SageMaker Model Registry.

Pure functions and constants, no SDK: the backend and the emulator both use them, so
the limits checked before the first call are the ones the emulator enforces.

Limits come from the botocore SageMaker service model (API 2017-07-24, botocore 1.44,
``botocore/data/sagemaker/2017-07-24/service-2.json``), whose shapes match
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackage.html.
botocore checks only required members and minimum lengths on the client, so every
maximum, pattern and entry count below is checked here.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from unireg.domain import ModelName, SemVer, Stage, VersionRecord
from unireg.errors import InvalidInputError

# Keys of CustomerMetadataProperties that unireg writes on every version.
VERSION_KEY = "unireg:version"
MANIFEST_URI_KEY = "unireg:manifest-uri"
MANIFEST_SHA256_KEY = "unireg:manifest-sha256"
ARTIFACT_SHA256_KEY = "unireg:artifact-sha256"
RESERVED_PREFIX = "unireg:"
UNIREG_KEYS = (VERSION_KEY, MANIFEST_URI_KEY, MANIFEST_SHA256_KEY, ARTIFACT_SHA256_KEY)

# Tags of the model package group.
MODEL_TAG = "unireg:model"
CLIENT_TAG = "unireg:client"

# botocore:CustomerMetadataMap (1-50 entries), CustomerMetadataKey (1-128),
# CustomerMetadataValue (1-256); both use the class [\p{L}\p{Z}\p{N}_.:/=+\-@].
MAX_METADATA_ENTRIES = 50
MAX_METADATA_KEY = 128
MAX_METADATA_VALUE = 256
METADATA_PUNCTUATION = frozenset("_.:/=+-@")

# botocore:EntityDescription, 0-1024 of [\p{L}\p{M}\p{Z}\p{S}\p{N}\p{P}], that is any
# character but the "other" categories (control, format, private use, unassigned).
MAX_DESCRIPTION = 1024
# botocore:MetadataPropertyValue (CommitId, Repository), 0-1024 of ".*": no line breaks.
MAX_METADATA_PROPERTY = 1024
# botocore:ModelPackageSourceUri, 0-1024.
MAX_SOURCE_URI = 1024
# botocore:ClientToken, 1-36 of [a-zA-Z0-9-].
CLIENT_TOKEN_PATTERN = re.compile(r"[a-zA-Z0-9-]{1,36}")
# botocore:EntityName, used by ModelLifeCycle.Stage and StageStatus.
ENTITY_NAME_PATTERN = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
# botocore:StageDescription, 0-1024 of ".": no line breaks.
MAX_STAGE_DESCRIPTION = 1024


@dataclass(frozen=True)
class StageMapping:
    """The ModelLifeCycle of one unireg stage."""

    stage: str
    status: str


# ModelLifeCycle.Stage names the stage and StageStatus gives the version's state
# within it, after AWS's own templates (Development/InProgress, PreProduction/Approved,
# Archived/Retired) on
# https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-staging-construct-set-up.html
STAGES: dict[Stage, StageMapping] = {
    Stage.DEVELOPMENT: StageMapping("Development", "InProgress"),
    Stage.STAGING: StageMapping("Staging", "PendingApproval"),
    Stage.PRODUCTION: StageMapping("Production", "Approved"),
    Stage.ARCHIVED: StageMapping("Archived", "Retired"),
    Stage.DEPRECATED: StageMapping("Deprecated", "PendingDeletion"),
}
_STAGE_BY_NAME = {mapping.stage: stage for stage, mapping in STAGES.items()}

APPROVED = "Approved"
REJECTED = "Rejected"
PENDING = "PendingManualApproval"


def stage_from_lifecycle(lifecycle: dict[str, str] | None) -> Stage | None:
    """Return the unireg stage of a ModelLifeCycle, or None if unireg did not set it."""
    if not lifecycle:
        return None
    return _STAGE_BY_NAME.get(lifecycle.get("Stage", ""))


def approval_for(target: Stage, current: str | None) -> str:
    """Return the ModelApprovalStatus a version gets when it moves to ``target``.

    Production must be Approved, because SageMaker deploys only Approved packages.
    Archived and deprecated versions are Rejected, so no deployment pipeline picks
    them. Development and staging keep PendingManualApproval, except that a version
    leaving production becomes Rejected: the documented transitions out of Approved
    lead only to Rejected
    (https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-approve.html).
    """
    if target is Stage.PRODUCTION:
        return APPROVED
    if target in (Stage.ARCHIVED, Stage.DEPRECATED):
        return REJECTED
    if current in (APPROVED, REJECTED):
        return REJECTED
    return PENDING


def client_token(name: ModelName, version: SemVer, artifact_sha256: str) -> str:
    """Return the ClientToken of a registration: 36 hex digits derived from the model,
    version and artifact digest, so a retried call creates no second package."""
    seed = f"{name}\n{version}\n{artifact_sha256}".encode()
    return hashlib.sha256(seed).hexdigest()[:36]


# Checks of documented limits.


def is_metadata_character(char: str) -> bool:
    return unicodedata.category(char)[0] in "LZN" or char in METADATA_PUNCTUATION


def is_description_character(char: str) -> bool:
    return unicodedata.category(char)[0] != "C"


def check_metadata_key(field: str, key: str) -> None:
    """Raise unless ``key`` is a valid CustomerMetadataProperties key."""
    if not 1 <= len(key) <= MAX_METADATA_KEY:
        raise InvalidInputError(
            f"{field}: key {key!r} has {len(key)} characters; SageMaker metadata keys "
            f"take 1 to {MAX_METADATA_KEY}: shorten it"
        )
    bad = [char for char in key if not is_metadata_character(char)]
    if bad:
        raise InvalidInputError(
            f"{field}: key {key!r} contains {bad[0]!r}; SageMaker metadata keys take "
            "letters, digits, spaces and _ . : / = + - @ only: replace it"
        )


def check_metadata_value(field: str, value: str) -> None:
    """Raise unless ``value`` is a valid CustomerMetadataProperties value."""
    if not 1 <= len(value) <= MAX_METADATA_VALUE:
        raise InvalidInputError(
            f"{field}: value {value!r} has {len(value)} characters; SageMaker "
            f"metadata values take 1 to {MAX_METADATA_VALUE}: shorten it or keep it "
            "in the record instead of a tag"
        )
    bad = [char for char in value if not is_metadata_character(char)]
    if bad:
        raise InvalidInputError(
            f"{field}: value {value!r} contains {bad[0]!r}; SageMaker metadata values "
            "take letters, digits, spaces and _ . : / = + - @ only: replace it"
        )


def check_metadata(properties: dict[str, str], field: str) -> None:
    """Raise unless ``properties`` fit CustomerMetadataProperties."""
    if len(properties) > MAX_METADATA_ENTRIES:
        raise InvalidInputError(
            f"{field}: {len(properties)} metadata entries; SageMaker keeps at most "
            f"{MAX_METADATA_ENTRIES} per version, {len(UNIREG_KEYS)} of them for "
            f"unireg: remove {len(properties) - MAX_METADATA_ENTRIES} tags"
        )
    for key, value in properties.items():
        check_metadata_key(field, key)
        check_metadata_value(f"{field}.{key}", value)


def check_description(field: str, text: str, maximum: int = MAX_DESCRIPTION) -> None:
    """Raise unless ``text`` fits a SageMaker description (EntityDescription)."""
    if len(text) > maximum:
        raise InvalidInputError(
            f"{field} has {len(text)} characters; SageMaker takes at most {maximum}: "
            "shorten it"
        )
    bad = [char for char in text if not is_description_character(char)]
    if bad:
        raise InvalidInputError(
            f"{field} contains the control character {bad[0]!r}; SageMaker "
            "descriptions take printable characters only: remove it"
        )


def check_single_line(field: str, text: str, maximum: int) -> None:
    """Raise unless ``text`` matches ``.{0,maximum}`` (no line breaks)."""
    if len(text) > maximum:
        raise InvalidInputError(
            f"{field} has {len(text)} characters; SageMaker takes at most {maximum}: "
            "shorten it"
        )
    if any(char in "\n\r" for char in text):
        raise InvalidInputError(
            f"{field} contains a line break; SageMaker takes a single line: remove it"
        )


def customer_metadata(
    version: SemVer, record: VersionRecord, manifest_uri: str, manifest_sha256: str
) -> dict[str, str]:
    """Return the CustomerMetadataProperties of a version: unireg's keys, then the
    record's tags, which show in the SageMaker console."""
    properties = {
        VERSION_KEY: str(version),
        MANIFEST_URI_KEY: manifest_uri,
        MANIFEST_SHA256_KEY: manifest_sha256,
        ARTIFACT_SHA256_KEY: record.artifact.sha256,
    }
    properties.update(record.tags)
    return properties


def check_record(record: VersionRecord) -> None:
    """Raise InvalidInputError if SageMaker's documented limits reject the record.

    The record itself travels in the manifest; what reaches the registry is the
    description, the git commit and repository, the artifact URI and the tags.
    """
    check_description("description", record.description)
    if record.code.commit is not None:
        check_single_line("code.commit", record.code.commit, MAX_METADATA_PROPERTY)
    if record.code.repository is not None:
        check_single_line(
            "code.repository", record.code.repository, MAX_METADATA_PROPERTY
        )
    check_description("artifact.uri", record.artifact.uri, MAX_SOURCE_URI)
    for key in record.tags:
        if key.startswith(RESERVED_PREFIX):
            raise InvalidInputError(
                f"tags: key {key!r} starts with {RESERVED_PREFIX!r}, which unireg "
                "keeps for its own metadata: rename the tag"
            )
    limit = MAX_METADATA_ENTRIES - len(UNIREG_KEYS)
    if len(record.tags) > limit:
        raise InvalidInputError(
            f"tags: {len(record.tags)} tags; SageMaker keeps at most "
            f"{MAX_METADATA_ENTRIES} metadata entries per version and unireg uses "
            f"{len(UNIREG_KEYS)}, so at most {limit} tags fit: remove "
            f"{len(record.tags) - limit}"
        )
    for key, value in record.tags.items():
        check_metadata_key("tags", key)
        check_metadata_value(f"tags.{key}", value)
