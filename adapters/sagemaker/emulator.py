"""A local emulator of the SageMaker Model Registry, S3 and STS: moto with unireg's
registry rules (see ``moto_rules``) and fault injection.

Two ways to run it:

- ``in_process()``: moto's ``mock_aws`` in the calling process, for unit tests;
- ``serve(port)``: a werkzeug server on 127.0.0.1 in a background thread, for CLI
  subprocesses and the demo; ``unireg emulate sagemaker --port N`` runs the same
  server in the foreground.

boto3 finds the server through ``AWS_ENDPOINT_URL`` (``RunningEmulator.env()``), so
unireg needs no endpoint in its settings. Each client of the emulator gets its own
AWS account, reached by assuming a role in it, as a real client would be.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import random
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any
from unittest import mock

import click
from unireg_adapters.emulation import client_block

log = logging.getLogger(__name__)

REGION = "eu-west-1"
ROLE_NAME = "unireg"
# Credentials moto accepts; they belong to moto's default account 123456789012,
# from which each client's role is assumed.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
_JSON = "application/x-amz-json-1.1"
StartResponse = Callable[..., Any]
Environ = dict[str, Any]


def account_for(client: str) -> str:
    """Return the emulated 12-digit AWS account of a client, the same on every run."""
    number = int(hashlib.sha256(client.encode()).hexdigest(), 16) % 10**11
    return f"{10**11 + number:012d}"


def base_environment() -> dict[str, str]:
    """Return the environment that keeps boto3 on fake credentials and away from
    instance metadata and the user's AWS configuration."""
    return {
        **FAKE_CREDENTIALS,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


def provision(client: str, endpoint_url: str | None = None) -> dict[str, Any]:
    """Create the client's bucket in its account; return its unireg settings."""
    import boto3

    account = account_for(client)
    role_arn = f"arn:aws:iam::{account}:role/{ROLE_NAME}"
    sts = boto3.client("sts", region_name=REGION, endpoint_url=endpoint_url)
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="provision")[
        "Credentials"
    ]
    s3 = boto3.client(
        "s3",
        region_name=REGION,
        endpoint_url=endpoint_url,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    bucket = f"unireg-{client}-{account}"
    # A client provisioned before keeps its bucket and gets the same settings.
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
    return {
        "region": REGION,
        "account_id": account,
        "role_arn": role_arn,
        "bucket": bucket,
        "prefix": "registry",
    }


@contextmanager
def in_process() -> Iterator[Callable[[str], dict[str, Any]]]:
    """Run the emulator inside this process with fresh state.

    Yields a function that provisions a client and returns its settings.
    """
    from moto import mock_aws

    from . import moto_rules

    moto_rules.install()
    with mock.patch.dict(os.environ, base_environment()), mock_aws():
        yield provision


# Fault injection.


@dataclass
class Faults:
    """Faults added to SageMaker and S3 requests, never to STS.

    latency_ms: delay before each request, in milliseconds.
    throttle_rate: share of requests that get a ThrottlingException response (S3:
        SlowDown).
    error_rate: share of requests that get an HTTP 500 response.
    denied: SageMaker operations, such as DescribeModelPackage, that always get an
        AccessDeniedException response, as if the caller's IAM policy lacked them.
    """

    latency_ms: float = 0.0
    throttle_rate: float = 0.0
    error_rate: float = 0.0
    seed: int | None = None
    denied: frozenset[str] = frozenset()
    injected: dict[str, int] = field(default_factory=dict)
    _random: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self._check()
        self._random = random.Random(self.seed)  # noqa: S311 - not for security

    def update(self, **changes: Any) -> None:
        """Change faults of a running emulator; a new ``seed`` restarts the draws."""
        with self._lock:
            for name, value in changes.items():
                if name not in {"latency_ms", "throttle_rate", "error_rate", "seed"}:
                    if name != "denied":
                        raise ValueError(f"unknown fault setting {name!r}")
                    value = frozenset(value)
                setattr(self, name, value)
            self._check()
            if "seed" in changes:
                self._random = random.Random(self.seed)  # noqa: S311

    def _check(self) -> None:
        for name in ("throttle_rate", "error_rate"):
            rate = getattr(self, name)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} {rate} is not between 0 and 1")
        if self.throttle_rate + self.error_rate > 1.0:
            raise ValueError("throttle_rate + error_rate exceed 1")
        if self.latency_ms < 0:
            raise ValueError(f"latency_ms {self.latency_ms} is negative")

    def draw(self) -> str | None:
        """Return "throttle", "error" or None for the next request."""
        with self._lock:
            roll = self._random.random()
            fault = None
            if roll < self.throttle_rate:
                fault = "throttle"
            elif roll < self.throttle_rate + self.error_rate:
                fault = "error"
            if fault:
                self.injected[fault] = self.injected.get(fault, 0) + 1
            return fault


def _service(environ: Environ) -> str | None:
    """Return which emulated service a request is for, or None for moto's own API."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return "sagemaker" if target.startswith("SageMaker.") else None
    path = environ.get("PATH_INFO", "")
    if path.startswith("/moto-api"):
        return None
    form = "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", "")
    if form and path == "/":
        return "sts"
    return "s3"


def _fault_response(service: str, fault: str) -> tuple[str, str, bytes]:
    """Return the status, content type and body AWS sends for a fault."""
    if fault.startswith("deny:"):
        operation = fault.removeprefix("deny:")
        body = {
            "__type": "AccessDeniedException",
            "message": f"User is not authorized to perform: sagemaker:{operation}",
        }
        return "400 Bad Request", _JSON, json.dumps(body).encode()
    if service == "sagemaker":
        if fault == "throttle":
            body = {"__type": "ThrottlingException", "message": "Rate exceeded"}
            return "400 Bad Request", _JSON, json.dumps(body).encode()
        body = {"__type": "InternalFailure", "message": "injected server error"}
        return "500 Internal Server Error", _JSON, json.dumps(body).encode()
    code, status = (
        ("SlowDown", "503 Slow Down")
        if fault == "throttle"
        else ("InternalError", "500 Internal Server Error")
    )
    xml = f"<Error><Code>{code}</Code><Message>injected</Message></Error>"
    return status, "application/xml", xml.encode()


class FaultInjector:
    """WSGI middleware that delays or fails SageMaker and S3 requests."""

    def __init__(self, app: Callable[..., Iterable[bytes]], faults: Faults) -> None:
        self.app = app
        self.faults = faults

    def __call__(
        self, environ: Environ, start_response: StartResponse
    ) -> Iterable[bytes]:
        service = _service(environ)
        if service in ("sagemaker", "s3"):
            if self.faults.latency_ms:
                time.sleep(self.faults.latency_ms / 1000)
            operation = environ.get("HTTP_X_AMZ_TARGET", "").removeprefix("SageMaker.")
            fault = (
                f"deny:{operation}"
                if operation in self.faults.denied
                else self.faults.draw()
            )
            if fault is not None:
                status, content_type, body = _fault_response(service, fault)
                start_response(
                    status,
                    [
                        ("Content-Type", content_type),
                        ("Content-Length", str(len(body))),
                    ],
                )
                return [body]
        return self.app(environ, start_response)


# The server.


class RunningEmulator:
    """A server started by ``serve``."""

    def __init__(self, server: Any, thread: threading.Thread, faults: Faults) -> None:
        self._server = server
        self._thread = thread
        self.faults = faults
        host, port = server.server_address[:2]
        self.url = f"http://{host}:{port}"

    def env(self) -> dict[str, str]:
        """Return the environment a CLI subprocess needs to use this emulator."""
        return {**base_environment(), "AWS_ENDPOINT_URL": self.url}

    def client_settings(self, client: str) -> dict[str, Any]:
        """Create the client's account and bucket; return its ``settings:`` block."""
        with mock.patch.dict(os.environ, self.env()):
            return provision(client, self.url)

    def reset(self) -> None:
        """Drop every account's registry and buckets (moto's reset API)."""
        import http.client

        host, port = self._server.server_address[:2]
        connection = http.client.HTTPConnection(host, port, timeout=10)
        try:
            connection.request("POST", "/moto-api/reset")
            connection.getresponse().read()
        finally:
            connection.close()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def serve(
    port: int = 0,
    *,
    latency_ms: float = 0,
    throttle_rate: float = 0,
    error_rate: float = 0,
    seed: int | None = None,
    denied: Iterable[str] = (),
) -> RunningEmulator:
    """Start the emulator on 127.0.0.1:``port`` (0 picks a free port) in a thread."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    from . import moto_rules

    moto_rules.install()
    faults = Faults(latency_ms, throttle_rate, error_rate, seed, frozenset(denied))
    app = FaultInjector(DomainDispatcherApplication(create_backend_app), faults)
    server = make_server(
        "127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler
    )
    thread = threading.Thread(
        target=server.serve_forever, name="sagemaker-emulator", daemon=True
    )
    thread.start()
    running = RunningEmulator(server, thread, faults)
    log.info("SageMaker emulator listening on %s", running.url)
    return running


@click.command("sagemaker")
@click.option("--port", default=5055, show_default=True, help="TCP port on 127.0.0.1.")
@click.option(
    "--latency-ms",
    default=0.0,
    show_default=True,
    help="Delay added to each SageMaker and S3 request, in milliseconds.",
)
@click.option(
    "--throttle-rate",
    default=0.0,
    show_default=True,
    help="Share of requests (0 to 1) that get a ThrottlingException response.",
)
@click.option(
    "--error-rate",
    default=0.0,
    show_default=True,
    help="Share of requests (0 to 1) that get an HTTP 500 response.",
)
@click.option("--seed", type=int, help="Seed of the fault draws, for repeatable runs.")
@click.option(
    "--deny",
    multiple=True,
    metavar="OPERATION",
    help="SageMaker operation that always gets AccessDeniedException; repeatable.",
)
@click.option(
    "--client",
    "clients",
    multiple=True,
    help="Create this client's account and bucket, and print its unireg.yaml "
    "settings (repeatable).",
)
def command(
    port: int,
    latency_ms: float,
    throttle_rate: float,
    error_rate: float,
    seed: int | None,
    deny: tuple[str, ...],
    clients: tuple[str, ...],
) -> None:
    """Emulate the SageMaker Model Registry, S3 and STS on 127.0.0.1.

    Point unireg at it with AWS_ENDPOINT_URL=http://127.0.0.1:PORT and fake AWS
    credentials. With --client, the printed block has the environment and each
    client's settings (region, account_id, role_arn, bucket).
    """
    try:
        running = serve(
            port,
            latency_ms=latency_ms,
            throttle_rate=throttle_rate,
            error_rate=error_rate,
            seed=seed,
            denied=deny,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on 127.0.0.1:{port}: {exc.strerror}; pick another --port"
        ) from exc
    stopped = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if clients:
        click.echo(client_block("sagemaker", running, clients))
    click.echo(f"listening on {running.url}", nl=True)
    stopped.wait()
    running.stop()
    click.echo("stopped")
