"""Version records for tests: one with every field filled."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from unireg.domain import ArtifactRef, SemVer, Stage, StageChange, VersionRecord


def write_artifact(directory: Path, content: bytes, name: str = "model.pkl") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(content)
    return path


def artifact_ref(content: bytes, uri: str = "s3://bucket/model.pkl") -> ArtifactRef:
    return ArtifactRef(
        uri=uri,
        sha256=hashlib.sha256(content).hexdigest(),
        format="pickle",
        size_bytes=len(content),
    )


def full_record_fields() -> dict[str, Any]:
    """Every record field but the artifact, with awkward values on purpose."""
    return {
        "description": 'Churn classifier, retrained on Q3 data — ünïcode, "quotes"',
        "code": {
            "commit": "0123456789abcdef0123456789abcdef01234567",
            "repository": "https://git.example.com/agency/churn.git",
            "dirty": True,
        },
        "data": {
            "dataset_version": "dvc:4f2a9c",
            "query": "SELECT * FROM churn WHERE day < '2026-10-01'",
            "snapshot_id": "fs-snap-17",
        },
        "hyperparameters": {
            "C": 0.5,
            "max_iter": 200,
            "penalty": "l2",
            "layers": [64, 32],
            "early_stopping": {"patience": 3, "enabled": True},
            "class_weight": None,
        },
        "metrics": {"auc": 0.9132, "f1": 0.81, "latency_p95_ms": 12.5},
        "segment_metrics": {"region=eu": {"auc": 0.9}, "class=1": {"recall": 0.77}},
        "feature_schema": [
            {"name": "tenure_months", "dtype": "int64", "minimum": 0, "maximum": 240},
            {
                "name": "plan",
                "dtype": "category",
                "allowed_values": ["basic", "pro"],
                "description": "subscription plan",
            },
        ],
        "output_schema": [
            {
                "name": "churn_probability",
                "dtype": "float64",
                "minimum": 0,
                "maximum": 1,
            }
        ],
        "dependencies": {
            "python": "3.11.7",
            "packages": {"scikit-learn": "1.5.2", "numpy": "2.1.0"},
            "system": ["libgomp1"],
        },
        "preprocessing": [
            {
                "name": "scaler",
                "kind": "standard-scaler",
                "artifact": {
                    "uri": "s3://bucket/scaler.pkl",
                    "sha256": "a" * 64,
                    "format": "pickle",
                },
            }
        ],
        "model_card": {
            "purpose": "Flag accounts likely to cancel within 30 days.",
            "training_data": "Accounts active in 2026 Q1-Q3.",
            "performance": "AUC 0.91 on the held-out quarter.",
            "limitations": "Not calibrated for accounts younger than one month.",
            "ethical_considerations": "No protected attributes used as features.",
        },
        "deployment": {
            "accelerator": "none",
            "memory_mb": 2048,
            "replicas": 2,
            "serving": {"batch_size": 32, "timeout_s": 1.5},
        },
        "tags": {"team": "retention", "ticket": "CHURN-12"},
    }


def full_record(artifact: ArtifactRef) -> VersionRecord:
    return VersionRecord.model_validate(
        {**full_record_fields(), "artifact": artifact.model_dump()}
    )


def stage_change(version: str, source: Stage, target: Stage) -> StageChange:
    return StageChange(
        version=SemVer.parse(version), from_stage=source, to_stage=target
    )
