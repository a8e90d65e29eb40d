"""The spelling of unireg's versions and stages on Vertex AI, and Vertex's limits.

Shared by the adapter, which checks every value before its first call, and by the
emulator, which enforces the same rules on the server side. Sources:

- labels: google-cloud-aiplatform 2.7.0, ``aiplatform_v1/types/model.py`` (Model.labels)
  and https://cloud.google.com/resource-manager/docs/labels-overview#requirements
- aliases: ``types/model.py`` (Model.version_aliases), ``types/model_service.py``
  (MergeVersionAliasesRequest) and
  https://cloud.google.com/vertex-ai/docs/model-registry/model-alias
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping

from unireg.domain import SemVer, Stage
from unireg.errors import InvalidInputError

MAX_LABELS = 64
MAX_LABEL_KEY = 63
MAX_LABEL_VALUE = 63

# Keys start with a lowercase letter; keys and values hold lowercase letters, digits,
# '_' and '-'. The documents also allow international characters, which unireg never
# writes: \w minus uppercase and digits-first covers them in the emulator.
_KEY = re.compile(r"[^\W\d_A-Z][\w-]*")
_VALUE = re.compile(r"[\w-]*")

# The proto allows uppercase inside an alias; the alias page does not. The
# intersection is used: 2 to 128 characters, lowercase letters, digits and '-',
# starting with a letter and not ending with '-'.
_ALIAS = re.compile(r"[a-z][a-z0-9-]{0,126}[a-z0-9]")
RESERVED_ALIASES = frozenset({"default"})
DEFAULT_ALIAS = "default"

# The labels unireg writes on every version. The keys use '_' rather than '-' so that
# a list filter such as labels.unireg_version="1-2-0" names a plain identifier
# (https://google.aip.dev/160); whether '-' needs quoting there is not documented.
MODEL_LABEL = "unireg_model"
VERSION_LABEL = "unireg_version"
STAGE_LABEL = "unireg_stage"
MANIFEST_LABEL = "unireg_manifest"
OWN_LABELS = (MODEL_LABEL, VERSION_LABEL, STAGE_LABEL, MANIFEST_LABEL)
RESERVED_LABEL_PREFIX = "unireg_"

# Stages that also live in a version alias. Production is unique per model in the
# domain and on Vertex. Staging is not unique in the domain, so its alias marks the
# highest staging version only.
PRODUCTION_ALIAS = "production"
STAGING_ALIAS = "staging"


def label_problem(key: str, value: str) -> str | None:
    """Return why Vertex rejects the label ``key: value``, or None if it fits."""
    if not 1 <= len(key) <= MAX_LABEL_KEY:
        return f"label keys are 1 to {MAX_LABEL_KEY} characters"
    if not _KEY.fullmatch(key) or any(char.isupper() for char in key):
        return (
            "label keys start with a lowercase letter and contain only lowercase "
            "letters, digits, '_' and '-'"
        )
    if len(value) > MAX_LABEL_VALUE:
        return f"label values are at most {MAX_LABEL_VALUE} characters"
    if not _VALUE.fullmatch(value) or any(char.isupper() for char in value):
        return "label values contain only lowercase letters, digits, '_' and '-'"
    return None


def check_labels(labels: Mapping[str, str], where: str) -> None:
    """Raise InvalidInputError naming the first label Vertex would reject."""
    if len(labels) > MAX_LABELS:
        raise InvalidInputError(
            f"{where} needs {len(labels)} Vertex AI labels, more than the "
            f"{MAX_LABELS} a version can carry: mirror fewer tags as labels"
        )
    for key, value in labels.items():
        problem = label_problem(key, value)
        if problem is not None:
            raise InvalidInputError(
                f"{where}: label {key}={value!r} is invalid on Vertex AI because "
                f"{problem}; change the tag or stop mirroring it as a label"
            )


def alias_problem(alias: str) -> str | None:
    """Return why Vertex rejects ``alias``, or None if it is a valid alias."""
    if not _ALIAS.fullmatch(alias):
        return (
            "aliases are 2 to 128 lowercase letters, digits and '-', starting "
            "with a letter and ending with a letter or digit"
        )
    return None


def check_alias(alias: str, *, reserved_ok: bool = False) -> str:
    problem = alias_problem(alias)
    if problem is not None:
        raise InvalidInputError(f"version alias {alias!r} is invalid: {problem}")
    if alias in RESERVED_ALIASES and not reserved_ok:
        raise InvalidInputError(
            f"version alias {alias!r} is reserved by Vertex AI: choose another name"
        )
    return alias


# Every stage value must be a valid label value; checked once at import.
for _stage in Stage:
    check_labels({STAGE_LABEL: _stage.value}, "stage labels")
check_alias(PRODUCTION_ALIAS)
check_alias(STAGING_ALIAS)


def digest_label(sha256_hex: str) -> str:
    """Encode a SHA-256 digest for a label value.

    64 hex characters exceed the 63 a label value holds, so the digest is stored as
    unpadded lowercase base32: 52 characters of a-z and 2-7.
    """
    raw = bytes.fromhex(sha256_hex)
    return base64.b32encode(raw).decode("ascii").rstrip("=").lower()


def digest_from_label(value: str) -> str:
    """Invert ``digest_label``."""
    padded = value.upper() + "=" * (-len(value) % 8)
    try:
        raw = base64.b32decode(padded)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInputError(
            f"label {MANIFEST_LABEL}={value!r} is not a base32 SHA-256 digest"
        ) from exc
    if len(raw) != 32:
        raise InvalidInputError(
            f"label {MANIFEST_LABEL}={value!r} does not encode 32 bytes"
        )
    return raw.hex()


_DESCRIPTION = re.compile(r"unireg (?P<version>\S+); manifest (?P<uri>gs://\S+)")


def version_description(version: SemVer, manifest_uri: str) -> str:
    """Spell the version description: the semver with dots, and the manifest."""
    return f"unireg {version}; manifest {manifest_uri}"


def parse_version_description(text: str) -> tuple[SemVer, str] | None:
    match = _DESCRIPTION.fullmatch(text.strip())
    if match is None:
        return None
    return SemVer.parse(match["version"]), match["uri"]


def version_labels(
    model: str,
    version: SemVer,
    stage: Stage,
    manifest_digest: str,
    tag_labels: Mapping[str, str],
) -> dict[str, str]:
    """Return every label of a new version: unireg's own, then mirrored tags."""
    labels = {
        MODEL_LABEL: model,
        VERSION_LABEL: version.label,
        STAGE_LABEL: stage.value,
        MANIFEST_LABEL: digest_label(manifest_digest),
    }
    labels.update(tag_labels)
    return labels
