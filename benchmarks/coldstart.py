"""Measure the cold-start time of unireg commands beside ``aws --version``.

Each command runs once to warm the file cache and compile bytecode, then RUNS more
times. The table shows the median and the range in seconds. ``unireg list`` runs on
an embedded registry with one model of 20 versions, in a temporary directory.

    python benchmarks/coldstart.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def _time(command: list[str], env: dict[str, str], runs: int) -> list[float]:
    subprocess.run(command, env=env, capture_output=True, check=True)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True)
        timings.append(time.perf_counter() - started)
    return timings


def _seed(env: dict[str, str], workdir: Path) -> None:
    unireg = str(BIN / "unireg")
    for patch in range(20):
        artifact = workdir / f"model{patch}.pkl"
        artifact.write_bytes(f"weights {patch}".encode())
        subprocess.run(
            [
                unireg,
                "register",
                "-c",
                "bench",
                "bench_retail_churn_v1",
                str(artifact),
                "--format",
                "pickle",
                "--version",
                f"1.0.{patch}",
                "--no-lineage",
            ],
            env=env,
            capture_output=True,
            check=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs

    with tempfile.TemporaryDirectory() as workdir:
        env = {**os.environ, "UNIREG_HOME": workdir}
        env.pop("UNIREG_CONFIG", None)
        _seed(env, Path(workdir))
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "unireg --help": [str(BIN / "unireg"), "--help"],
            "unireg list -c bench (1 model)": [
                str(BIN / "unireg"),
                "list",
                "-c",
                "bench",
            ],
            "unireg list -c bench MODEL (20 versions)": [
                str(BIN / "unireg"),
                "list",
                "-c",
                "bench",
                "bench_retail_churn_v1",
            ],
        }
        if aws := shutil.which("aws"):
            commands["aws --version"] = [aws, "--version"]

        print(f"| command | median (s) | min-max (s), {runs} runs |")
        print("|---|---|---|")
        for label, command in commands.items():
            timings = _time(command, env, runs)
            print(
                f"| `{label}` | {statistics.median(timings):.3f} | "
                f"{min(timings):.3f}-{max(timings):.3f} |"
            )


if __name__ == "__main__":
    main()
