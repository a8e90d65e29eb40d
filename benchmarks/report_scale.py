"""Time ``unireg report`` over many clients against one client, on the emulators.

Starts the SageMaker, Vertex AI and Azure ML emulators on 127.0.0.1 in a child
process, as remote services would be, spreads CLIENTS clients over them, and
registers MODELS models of one version each per client with no added latency. Then
every emulator adds LATENCY ms to each request, and the report is timed for one
client of each cloud and for all clients at once. The last run repeats all clients
with no added latency, which shows how much of the time is latency.

    python benchmarks/report_scale.py [--clients 50] [--models 20] [--latency-ms 100]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from unireg.api import Registry
from unireg.config import AgencyConfig
from unireg.report.gather import ReportOptions, gather

CLOUDS = ("sagemaker", "vertex", "azureml")


def _start(cloud: str) -> Any:
    (point,) = [p for p in entry_points(group="unireg.emulators") if p.name == cloud]
    return point.load().serve()


def _faults(running: Any) -> Any:
    return getattr(running, "faults", None) or running.app.faults


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def serve_emulators(clients: int) -> None:
    """Run the emulators in this process for a parent benchmark process.

    Prints the client settings and environment as one JSON line, then reads
    commands from stdin. ``latency MS`` sets every emulator's added latency, and
    ``cpu`` prints this process's CPU seconds. End of input stops the emulators.
    """
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    emulators = {cloud: _start(cloud) for cloud in CLOUDS}
    env: dict[str, str] = {}
    for running in emulators.values():
        env.update(running.env())
    os.environ.update(env)
    clients_config = {}
    for index in range(clients):
        name, cloud = f"c{index:03d}", CLOUDS[index % len(CLOUDS)]
        settings = emulators[cloud].client_settings(name)
        clients_config[name] = {"backend": cloud, "settings": settings}
    print(json.dumps({"env": env, "clients": clients_config}), flush=True)

    for line in sys.stdin:
        command, _, value = line.strip().partition(" ")
        if command == "latency":
            for running in emulators.values():
                _faults(running).latency_ms = float(value)
            print("ok", flush=True)
        elif command == "cpu":
            print(_cpu_seconds(), flush=True)
    for running in emulators.values():
        running.stop()


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


def _timed(
    config: AgencyConfig, clients: list[str], concurrency: int
) -> dict[str, Any]:
    cpu = _cpu_seconds()
    started = time.perf_counter()
    report = gather(
        config,
        clients,
        ReportOptions(client_concurrency=concurrency, timeout_seconds=600),
    )
    return {
        "seconds": time.perf_counter() - started,
        "cpu": _cpu_seconds() - cpu,
        "calls": sum(c.health.calls for c in report.clients if c.health),
        "models": sum(len(c.models) for c in report.clients),
        "failed": [c.client for c in report.clients if c.status != "ok"],
    }


class _Child:
    """The emulator process and its line protocol."""

    def __init__(self, clients: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--clients", str(clients)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def read(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def send(self, command: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.read()

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument(
        "--concurrency", type=int, default=ReportOptions().client_concurrency
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_emulators(args.clients)
        return
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    child = _Child(args.clients)
    try:
        setup = json.loads(child.read())
        os.environ.update(setup["env"])
        config = AgencyConfig.model_validate(
            {"clients": setup["clients"], "source": "benchmark"}
        )
        names = sorted(config.clients)
        clouds = {name: config.clients[name].backend for name in names}
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as workdir, ThreadPoolExecutor(8) as pool:
            list(
                pool.map(lambda n: _seed(config, n, args.models, Path(workdir)), names)
            )
        print(
            f"seeded {args.clients} clients x {args.models} models in "
            f"{time.perf_counter() - started:.0f} s; client concurrency "
            f"{args.concurrency}, model concurrency {ReportOptions().model_concurrency}"
        )

        print(
            "\n| report of | added latency (ms) | models | cloud calls | wall time (s) "
            "| report CPU (s) | emulator CPU (s) |"
        )
        print("|---|---|---|---|---|---|---|")
        singles = [[next(n for n in names if clouds[n] == c)] for c in CLOUDS]
        runs = [(args.latency_ms, one) for one in singles]
        runs += [(args.latency_ms, names), (0.0, names)]
        for latency, selected in runs:
            child.send(f"latency {latency}")
            emulator_cpu = float(child.send("cpu"))
            result = _timed(config, selected, args.concurrency)
            emulator_cpu = float(child.send("cpu")) - emulator_cpu
            label = (
                f"1 client on {clouds[selected[0]]}"
                if len(selected) == 1
                else f"all {len(selected)} clients"
            )
            print(
                f"| {label} | {latency:g} | {result['models']} | {result['calls']} "
                f"| {result['seconds']:.1f} | {result['cpu']:.1f} "
                f"| {emulator_cpu:.1f} |"
            )
            if result["failed"]:
                print(f"clients that failed: {', '.join(result['failed'])}")
    finally:
        child.stop()


if __name__ == "__main__":
    main()
