"""A local emulator of the Vertex AI Model Registry and of Cloud Storage.

One werkzeug server on 127.0.0.1 serves both APIs: the Vertex AI v1 REST surface
that ``ModelServiceClient(transport="rest")`` calls (``emulator_models``) and the
Cloud Storage JSON API that google-cloud-storage calls (``emulator_storage``). A
client points both ``api_endpoint`` and ``storage_endpoint`` at it with anonymous
credentials. Run it in-process with ``serve()`` or as ``unireg emulate vertex``.

Fault injection applies to every API request: a fixed latency, then HTTP 429
(RESOURCE_EXHAUSTED) at ``throttle_rate`` and HTTP 503 (UNAVAILABLE) at
``error_rate``, drawn from a generator seeded with ``seed``.
"""

from __future__ import annotations

import json
import random
import re
import signal
import threading
import time
from dataclasses import dataclass, field
from types import FrameType
from typing import Any
from urllib.parse import quote

import click
from unireg_adapters.emulation import client_block
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from .emulator_models import ApiError, ModelService
from .emulator_storage import Storage

# The identity reported for anonymous credentials: the emulator authenticates no
# one, so it names the caller with this fixed principal.
ANONYMOUS_PRINCIPAL = "anonymous@vertex-emulator.invalid"
PRINCIPAL_PATH = "/unireg-emulator/v1/principal"
DEFAULT_LOCATION = "us-central1"

_VERTEX = re.compile(
    r"/(?P<root>v1|ui)/(?P<parent>projects/[^/]+/locations/[^/]+)(?P<rest>/.*)"
)
_MODEL = re.compile(r"/models/(?P<id>[^/:]+)(?::(?P<verb>[A-Za-z]+))?")
_OPERATION = re.compile(r"(?:/models/[^/:]+)?/operations/(?P<id>[^/:]+)")
_BUCKETS = "/storage/v1/b"
_OBJECTS = re.compile(
    r"/(?:(?P<api>upload|download)/)?storage/v1/b/(?P<bucket>[^/]+)"
    r"(?P<rest>/o(?:/.*)?)?"
)


@dataclass
class Faults:
    latency_ms: float = 0.0
    throttle_rate: float = 0.0
    error_rate: float = 0.0
    seed: int | None = None
    _random: random.Random = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        for name in ("throttle_rate", "error_rate"):
            rate = getattr(self, name)
            if not 0 <= rate <= 1:
                raise ValueError(f"{name} is {rate}; use a fraction from 0 to 1")
        self._random = random.Random(self.seed)  # noqa: S311 - fault injection, not security

    def draw(self) -> ApiError | None:
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        with self._lock:
            roll = self._random.random()
        if roll < self.throttle_rate:
            return ApiError(429, "RESOURCE_EXHAUSTED", "Quota exceeded (injected).")
        if roll < self.throttle_rate + self.error_rate:
            return ApiError(
                503, "UNAVAILABLE", "The service is unavailable (injected)."
            )
        return None


class EmulatorApp:
    """The WSGI application: routes each request to the model service or storage."""

    def __init__(self, faults: Faults, principal: str = ANONYMOUS_PRINCIPAL) -> None:
        self.models = ModelService(time.monotonic)
        self.storage = Storage()
        self.faults = faults
        self.principal = principal
        self.requests: list[tuple[str, str]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except ApiError as exc:
            response = _error(exc)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = request.path
        if path == PRINCIPAL_PATH:
            return _json({"principal": self.principal})
        self.requests.append((request.method, path))
        fault = self.faults.draw()
        if fault is not None:
            raise fault
        if match := _VERTEX.fullmatch(path):
            return self._vertex(request, match)
        if path == _BUCKETS and request.method == "POST":
            # buckets.insert (https://cloud.google.com/storage/docs/json_api/v1/buckets)
            name = (request.get_json(silent=True) or {}).get("name", "")
            self.storage.create_bucket(name)
            return _json({"kind": "storage#bucket", "name": name, "id": name})
        if match := _OBJECTS.fullmatch(path):
            return self._storage(request, match)
        raise ApiError(404, "NOT_FOUND", f"No route for {request.method} {path}.")

    # Vertex AI.

    def _vertex(self, request: Request, match: re.Match[str]) -> Response:
        parent, rest = match["parent"], match["rest"]
        query = {key: request.args[key] for key in request.args}
        if operation := _OPERATION.fullmatch(rest):
            name = f"{parent}/operations/{operation['id']}"
            return _json(self.models.get_operation(name))
        # The REST transport requests integer enums on every data call
        # (google-cloud-aiplatform 2.7.0, transports/rest_base.py).
        if "enum-encoding=int" not in query.get("$alt", ""):
            raise ApiError(
                400, "INVALID_ARGUMENT", "Expected $alt=json;enum-encoding=int."
            )
        body = request.get_json(silent=True) or {}
        method = request.method
        if rest == "/models:upload" and method == "POST":
            return _json(self.models.upload(parent, body))
        if rest == "/models" and method == "GET":
            return _json(self.models.list_models(parent, query))
        model = _MODEL.fullmatch(rest)
        if model is None:
            raise ApiError(404, "NOT_FOUND", f"No route for {method} {request.path}.")
        name, verb = f"{parent}/models/{model['id']}", model["verb"]
        if verb is None and method == "GET":
            return _json(self.models.get(name))
        if verb is None and method == "PATCH":
            mask = [p for p in query.get("updateMask", "").split(",") if p]
            return _json(self.models.update(name, body, mask))
        if verb == "listVersions" and method == "GET":
            return _json(self.models.list_versions(name, query))
        if verb == "mergeVersionAliases" and method == "POST":
            return _json(self.models.merge_aliases(name, body))
        if verb == "deleteVersion" and method == "DELETE":
            return _json(self.models.delete_version(name))
        raise ApiError(404, "NOT_FOUND", f"No route for {method} {request.path}.")

    # Cloud Storage.

    def _storage(self, request: Request, match: re.Match[str]) -> Response:
        api, bucket, rest = match["api"], match["bucket"], match["rest"] or ""
        query = {key: request.args[key] for key in request.args}
        method = request.method
        if api == "upload" and method == "POST":
            status, body, extra = self.storage.upload(
                bucket, query, request.headers, request.get_data()
            )
            if "upload_id" in extra:
                location = (
                    f"{request.host_url}upload/storage/v1/b/{quote(bucket)}/o"
                    f"?uploadType=resumable&upload_id={extra['upload_id']}"
                )
                return Response(status=200, headers={"Location": location})
            return _json(body, status)
        if api == "upload" and method == "PUT":
            status, body, extra = self.storage.upload_chunk(
                query.get("upload_id", ""), request.headers, request.get_data()
            )
            return _json(body, status, extra)
        if rest == "" and method == "GET":
            with self.storage.lock:
                self.storage._bucket(bucket)
            return _json({"kind": "storage#bucket", "name": bucket, "id": bucket})
        if rest == "/o" and method == "GET":
            return _json(self.storage.list(bucket, query))
        if rest.startswith("/o/") and method == "GET":
            stored = self.storage.get(bucket, rest[3:])
            if api == "download" or query.get("alt") == "media":
                resource = stored.resource()
                headers = {
                    "x-goog-hash": f"crc32c={resource['crc32c']},"
                    f"md5={resource['md5Hash']}",
                    "x-goog-generation": str(stored.generation),
                    "x-goog-stored-content-length": str(len(stored.data)),
                }
                return Response(
                    stored.data, content_type=stored.content_type, headers=headers
                )
            return _json(stored.resource())
        raise ApiError(404, "NOT_FOUND", f"No route for {method} {request.path}.")


def _json(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        json.dumps(body),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def _error(exc: ApiError) -> Response:
    # The error shape of Google APIs (https://cloud.google.com/apis/design/errors),
    # which google.api_core.exceptions.from_http_response reads.
    body = {"error": {"code": exc.code, "status": exc.status, "message": exc.message}}
    return _json(body, exc.code)


class _QuietHandler(WSGIRequestHandler):
    """Logs no line per request; the tests send thousands."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class RunningEmulator:
    """An emulator server running on 127.0.0.1 in a background thread."""

    def __init__(self, server: BaseWSGIServer, app: EmulatorApp) -> None:
        self.server = server
        self.app = app
        self.url = f"http://127.0.0.1:{server.server_port}"
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def models(self) -> ModelService:
        return self.app.models

    @property
    def storage(self) -> Storage:
        return self.app.storage

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def env(self) -> dict[str, str]:
        """Return the environment a CLI subprocess needs: no proxy for loopback,
        and the metadata server pointed at a closed local port so that no
        credential lookup leaves the machine."""
        return {
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "GCE_METADATA_HOST": "127.0.0.1:9",
            "GCE_METADATA_IP": "127.0.0.1:9",
        }

    def client_settings(self, client: str) -> dict[str, Any]:
        """Return the ``settings:`` block of a client using this emulator, and
        create that client's bucket."""
        bucket = f"unireg-{client}"
        self.storage.create_bucket(bucket)
        return {
            "project": f"{client}-project",
            "location": DEFAULT_LOCATION,
            "bucket": bucket,
            "prefix": "registry",
            "api_endpoint": self.url,
            "storage_endpoint": self.url,
            "anonymous_credentials": True,
        }

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
    """Start the emulator on 127.0.0.1 (``port`` 0 picks a free port)."""
    app = EmulatorApp(Faults(latency_ms, throttle_rate, error_rate, seed))
    server = make_server(
        "127.0.0.1", port, app, threaded=True, request_handler=_QuietHandler
    )
    return RunningEmulator(server, app)


@click.command("vertex")
@click.option("--port", default=8090, show_default=True, help="TCP port on 127.0.0.1.")
@click.option("--latency-ms", default=0.0, help="Delay added to every request, in ms.")
@click.option(
    "--throttle-rate", default=0.0, help="Fraction of requests that fail with HTTP 429."
)
@click.option(
    "--error-rate", default=0.0, help="Fraction of requests that fail with HTTP 503."
)
@click.option("--seed", type=int, default=None, help="Seed of the fault generator.")
@click.option(
    "--bucket",
    "buckets",
    multiple=True,
    metavar="NAME",
    help="Create a Cloud Storage bucket at start; repeatable.",
)
@click.option(
    "--client",
    "clients",
    multiple=True,
    help="Create this client's bucket, and print its unireg.yaml "
    "settings (repeatable).",
)
def command(
    port: int,
    latency_ms: float,
    throttle_rate: float,
    error_rate: float,
    seed: int | None,
    buckets: tuple[str, ...],
    clients: tuple[str, ...],
) -> None:
    """Emulate the Vertex AI Model Registry and Cloud Storage on 127.0.0.1.

    A client uses it with api_endpoint and storage_endpoint set to the printed URL
    and anonymous_credentials: true. Buckets named unireg-CLIENT are created on
    first use by the in-process API; from the command line, pass --bucket, or
    --client to create the bucket and print the client's settings.
    """
    try:
        running = serve(
            port,
            latency_ms=latency_ms,
            throttle_rate=throttle_rate,
            error_rate=error_rate,
            seed=seed,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    for bucket in buckets:
        running.storage.create_bucket(bucket)
    stopped = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    if clients:
        click.echo(client_block("vertex", running, clients))
    click.echo(f"listening on {running.url}", nl=True)
    stopped.wait()
    running.stop()
