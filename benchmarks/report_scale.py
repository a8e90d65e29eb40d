"""Time ``unireg report`` over many clients against one client, on the emulators.

Starts the SageMaker, Vertex AI and Azure ML emulators on 127.0.0.1, spreads CLIENTS
clients over them, and registers MODELS models of one version each per client with
no added latency. Then every emulator adds LATENCY ms to each request, and the
report is timed for one client of each cloud and for all clients at once.

    python benchmarks/report_scale.py [--clients 50] [--models 20] [--latency-ms 100]
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from unireg.api import Registry
from unireg.config import AgencyConfig, ClientConfig
from unireg.report.gather import ReportOptions, gather

CLOUDS = ("sagemaker", "vertex", "azureml")


def _start(cloud: str) -> Any:
    (point,) = [p for p in entry_points(group="unireg.emulators") if p.name == cloud]
    return point.load().serve()


def _faults(running: Any) -> Any:
    return getattr(running, "faults", None) or running.app.faults


def _seed(config: AgencyConfig, client: str, models: int, workdir: Path) -> None:
    with Registry(client, config=config) as registry:
        for index in range(models):
            artifact = workdir / f"{client}-{index}.bin"
            artifact.write_bytes(f"{client} model {index}".encode())
            registry.register(
                f"{client}_bench_task_m{index}",
                artifact,
                artifact_format="pickle",
                version="1.0.0",
                record={"metrics": {"auc": 0.8 + index / 1000}},
                capture_lineage=False,
            )


def _timed(config: AgencyConfig, clients: list[str], concurrency: int) -> dict[str, Any]:
    started = time.perf_counter()
    report = gather(
        config,
        clients,
        ReportOptions(client_concurrency=concurrency, timeout_seconds=600),
    )
    elapsed = time.perf_counter() - started
    calls = sum(c.health.calls for c in report.clients if c.health)
    models = sum(len(c.models) for c in report.clients)
    failed = [c.client for c in report.clients if c.status != "ok"]
    return {"seconds": elapsed, "calls": calls, "models": models, "failed": failed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--concurrency", type=int, default=ReportOptions().client_concurrency)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    emulators = {cloud: _start(cloud) for cloud in CLOUDS}
    try:
        for running in emulators.values():
            os.environ.update(running.env())
        names = [f"c{index:03d}" for index in range(args.clients)]
        clouds = {name: CLOUDS[index % len(CLOUDS)] for index, name in enumerate(names)}
        config = AgencyConfig(
            clients={
                name: ClientConfig(
                    backend=clouds[name],
                    settings=emulators[clouds[name]].client_settings(name),
                )
                for name in names
            },
            source="benchmark",
        )
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as workdir, ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda n: _seed(config, n, args.models, Path(workdir)), names))
        print(f"seeded {args.clients} clients x {args.models} models in "
              f"{time.perf_counter() - started:.0f} s")

        for running in emulators.values():
            _faults(running).latency_ms = args.latency_ms

        print(f"\n{args.latency_ms:g} ms added to every emulator request; "
              f"client concurrency {args.concurrency}, model concurrency "
              f"{ReportOptions().model_concurrency}\n")
        print("| report of | models | cloud calls | wall time (s) |")
        print("|---|---|---|---|")
        for cloud in CLOUDS:
            first = next(n for n in names if clouds[n] == cloud)
            result = _timed(config, [first], args.concurrency)
            print(f"| 1 client on {cloud} | {result['models']} | {result['calls']} | "
                  f"{result['seconds']:.1f} |")
        result = _timed(config, names, args.concurrency)
        print(f"| all {args.clients} clients | {result['models']} | {result['calls']} | "
              f"{result['seconds']:.1f} |")
        if result["failed"]:
            print(f"clients that failed: {', '.join(result['failed'])}")
    finally:
        for running in emulators.values():
            running.stop()


if __name__ == "__main__":
    main()
