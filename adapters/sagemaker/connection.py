"""boto3 clients of one client's AWS account, with retries, call counting and the
translation of botocore's exceptions into unireg's.

boto3 is imported here, inside functions, so importing unireg never loads it.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from unireg.errors import (
    BackendUnavailableError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    UniregError,
)
from unireg.port import CallStats

from .settings import SageMakerSettings

if TYPE_CHECKING:
    import boto3

log = logging.getLogger(__name__)

# Error codes that mean the caller lacks a permission. botocore's standard retry mode
# does not retry them (botocore/retries/standard.py, 1.44).
_DENIED = frozenset(
    {"AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "403"}
)
# Throttling codes of botocore's standard retry mode (botocore/retries/standard.py).
_THROTTLED = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
        "LimitExceededException",
    }
)
_MISSING = frozenset({"ResourceNotFound", "NoSuchKey", "NoSuchBucket", "404"})
_CONFLICT = frozenset({"ConflictException", "PreconditionFailed", "412"})


class Connection:
    """The STS, SageMaker and S3 clients of one client, created on first use.

    Building the clients assumes ``role_arn`` if set. Then STS GetCallerIdentity
    checks that the credentials belong to ``account_id``, and a mismatch raises
    PermissionDeniedError before any registry call.
    """

    def __init__(
        self, client: str, settings: SageMakerSettings, stats: CallStats, source: str
    ) -> None:
        self.client = client
        self.settings = settings
        self.stats = stats
        self.source = source
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        self._caller_arn: str | None = None

    # Clients.

    def sagemaker(self) -> Any:
        return self._client("sagemaker")

    def s3(self) -> Any:
        return self._client("s3")

    def caller_arn(self) -> str:
        self._client("sagemaker")
        assert self._caller_arn is not None
        return self._caller_arn

    def _client(self, service: str) -> Any:
        with self._lock:
            if not self._clients:
                session = self._session()
                clients = {
                    name: self._new_client(session, name)
                    for name in ("sts", "sagemaker", "s3")
                }
                # Kept only once the account is checked, so every later call
                # checks again until the credentials are right.
                self._caller_arn = self._check_account(clients["sts"])
                self._clients = clients
            return self._clients[service]

    def _config(self) -> Any:
        from botocore.config import Config

        return Config(
            region_name=self.settings.region,
            retries={
                "mode": "standard",
                "total_max_attempts": self.settings.max_attempts,
            },
            connect_timeout=10,
            read_timeout=60,
            # The report reads up to 8 models of a client at once, and each model's
            # packages 8 at a time. botocore's default pool of 10 connections would
            # discard the extra ones with a warning.
            max_pool_connections=64,
        )

    def _session(self) -> boto3.Session:
        import boto3
        import botocore.exceptions

        try:
            session = boto3.Session(
                botocore_session=_botocore_session(),
                profile_name=self.settings.profile,
                region_name=self.settings.region,
            )
        except botocore.exceptions.ProfileNotFound as exc:
            raise InvalidInputError(
                f"{self.source}: profile {self.settings.profile!r} is not in the "
                "AWS configuration: add it or fix the profile setting"
            ) from exc
        if self.settings.role_arn is None:
            return session
        return self._assumed_role_session(session)

    def _assumed_role_session(self, source: boto3.Session) -> boto3.Session:
        """Return a session on the role's credentials, which botocore renews
        through AssumeRole 15 minutes before they expire."""
        import boto3
        from botocore.credentials import CredentialProvider, RefreshableCredentials

        role_arn = self.settings.role_arn
        assert role_arn is not None
        sts = self._new_client(source, "sts")

        def assume_role() -> dict[str, str]:
            response = self.call(
                "AssumeRole",
                role_arn,
                sts.assume_role,
                RoleArn=role_arn,
                RoleSessionName=self.settings.role_session_name,
                DurationSeconds=self.settings.role_duration_seconds,
            )
            credentials = response["Credentials"]
            return {
                "access_key": credentials["AccessKeyId"],
                "secret_key": credentials["SecretAccessKey"],
                "token": credentials["SessionToken"],
                "expiry_time": credentials["Expiration"].isoformat(),
            }

        class AssumedRole(CredentialProvider):  # type: ignore[misc]
            METHOD = CANONICAL_NAME = "unireg-assume-role"

            def load(self) -> RefreshableCredentials:
                return RefreshableCredentials.create_from_metadata(
                    metadata=assume_role(),
                    refresh_using=assume_role,
                    method=self.METHOD,
                )

        core = _botocore_session()
        resolver = core.get_component("credential_provider")
        resolver.insert_before("env", AssumedRole())
        return boto3.Session(botocore_session=core, region_name=self.settings.region)

    def _new_client(self, session: boto3.Session, service: str) -> Any:
        client = session.client(
            service, config=self._config(), endpoint_url=self.settings.endpoint_url
        )
        client.meta.events.register("request-created", self._count_retry)
        return client

    def _count_retry(self, request: Any, **_: Any) -> None:
        """Count each attempt after the first; botocore numbers attempts in the
        request context before it creates the request (botocore/endpoint.py)."""
        attempt = request.context.get("retries", {}).get("attempt", 1)
        if attempt > 1:
            self.stats.count_retry()
            log.warning(
                "retrying %s for client %s, attempt %d of %d",
                request.url,
                self.client,
                attempt,
                self.settings.max_attempts,
            )

    def _check_account(self, sts: Any) -> str:
        identity = self.call("GetCallerIdentity", "sts", sts.get_caller_identity)
        if identity["Account"] != self.settings.account_id:
            raise PermissionDeniedError(
                f"the credentials of client {self.client} belong to AWS account "
                f"{identity['Account']} ({identity['Arn']}), not to account_id "
                f"{self.settings.account_id} set in {self.source}: fix profile or "
                "role_arn",
                client=self.client,
                backend="sagemaker",
                resource=identity["Arn"],
            )
        return str(identity["Arn"])

    # Calls.

    def call(self, operation: str, resource: str, method: Any, **params: Any) -> Any:
        """Call ``method`` once (botocore retries inside it), counted as
        ``operation`` and with its errors translated. ``resource`` is the ARN or
        URI that errors name."""
        import botocore.exceptions

        started = time.perf_counter()
        try:
            with self.stats.measure(operation):
                return method(**params)
        except botocore.exceptions.ClientError as exc:
            raise self.translate(exc, operation, resource) from exc
        except (
            botocore.exceptions.EndpointConnectionError,
            botocore.exceptions.ConnectionClosedError,
            botocore.exceptions.ReadTimeoutError,
            botocore.exceptions.ConnectTimeoutError,
        ) as exc:
            raise BackendUnavailableError(
                f"{operation} on {resource} for client {self.client} failed: {exc}; "
                "check the network and endpoint_url, then try again",
                client=self.client,
                backend="sagemaker",
                resource=resource,
            ) from exc
        except botocore.exceptions.NoCredentialsError as exc:
            raise InvalidInputError(
                f"no AWS credentials found for client {self.client}: set profile "
                f"or role_arn in {self.source}, or the AWS_* environment variables"
            ) from exc
        except botocore.exceptions.ParamValidationError as exc:
            raise InvalidInputError(
                f"{operation} on {resource} for client {self.client} is invalid: {exc}"
            ) from exc
        finally:
            log.debug(
                "%s %s for client %s took %.3f s",
                operation,
                resource,
                self.client,
                time.perf_counter() - started,
            )

    def close(self) -> None:
        """Close the clients' HTTP connections; the next call opens new ones."""
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients = {}

    def translate(self, exc: Any, operation: str, resource: str) -> UniregError:
        """Return the unireg error for a botocore ClientError, most specific first."""
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = str(error.get("Message", "")) or code
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        attempts = exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) + 1
        where = dict(client=self.client, backend="sagemaker", resource=resource)

        if code in _DENIED or status == 403:
            caller = self._caller_arn or "the caller"
            return PermissionDeniedError(
                f"AWS denied {operation} on {resource} for client {self.client}: "
                f"{message}. Grant {caller} the permission for {operation}",
                **where,
            )
        if code in _MISSING or _is_missing(code, message):
            return NotFoundError(f"{resource} not found: {message}", **where)
        if code in _CONFLICT:
            return ConflictError(
                f"{operation} on {resource} conflicts with the registry: {message}",
                **where,
            )
        if code in _THROTTLED or status >= 500:
            return BackendUnavailableError(
                f"{operation} on {resource} failed after {attempts} attempts "
                f"({code}: {message}); try again later or raise max_attempts in "
                f"{self.source}",
                **where,
            )
        if code == "ValidationException":
            return InvalidInputError(
                f"SageMaker rejected {operation} on {resource}: {message}", **where
            )
        return BackendUnavailableError(
            f"{operation} on {resource} failed ({code}: {message})", **where
        )


def _is_missing(code: str, message: str) -> bool:
    """Return True for SageMaker's "not found" ValidationExceptions.

    SageMaker reports a missing group or package as ValidationException with a
    message ending "does not exist." or "not found" (moto 5.2 spells them the same).
    NOTE: the real service's wording is inferred, not documented.
    """
    lowered = message.lower()
    return code == "ValidationException" and (
        "does not exist" in lowered or "not found" in lowered
    )


@functools.cache
def _shared_loader() -> Any:
    """Return one botocore data loader for the process.

    Each botocore session otherwise parses the SageMaker service model (several MB
    of JSON) again. That cost about 0.15 s of CPU per client here (0.20 s against
    0.05 s with the shared loader), which dominated a report over many clients.
    """
    from botocore.loaders import create_loader

    return create_loader()


def _botocore_session() -> Any:
    """Return a new botocore session (own credentials and settings) that shares
    the process's service model loader."""
    import botocore.session

    session = botocore.session.Session()
    session.register_component("data_loader", _shared_loader())
    return session
