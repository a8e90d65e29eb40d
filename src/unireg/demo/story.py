"""``unireg demo``: two clients and real models through the embedded registry.

For each client the demo trains a baseline model, registers it as 1.0.0 and promotes
it through staging to production. It then trains a second model, registers it as
1.1.0 and promotes it, which archives 1.0.0. A latency incident on simulated live
traffic follows, and a rollback. The demo ends with each registry's versions and a
summary.
"""

from __future__ import annotations

import pickle
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unireg.api import Registry
from unireg.config import AgencyConfig, ClientConfig
from unireg.domain import Stage

from .training import TrainedModel, train_churn_classifier, train_demand_regressor

Echo = Callable[[str], None]


@dataclass(frozen=True)
class _Client:
    client: str
    model: str
    train: Callable[[str], TrainedModel]
    variants: tuple[str, str]
    metric: str


_CLIENTS = (
    _Client(
        "acme",
        "acme_retail_churn_v1",
        train_churn_classifier,
        ("baseline", "forest"),
        "roc_auc",
    ),
    _Client(
        "globex",
        "globex_supply_demand_v1",
        train_demand_regressor,
        ("baseline", "boosted"),
        "rmse",
    ),
)


def run_demo(home: Path | None, echo: Echo) -> None:
    """Run the whole story in ``home`` (a new temporary directory if None)."""
    if home is None:
        home = Path(tempfile.mkdtemp(prefix="unireg-demo-"))
    home.mkdir(parents=True, exist_ok=True)
    config = AgencyConfig(
        clients={
            spec.client: ClientConfig(
                backend="local", settings={"path": str(home / spec.client)}
            )
            for spec in _CLIENTS
        },
        source="demo configuration",
    )
    echo(f"unireg demo: registries in {home}\n")

    summary = []
    for spec in _CLIENTS:
        with Registry(spec.client, config=config) as registry:
            summary.append(_walk(spec, registry, home, echo))

    echo("\nSummary")
    echo(f"{'CLIENT':<8} {'MODEL':<26} {'PRODUCTION':<11} {'DEVELOPMENT':<12} INCIDENT")
    for row in summary:
        echo(
            " ".join(
                f"{cell:<{width}}"
                for cell, width in zip(row, (8, 26, 11, 12, 0), strict=True)
            )
        )


def _walk(spec: _Client, registry: Registry, home: Path, echo: Echo) -> list[str]:
    echo(f"== client {spec.client}: model {spec.model}")
    first = _register(spec, registry, home, spec.variants[0], echo, version="1.0.0")
    registry.promote(
        spec.model, "1.0.0", Stage.STAGING, "baseline passed offline tests"
    )
    registry.promote(spec.model, "1.0.0", Stage.PRODUCTION, "first release")
    echo("   promoted 1.0.0 development -> staging -> production")

    second = _register(spec, registry, home, spec.variants[1], echo, bump="minor")
    registry.promote(spec.model, "1.1.0", Stage.STAGING, "retrained with more trees")
    registry.promote(spec.model, "1.1.0", Stage.PRODUCTION, "better offline metrics")
    echo("   promoted 1.1.0 to production; 1.0.0 archived in the same operation")

    reason = _simulated_incident(spec, second, first)
    echo(f"   incident: {reason}")
    result = registry.rollback(spec.model, reason)
    echo("   rolled back: 1.0.0 in production, 1.1.0 in development")
    echo(f"   incident {result.incident_id}")

    echo("   versions:")
    for item in registry.versions(spec.model):
        echo(f"     {item.version}  {item.stage:<12} native id {item.native_id}")
    shown = registry.show(spec.model, "production")
    metrics = ", ".join(
        f"{name}={value:.3f}" for name, value in sorted(shown.record.metrics.items())
    )
    echo(f"   production {shown.version}: {metrics}")
    artifact = shown.record.artifact
    echo(f"   artifact sha256 {artifact.sha256[:16]}... ({artifact.format})\n")
    assert result.incident_id is not None
    return [spec.client, spec.model, "1.0.0", "1.1.0", result.incident_id]


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
        f"{registered.version} in {registered.stage}"
    )
    return trained


def _simulated_incident(
    spec: _Client, current: TrainedModel, previous: TrainedModel
) -> str:
    """Measure both versions serving single-row requests, as live traffic does.

    The measurement is real: the retrained ensemble predicts one row at a time far
    slower than the linear baseline, and the latency budget allows twice the previous
    version's p95.
    """
    from sklearn.datasets import load_breast_cancer, load_diabetes

    loader = load_breast_cancer if spec.metric == "roc_auc" else load_diabetes
    rows = loader().data[:200]
    new, old = _p95_ms(current, rows), _p95_ms(previous, rows)
    verdict = "above" if new > 2 * old else "within"
    return (
        f"p95 latency of 1.1.0 on live traffic is {new:.2f} ms, {verdict} the budget "
        f"of twice 1.0.0's {old:.2f} ms"
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
