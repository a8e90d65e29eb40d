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
from unireg.domain.checklist import RecordedCheck

from .training import TrainedModel, train_churn_classifier, train_demand_regressor

Echo = Callable[[str], None]


@dataclass(frozen=True)
class _Client:
    client: str
    model: str
    train: Callable[[str], TrainedModel]
    variants: tuple[str, str]
    metric: str
    threshold: float
    tolerance: float
    segment_tolerance: float

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


_CLIENTS = (
    _Client(
        "acme",
        "acme_retail_churn_v1",
        train_churn_classifier,
        ("baseline", "forest"),
        "roc_auc",
        threshold=0.95,
        tolerance=0.005,
        segment_tolerance=0.05,
    ),
    _Client(
        "globex",
        "globex_supply_demand_v1",
        train_demand_regressor,
        ("baseline", "boosted"),
        "rmse",
        threshold=65.0,
        tolerance=1.0,
        segment_tolerance=3.0,
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
                backend="local",
                settings={"path": str(home / spec.client)},
                owner=f"ml-lead@{spec.client}.example",
                policy=spec.policy(),
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

    config_path = home / "unireg.yaml"
    config_path.write_text(_config_yaml(config), encoding="utf-8")
    _report(config, home, echo)

    echo("\nSummary")
    echo(f"{'CLIENT':<8} {'MODEL':<26} {'PRODUCTION':<11} {'DEVELOPMENT':<12} INCIDENT")
    for row in summary:
        echo(
            " ".join(
                f"{cell:<{width}}"
                for cell, width in zip(row, (8, 26, 11, 12, 0), strict=True)
            )
        )


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
    echo(
        f"configuration: {home / 'unireg.yaml'} (for example: unireg --config "
        f"{home / 'unireg.yaml'} report)"
    )


def _walk(spec: _Client, registry: Registry, home: Path, echo: Echo) -> list[str]:
    echo(f"== client {spec.client}: model {spec.model}")
    first = _register(spec, registry, home, spec.variants[0], echo, version="1.0.0")
    _release(spec, registry, "1.0.0", "first release", echo)

    second = _register(spec, registry, home, spec.variants[1], echo, bump="minor")
    _release(spec, registry, "1.1.0", "retrained model", echo)
    echo("   1.1.0 is in production; 1.0.0 was archived in the same operation")

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


def _release(
    spec: _Client, registry: Registry, version: str, reason: str, echo: Echo
) -> None:
    """Run the checklist, record the checks people ran, and promote to production."""
    before = registry.check(spec.model, version)
    failed = ", ".join(check.name for check in before.failures) or "none"
    verdict = "passed" if before.passed else "failed"
    echo(f"   checklist of {version}: {verdict} ({failed})")
    for check in RecordedCheck:
        registry.record_check(
            spec.model,
            version,
            check,
            True,
            f"https://ci.{spec.client}.example/{check}",
        )
    after = registry.check(spec.model, version)
    echo(
        f"   checks recorded; checklist of {version}: "
        f"{'passed' if after.passed else 'failed'}"
    )
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
        f"{registered.version}, now in {registered.stage} (staging gate: "
        f"{spec.metric} threshold {spec.threshold:g})"
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
    from sklearn.datasets import load_breast_cancer, load_diabetes

    loader = load_breast_cancer if spec.metric == "roc_auc" else load_diabetes
    rows = loader().data[:200]
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
