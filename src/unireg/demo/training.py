"""Training code for the demo: real models on data sets shipped with scikit-learn.

Nothing is downloaded: ``load_breast_cancer``, ``load_wine`` and ``load_diabetes``
read files inside the scikit-learn package. Each function returns the fitted model's
pickle and the version record fields computed from the run: metrics on a held-out
split, per-class or per-segment metrics, hyperparameters, feature and output
schemas, and a model card.
"""

from __future__ import annotations

import pickle
import time
from dataclasses import dataclass
from typing import Any

_SEED = 7


@dataclass(frozen=True)
class TrainedModel:
    """A fitted model's bytes and the record fields describing it."""

    artifact: bytes
    record: dict[str, Any]


def _feature_schema(matrix: Any, names: Any) -> list[dict[str, Any]]:
    return [
        {
            "name": str(name).replace(" ", "_"),
            "dtype": str(matrix.dtype),
            "minimum": float(matrix[:, index].min()),
            "maximum": float(matrix[:, index].max()),
        }
        for index, name in enumerate(names)
    ]


def _latency_ms(model: Any, rows: Any) -> float:
    """Return the mean prediction latency of one row, in milliseconds."""
    started = time.perf_counter()
    for index in range(50):
        model.predict(rows[index % len(rows) : index % len(rows) + 1])
    return round((time.perf_counter() - started) / 50 * 1000, 3)


@dataclass(frozen=True)
class _ClassifierTask:
    loader: str
    purpose: str
    training_data: str
    ethics: str


_CLASSIFIER_TASKS = {
    "breast_cancer": _ClassifierTask(
        "load_breast_cancer",
        "Rank accounts by their risk of leaving, for retention.",
        "569 labelled rows, 30 numeric features; 75/25 split.",
        "No personal attributes among the features.",
    ),
    "wine": _ClassifierTask(
        "load_wine",
        "Grade incoming batches into three quality classes.",
        "178 labelled rows, 13 chemical measurements; 75/25 split.",
        "Grades batches, not people; no personal data.",
    ),
}


def train_classifier(dataset: str, variant: str) -> TrainedModel:
    """Fit a classifier of a scikit-learn data set (``breast_cancer`` or ``wine``).

    ``variant`` is ``baseline`` (scaled logistic regression) or ``forest`` (random
    forest). ROC AUC is one-vs-rest for the three wine classes.
    """
    from sklearn import datasets
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score, recall_score, roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    task = _CLASSIFIER_TASKS[dataset]
    data = getattr(datasets, task.loader)()
    x_train, x_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=0.25, random_state=_SEED, stratify=data.target
    )
    if variant == "baseline":
        params: dict[str, Any] = {"C": 0.05, "max_iter": 500}
        model = make_pipeline(StandardScaler(), LogisticRegression(**params))
    else:
        params = {"n_estimators": 200, "max_depth": 6, "random_state": _SEED}
        model = RandomForestClassifier(**params)
    model.fit(x_train, y_train)

    predicted = model.predict(x_test)
    probabilities = model.predict_proba(x_test)
    binary = len(data.target_names) == 2
    auc = (
        roc_auc_score(y_test, probabilities[:, 1])
        if binary
        else roc_auc_score(y_test, probabilities, multi_class="ovr")
    )
    per_class = recall_score(y_test, predicted, average=None)
    metrics = {
        "accuracy": float(accuracy_score(y_test, predicted)),
        "roc_auc": float(auc),
        "f1": float(
            f1_score(y_test, predicted, average="binary" if binary else "macro")
        ),
        "latency_ms": _latency_ms(model, x_test),
    }
    classes = [str(name) for name in data.target_names]
    return TrainedModel(
        artifact=pickle.dumps(model),
        record={
            "description": f"{variant} classifier of the {dataset} data set",
            "data": {"dataset_version": f"sklearn-{dataset}-{len(data.target)}"},
            "hyperparameters": {"estimator": type(model).__name__, **params},
            "metrics": metrics,
            "segment_metrics": {
                f"class={name}": {"recall": float(recall)}
                for name, recall in zip(classes, per_class, strict=True)
            },
            "feature_schema": _feature_schema(data.data, data.feature_names),
            "output_schema": [
                {"name": "label", "dtype": "category", "allowed_values": classes},
                {"name": "probability", "dtype": "float64", "minimum": 0, "maximum": 1},
            ],
            "model_card": {
                "purpose": task.purpose,
                "training_data": task.training_data,
                "performance": (
                    f"accuracy {metrics['accuracy']:.3f}, ROC AUC "
                    f"{metrics['roc_auc']:.3f} on held-out rows"
                ),
                "limitations": "Small data set; not calibrated for new segments.",
                "ethical_considerations": task.ethics,
            },
            "deployment": {"accelerator": "none", "memory_mb": 512, "replicas": 2},
        },
    )


def train_churn_classifier(variant: str) -> TrainedModel:
    """Fit the breast cancer classifier, standing in for a churn model."""
    return train_classifier("breast_cancer", variant)


def train_quality_classifier(variant: str) -> TrainedModel:
    """Fit the wine classifier, standing in for a quality grader."""
    return train_classifier("wine", variant)


def train_demand_regressor(variant: str) -> TrainedModel:
    """Fit a regressor of the diabetes data set, standing in for a demand forecast.

    ``variant`` is ``baseline`` (ridge regression) or ``boosted`` (gradient boosting).
    """
    from sklearn.datasets import load_diabetes
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.linear_model import Ridge
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
    from sklearn.model_selection import train_test_split

    data = load_diabetes()
    x_train, x_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=0.25, random_state=_SEED
    )
    if variant == "baseline":
        params: dict[str, Any] = {"alpha": 1.0}
        model: Any = Ridge(**params)
    else:
        params = {"n_estimators": 150, "max_depth": 3, "learning_rate": 0.05}
        model = GradientBoostingRegressor(random_state=_SEED, **params)
    model.fit(x_train, y_train)

    predicted = model.predict(x_test)
    older = x_test[:, list(data.feature_names).index("age")] > 0
    metrics = {
        "rmse": float(mean_squared_error(y_test, predicted) ** 0.5),
        "mae": float(mean_absolute_error(y_test, predicted)),
        "r2": float(r2_score(y_test, predicted)),
        "latency_ms": _latency_ms(model, x_test),
    }
    segments = {
        f"age={label}": {
            "mae": float(mean_absolute_error(y_test[mask], predicted[mask]))
        }
        for label, mask in (("above-mean", older), ("below-mean", ~older))
    }
    return TrainedModel(
        artifact=pickle.dumps(model),
        record={
            "description": f"{variant} regressor of the diabetes data set",
            "data": {"dataset_version": "sklearn-diabetes-442"},
            "hyperparameters": {"estimator": type(model).__name__, **params},
            "metrics": metrics,
            "segment_metrics": segments,
            "feature_schema": _feature_schema(data.data, data.feature_names),
            "output_schema": [{"name": "progression", "dtype": "float64"}],
            "model_card": {
                "purpose": "Forecast next-period demand from ten standardized signals.",
                "training_data": "442 rows, 10 standardized features; 75/25 split.",
                "performance": (
                    f"RMSE {metrics['rmse']:.1f}, R2 {metrics['r2']:.3f} held out"
                ),
                "limitations": "Ten features only; no seasonality.",
                "ethical_considerations": "Age and sex are inputs: review before use.",
            },
            "deployment": {"accelerator": "none", "memory_mb": 256, "replicas": 1},
        },
    )
