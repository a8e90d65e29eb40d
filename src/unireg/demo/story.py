"""``unireg demo``: four clients on four backends, real models, the whole lifecycle.

The demo starts the SageMaker, Vertex AI and Azure ML emulators on 127.0.0.1 and
configures one client on each, plus one on the embedded registry. For each client it
trains a baseline model and registers it as 1.0.0; the staging gate moves it to
staging on its own. Its checklist fails until the integration, fairness and rollback
checks are recorded, then passes, and 1.0.0 goes to production. A second model is
trained and registered as 1.1.0. Where its checklist passes it replaces 1.0.0, and a
simulated incident rolls it back; where the checklist finds a real regression the
promotion is refused. The demo ends with the HTML report and the terminal report,
and stops the emulators it started.
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from unireg.api import Registry
from unireg.config import AgencyConfig, ClientConfig
from unireg.domain import Stage
from unireg.domain.checklist import RecordedCheck
from unireg.errors import InvalidInputError, RefusedError

from .training import (
    TrainedModel,
    train_churn_classifier,
    train_demand_regressor,
    train_quality_classifier,
)

Echo = Callable[[str], None]


@dataclass(frozen=True)
class _Client:
    client: str
    backend: str
    model: str
    train: Callable[[str], TrainedModel]
    variants: tuple[str, str]
    metric: str
    threshold: float
    tolerance: float
    segment_tolerance: float
    dataset: str

    def policy(self) -> dict[str, Any]:
        """Return the client's policy: the metric's threshold gates staging and
        production, and production also bounds its regression and the regression
        of each per-class or per-segment metric."""
        rule = {"threshold": self.threshold, "tolerance": self.tolerance}
        return {
            "checklist": {
                "metrics": {self.metric: rule},
                "segment_tolerance": self.segment_tolerance,
            },
            "staging_gates": {"metrics": {self.metric: {"threshold": self.threshold}}},
        }


CLIENTS = (
    _Client(
        "acme",
        "sagemaker",
        "acme_retail_churn_v1",
        train_churn_classifier,
        ("baseline", "forest"),
        "roc_auc",
        threshold=0.95,
        tolerance=0.005,
        segment_tolerance=0.05,
        dataset="breast_cancer",
    ),
    _Client(
        "globex",
        "vertex",
        "globex_supply_demand_v1",
        train_demand_regressor,
        ("baseline", "boosted"),
        "rmse",
        threshold=65.0,
        tolerance=1.0,
        segment_tolerance=3.0,
        dataset="diabetes",
    ),
    _Client(
        "initech",
        "azureml",
        "initech_plant_quality_v1",
        train_quality_classifier,
        ("baseline", "forest"),
        "roc_auc",
        threshold=0.95,
        tolerance=0.005,
        segment_tolerance=0.05,
        dataset="wine",
    ),
    _Client(
        "umbrella",
        "local",
        "umbrella_retail_churn_v2",
        train_churn_classifier,
        ("baseline", "forest"),
        "roc_auc",
        threshold=0.95,
        tolerance=0.005,
        segment_tolerance=0.05,
        dataset="breast_cancer",
    ),
)


def run_demo(home: Path | None, echo: Echo, *, clouds: bool = True) -> None:
    """Run the whole story in ``home`` (a new temporary directory if None).

    With ``clouds`` false, every client uses the embedded registry and no emulator
    is started.
    """
    if home is None:
        home = Path(tempfile.mkdtemp(prefix="unireg-demo-"))
    home.mkdir(parents=True, exist_ok=True)
    echo(f"unireg demo: working directory {home}\n")

    with ExitStack() as stack:
        settings = {}
        for spec in CLIENTS:
            if spec.backend == "local" or not clouds:
                settings[spec.client] = ("local", {"path": str(home / spec.client)})
                continue
            emulator = stack.enter_context(_emulator(spec.backend, echo))
            stack.enter_context(_environment(emulator.env()))
            settings[spec.client] = (
                spec.backend,
                emulator.client_settings(spec.client),
            )
        echo("")

        config = AgencyConfig(
            clients={
                spec.client: ClientConfig(
                    backend=settings[spec.client][0],
                    settings=settings[spec.client][1],
                    owner=f"ml-lead@{spec.client}.example",
                    policy=spec.policy(),
                )
                for spec in CLIENTS
            },
            source="demo configuration",
        )
        summary = []
        for spec in CLIENTS:
            with Registry(spec.client, config=config) as registry:
                summary.append(_walk(spec, registry, home, echo))

        _report(config, home, echo)
        echo("\nSummary")
        widths = (9, 10, 26, 11, 0)
        echo(_line(["CLIENT", "BACKEND", "MODEL", "PRODUCTION", "OUTCOME"], widths))
        for row in summary:
            echo(_line(row, widths))
    if clouds:
        echo("\nemulators stopped")


def _line(cells: list[str], widths: tuple[int, ...]) -> str:
    return " ".join(f"{c:<{w}}" for c, w in zip(cells, widths, strict=True)).rstrip()


@contextmanager
def _emulator(cloud: str, echo: Echo) -> Iterator[Any]:
    """Start a cloud's emulator on 127.0.0.1 through its entry point; stop it after."""
    points = [p for p in entry_points(group="unireg.emulators") if p.name == cloud]
    if not points:
        raise InvalidInputError(f"the {cloud} emulator is not installed")
    try:
        module = points[0].load()
    except ImportError as exc:
        raise InvalidInputError(
            f"the {cloud} emulator needs packages that are not installed "
            f"({exc.name}): run pip install 'unireg[demo]', or unireg demo --local-only"
        ) from exc
    # The emulators' HTTP servers log every request at INFO; the story is enough.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    running = module.serve()
    echo(f"started the {cloud} emulator on {running.url}")
    try:
        yield running
    finally:
        running.stop()


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _config_yaml(config: AgencyConfig) -> str:
    import yaml

    return yaml.safe_dump(config.model_dump(mode="json", exclude_defaults=True))


def _report(config: AgencyConfig, home: Path, echo: Echo) -> None:
    """Write the HTML report of every client and print the terminal report."""
    from unireg.report.gather import gather
    from unireg.report.render import to_html, to_table

    report = gather(config, sorted(config.clients))
    page = home / "report.html"
    page.write_text(to_html(report), encoding="utf-8")
    echo("== report of every client")
    echo(to_table(report))
    echo(f"\nHTML report: {page}")


def _walk(spec: _Client, registry: Registry, home: Path, echo: Echo) -> list[str]:
    echo(f"== client {spec.client} on {spec.backend}: model {spec.model}")
    first = _register(spec, registry, home, spec.variants[0], echo, version="1.0.0")
    _release(spec, registry, "1.0.0", "first release", echo)

    second = _register(spec, registry, home, spec.variants[1], echo, bump="minor")
    try:
        _release(spec, registry, "1.1.0", "retrained model", echo)
    except RefusedError as refused:
        echo(f"   promotion refused: {refused.message}")
        echo("   1.0.0 stays in production; 1.1.0 waits in staging\n")
        return [spec.client, spec.backend, spec.model, "1.0.0", "1.1.0 refused"]
    echo("   1.0.0 was archived in the same operation")

    reason = _simulated_incident(spec, second, first)
    echo(f"   incident: {reason}")
    result = registry.rollback(spec.model, reason)
    echo("   rolled back: 1.0.0 in production, 1.1.0 in development")
    echo(f"   incident record {result.incident_id}")
    for item in registry.versions(spec.model):
        echo(f"     {item.version}  {item.stage:<12} native id {item.native_id}")
    echo("")
    return [spec.client, spec.backend, spec.model, "1.0.0", "rolled back 1.1.0"]


def _release(
    spec: _Client, registry: Registry, version: str, reason: str, echo: Echo
) -> None:
    """Run the checklist, record the checks people ran, and promote to production."""
    before = registry.check(spec.model, version)
    failed = ", ".join(check.name for check in before.failures) or "none"
    verdict = "passed" if before.passed else "failed"
    echo(f"   checklist of {version}: {verdict} ({failed})")
    for check in RecordedCheck:
        evidence = f"https://ci.{spec.client}.example/{check}"
        registry.record_check(spec.model, version, check, True, evidence)
    after = registry.check(spec.model, version)
    verdict = "passed" if after.passed else "failed"
    echo(f"   checks recorded; checklist of {version}: {verdict}")
    registry.promote(spec.model, version, Stage.PRODUCTION, reason)
    echo(f"   promoted {version} to production")


def _register(
    spec: _Client,
    registry: Registry,
    home: Path,
    variant: str,
    echo: Echo,
    **version: Any,
) -> TrainedModel:
    trained = spec.train(variant)
    path = home / "artifacts" / f"{spec.model}_{variant}.pkl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(trained.artifact)
    registered = registry.register(
        spec.model, path, artifact_format="pickle", record=trained.record, **version
    )
    value = trained.record["metrics"][spec.metric]
    echo(
        f"   trained {variant}: {spec.metric}={value:.3f}; registered "
        f"{registered.version} (native id {registered.native_id}), now in "
        f"{registered.stage} (staging gate: {spec.metric} threshold {spec.threshold:g})"
    )
    return trained


def _simulated_incident(
    spec: _Client, current: TrainedModel, previous: TrainedModel
) -> str:
    """Describe a simulated incident with a real measurement behind it.

    Both versions serve 200 single-row requests, as live traffic does; the retrained
    ensembles are slower per row than the linear baselines. The figures vary with
    the machine's load, so the incident is declared, not derived from them.
    """
    from sklearn import datasets

    rows = getattr(datasets, f"load_{spec.dataset}")().data[:200]
    new, old = _p95_ms(current, rows), _p95_ms(previous, rows)
    return (
        f"simulated incident: p95 latency of 1.1.0 on live traffic is {new:.2f} ms "
        f"against {old:.2f} ms for 1.0.0"
    )


def _p95_ms(trained: TrainedModel, rows: Any) -> float:
    model = pickle.loads(trained.artifact)  # noqa: S301 - bytes trained by this demo
    timings = []
    for index in range(len(rows)):
        started = time.perf_counter()
        model.predict(rows[index : index + 1])
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return timings[int(len(timings) * 0.95)]
