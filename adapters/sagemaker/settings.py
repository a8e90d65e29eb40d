"""Per-client settings of the SageMaker backend, from ``clients.<id>.settings``."""

from __future__ import annotations

import re
from collections.abc import Mapping
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

from unireg.domain.record import describe
from unireg.errors import InvalidInputError

# The longest prefix that keeps the manifest URI
# s3://<bucket>/<prefix>/unireg/manifests/sha256/<64 hex>.json within the 256
# characters of a CustomerMetadataProperties value, with a 63-character bucket name.
MAX_PREFIX = 256 - len("s3://") - 63 - len("//unireg/manifests/sha256/.json") - 64

Region = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$")]
AccountId = Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]
# S3 bucket naming rules:
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
Bucket = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
]
RoleArn = Annotated[
    str,
    StringConstraints(
        pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]+$",
        max_length=2048,
    ),
]


class SageMakerSettings(BaseModel):
    """Location of one client's SageMaker registry and artifacts, and its credentials.

    region: the AWS region of the registry and bucket, for example eu-west-1.
    account_id: the client's 12-digit AWS account; every call is checked against it.
    profile: a named profile of the shared AWS configuration (optional).
    role_arn: a role in the client's account to assume through STS (optional).
    role_duration_seconds: lifetime of the role's credentials, which are renewed 15
        minutes before they expire.
    bucket, prefix: where artifacts, manifests and history are stored.
    endpoint_url: one endpoint for STS, SageMaker and S3, for emulators and gateways.
    max_attempts: attempts per call, first one included, in botocore's standard
        retry mode.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    region: Region
    account_id: AccountId
    bucket: Bucket
    prefix: str = Field(default="", max_length=MAX_PREFIX)
    profile: str | None = Field(default=None, min_length=1, max_length=128)
    role_arn: RoleArn | None = None
    role_duration_seconds: int = Field(default=3600, ge=900, le=43200)
    role_session_name: str = Field(
        default="unireg", pattern=r"^[A-Za-z0-9_+=,.@-]{2,64}$"
    )
    endpoint_url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+/?$")
    max_attempts: int = Field(default=5, ge=1, le=10)

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        value = value.strip("/")
        if value and not re.fullmatch(r"[a-zA-Z0-9._-]+(/[a-zA-Z0-9._-]+)*", value):
            raise ValueError(
                f"prefix {value!r} is invalid: use letters, digits, '.', '_', '-' "
                "and '/' between parts"
            )
        return value

    @model_validator(mode="after")
    def _role_in_account(self) -> SageMakerSettings:
        if self.role_arn is not None:
            role_account = self.role_arn.split(":")[4]
            if role_account != self.account_id:
                raise ValueError(
                    f"role_arn {self.role_arn!r} is in account {role_account}, not "
                    f"in account_id {self.account_id}: use a role of the client's "
                    "own account"
                )
        return self


def parse_settings(settings: Mapping[str, Any], source: str) -> SageMakerSettings:
    """Validate the settings, naming the source, the field and the fix on error."""
    try:
        return SageMakerSettings.model_validate(dict(settings))
    except ValidationError as exc:
        raise InvalidInputError(
            f"{source}: {describe(exc)}. Required: region, account_id, bucket; "
            "optional: prefix, profile, role_arn, role_duration_seconds, "
            "role_session_name, endpoint_url, "
            "max_attempts"
        ) from exc
