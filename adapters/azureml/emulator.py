"""A local emulator of Azure ML's model registry and of Blob Storage.

One WSGI application serves both REST surfaces: paths under ``/subscriptions/`` are
Azure Resource Manager calls for models (see ``fake_arm``), every other path is a
path-style Blob Storage call (see ``fake_blob``). It runs two ways:

- in-process, behind an azure-core transport (``in_process_transport``), for unit
  tests: no socket is opened;
- as an HTTPS server on 127.0.0.1 with a generated self-signed certificate
  (``serve`` or ``unireg emulate azureml``), because azure-core refuses to send a
  bearer token over plain http (BearerTokenCredentialPolicy, azure-core 1.41).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import random
import shutil
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from unireg_adapters.emulation import client_block
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from . import fake_arm, fake_blob
from .identity import principal_of

ARM_ENDPOINT = "https://management.azure.com"


@dataclass
class Faults:
    """Injected faults, applied to every request before it is handled."""

    latency_ms: float = 0.0
    throttle_rate: float = 0.0
    error_rate: float = 0.0
    retry_after_ms: int = 50
    seed: int | None = None
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)  # noqa: S311 - fault injection, not crypto


class EmulatorApp:
    """The WSGI application: authentication, faults, then ARM or Blob handling."""

    def __init__(self, faults: Faults | None = None) -> None:
        self.arm = fake_arm.ArmState()
        self.blob = fake_blob.BlobState()
        self.faults = faults or Faults()
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        response = self.handle(request)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        with self._lock:
            self.requests.append((request.method, request.full_path))
            roll_throttle = self.faults.rng.random()
            roll_error = self.faults.rng.random()
        is_arm = request.path.startswith("/subscriptions/")
        if self.faults.latency_ms:
            time.sleep(self.faults.latency_ms / 1000)
        if roll_throttle < self.faults.throttle_rate:
            return self._throttled(is_arm)
        if roll_error < self.faults.error_rate:
            module = fake_arm if is_arm else fake_blob
            return module.error(500, "InternalError", "injected server error")

        principal = self._principal(request)
        if principal is None:
            module = fake_arm if is_arm else fake_blob
            return module.error(
                401, "AuthenticationFailed", "missing or malformed bearer token"
            )
        if is_arm:
            return fake_arm.handle_arm(self.arm, request, principal)
        return fake_blob.handle_blob(self.blob, request)

    def _throttled(self, is_arm: bool) -> Response:
        # ARM responds to throttling with 429 and Retry-After in seconds
        # (https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling);
        # azure-core's RetryPolicy also reads retry-after-ms, which keeps tests fast.
        module = fake_arm if is_arm else fake_blob
        response = module.error(429, "TooManyRequests", "injected throttling")
        response.headers["Retry-After"] = str(
            max(1, round(self.faults.retry_after_ms / 1000))
        )
        response.headers["retry-after-ms"] = str(self.faults.retry_after_ms)
        return response

    @staticmethod
    def _principal(request: Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        try:
            return principal_of(header.removeprefix("Bearer "))
        except ValueError:
            return None

    def add_client(self, client: str, account_url: str) -> dict[str, Any]:
        """Create a workspace and a blob container for ``client``; return its
        settings block (without endpoint and certificate)."""
        subscription = str(uuid.uuid5(uuid.NAMESPACE_URL, f"unireg-{client}"))
        group = f"rg-{client}"
        workspace = f"ws-{client}"
        container = f"{client}-registry"
        self.arm.add_workspace(subscription, group, workspace)
        account = urlsplit(account_url).path.strip("/")
        self.blob.add_container(account, container)
        return {
            "subscription_id": subscription,
            "resource_group": group,
            "workspace": workspace,
            "storage_account_url": account_url,
            "storage_container": container,
            "prefix": "models",
            "credential": "emulator",
        }


# In-process transport.


def in_process_transport(app: EmulatorApp) -> Any:
    """Return an azure-core transport that hands every request to ``app``.

    A requests session with a custom adapter mounted for every URL sits under
    azure-core's own RequestsTransport, so azure-core's request and response types
    (legacy and ``azure.core.rest``) are built as they are against a real server.
    """
    import requests
    from azure.core.pipeline.transport import RequestsTransport

    session = requests.Session()
    adapter = _WsgiAdapter(app)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return RequestsTransport(session=session, session_owner=True)


class _WsgiAdapter:
    """A requests transport adapter that calls a WSGI application directly."""

    def __init__(self, app: EmulatorApp) -> None:
        self.client = Client(app)

    def send(self, request: Any, **kwargs: Any) -> Any:
        import requests
        from requests.structures import CaseInsensitiveDict
        from urllib3 import HTTPResponse

        parts = urlsplit(request.url)
        body = request.body
        if hasattr(body, "read"):
            body = body.read()
        elif body is not None and not isinstance(body, bytes | str):
            body = b"".join(body)
        answer = self.client.open(
            path=parts.path,
            base_url=f"{parts.scheme}://{parts.netloc}",
            query_string=parts.query,
            method=request.method,
            headers=list(request.headers.items()),
            data=body,
        )
        data = answer.get_data()
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers = CaseInsensitiveDict(dict(answer.headers))
        response.raw = HTTPResponse(
            body=BytesIO(data),
            headers=dict(answer.headers),
            status=answer.status_code,
            preload_content=False,
        )
        response.url = request.url
        response.request = request
        response.reason = answer.status.partition(" ")[2]
        return response

    def close(self) -> None:
        self.client = None  # type: ignore[assignment]


# HTTPS server.


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """Write a self-signed certificate for 127.0.0.1 and its key; return both paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "emulator-cert.pem"
    key_path = directory / "emulator-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class RunningEmulator:
    """An emulator served over HTTPS on 127.0.0.1 in a background thread."""

    def __init__(self, app: EmulatorApp, server: Any, directory: Path) -> None:
        self.app = app
        self._server = server
        self._directory = directory
        self.cert_path = directory / "emulator-cert.pem"
        self.url = f"https://127.0.0.1:{server.server_port}"
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and delete the certificate and its private key."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        shutil.rmtree(self._directory, ignore_errors=True)

    def env(self) -> dict[str, str]:
        """Return the environment a CLI subprocess needs: none, because each
        client's settings carry the endpoint and the certificate to trust."""
        return {}

    def client_settings(self, client: str) -> dict[str, Any]:
        """Create ``client``'s workspace and container; return its settings."""
        settings = self.app.add_client(client, f"{self.url}/{client}store")
        settings["endpoint"] = self.url
        settings["ca_bundle"] = str(self.cert_path)
        return settings

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(
    port: int = 0,
    *,
    latency_ms: float = 0,
    throttle_rate: float = 0,
    error_rate: float = 0,
    seed: int | None = None,
) -> RunningEmulator:
    """Start the emulator on 127.0.0.1:``port`` (0 picks a free port)."""
    from werkzeug.serving import make_server

    _check_rate("throttle rate", throttle_rate)
    _check_rate("error rate", error_rate)
    faults = Faults(
        latency_ms=latency_ms,
        throttle_rate=throttle_rate,
        error_rate=error_rate,
        seed=seed,
    )
    app = EmulatorApp(faults)
    directory = Path(tempfile.mkdtemp(prefix="unireg-azureml-emulator-"))
    cert_path, key_path = make_certificate(directory)
    server = make_server(
        "127.0.0.1",
        port,
        app,
        threaded=True,
        ssl_context=(str(cert_path), str(key_path)),
    )
    return RunningEmulator(app, server, directory)


def _check_rate(label: str, rate: float) -> None:
    if not 0 <= rate <= 1:
        raise click.BadParameter(f"{label} {rate} is outside 0 to 1")


@click.command("azureml")
@click.option("--port", default=8443, show_default=True, help="TCP port on 127.0.0.1.")
@click.option("--latency-ms", default=0.0, help="Delay added to every request, in ms.")
@click.option(
    "--throttle-rate",
    default=0.0,
    help="Share of requests that get a 429 response (0 to 1).",
)
@click.option(
    "--error-rate",
    default=0.0,
    help="Share of requests that get a 500 response (0 to 1).",
)
@click.option("--seed", type=int, default=None, help="Seed of the fault generator.")
@click.option(
    "--client",
    "clients",
    multiple=True,
    help="Create a workspace and container for this client (repeatable).",
)
def command(
    port: int,
    latency_ms: float,
    throttle_rate: float,
    error_rate: float,
    seed: int | None,
    clients: tuple[str, ...],
) -> None:
    """Emulate Azure ML models and Blob Storage over HTTPS on 127.0.0.1."""

    running = serve(
        port,
        latency_ms=latency_ms,
        throttle_rate=throttle_rate,
        error_rate=error_rate,
        seed=seed,
    )
    stopped = threading.Event()

    def stop(signum: int, frame: object) -> None:
        stopped.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    if clients:
        click.echo(client_block("azureml", running, clients))
    click.echo(f"listening on {running.url}", err=False)
    stopped.wait()
    running.stop()
