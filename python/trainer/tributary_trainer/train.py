"""Training on the examples of a request: the split Tributary made (by event time, at the
boundaries its dataset step reported), the vectoriser it fitted, a scikit-learn gradient-boosting
model, and its export to ONNX with one float32 input [rows, width] and, for a classifier, the
probability pair [rows, 2] as its only float output (the ZipMap dictionary output is turned off)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import sklearn
import skl2onnx
from skl2onnx import to_onnx
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
from sklearn.metrics import mean_absolute_error, roc_auc_score

from .errors import ExampleDataError, TrainerRequestError
from .vectoriser import Vectoriser, VectorProblem

# Hyper-parameters a request's `options` may set, with their defaults: scikit-learn's names.
DEFAULT_OPTIONS: dict[str, Any] = {"n_estimators": 150, "max_depth": 3, "learning_rate": 0.1, "subsample": 1.0, "random_state": 7}


@dataclass
class Example:
    event_time: int
    label: float
    record: dict


@dataclass
class TrainedModel:
    onnx: bytes
    hyper_parameters: dict[str, Any]
    figures: dict[str, float]
    library: str


def to_example(record: dict, fields: dict, task: str, where: str) -> Example:
    """The example of a record, read as src/training/training-example.ts reads it."""
    event_time = record.get(fields["eventTime"])
    if not isinstance(event_time, int) or isinstance(event_time, bool):
        raise ExampleDataError(f"{where}: {fields['eventTime']} is {event_time!r}; expected epoch milliseconds (the event time)")
    value = record.get(fields["label"])
    if task == "regression":
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise ExampleDataError(f"{where}: {fields['label']} is {value!r}; expected a finite number (the label of a regression)")
        return Example(event_time, float(value), record)
    if value not in (True, False, 0, 1):
        raise ExampleDataError(f"{where}: {fields['label']} is {value!r}; expected true, false, 1 or 0 (the label)")
    return Example(event_time, 1.0 if value in (True, 1) else 0.0, record)


def _matrix(vectoriser: Vectoriser, examples: list[Example], split: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        features = vectoriser.vectorise([example.record for example in examples])
    except VectorProblem as problem:
        raise ExampleDataError(f"a {split} example cannot be vectorised: {problem}") from problem
    return features, np.array([example.label for example in examples], dtype=np.float64)


def _options(given: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(given) - set(DEFAULT_OPTIONS))
    if unknown:
        raise TrainerRequestError(f"unknown trainer option(s) {', '.join(unknown)}; this trainer takes {', '.join(DEFAULT_OPTIONS)}")
    return {**DEFAULT_OPTIONS, **given}


def train(examples: list[Example], request: dict) -> TrainedModel:
    """Trains on the train split, measures on the validation split, exports ONNX."""
    task = request["task"]
    boundaries = request["split"]["boundaries"]
    vectoriser = Vectoriser(request["vectoriser"])
    train_set = [e for e in examples if e.event_time < boundaries["validationStart"]]
    validation_set = [e for e in examples if boundaries["validationStart"] <= e.event_time < boundaries["testStart"]]
    expected = request["split"]["counts"]
    if len(train_set) != expected["train"] or len(validation_set) != expected["validation"]:
        raise ExampleDataError(
            f"read {len(train_set)} train and {len(validation_set)} validation examples from the pinned ranges; "
            f"Tributary's dataset step counted {expected['train']} and {expected['validation']}"
        )
    x_train, y_train = _matrix(vectoriser, train_set, "train")
    x_validation, y_validation = _matrix(vectoriser, validation_set, "validation")
    options = _options(request.get("options") or {})
    started = time.monotonic()
    if task == "regression":
        model = GradientBoostingRegressor(**options)
        model.fit(x_train, y_train)
        validation = {"validationMae": float(mean_absolute_error(y_validation, model.predict(x_validation)))}
    elif task == "binary-classification":
        model = GradientBoostingClassifier(**options)
        # Balanced classes, as Tributary's own trainer weighs them by default.
        positives = float(y_train.sum())
        negatives = float(len(y_train) - positives)
        weights = np.where(y_train == 1, len(y_train) / (2 * max(positives, 1)), len(y_train) / (2 * max(negatives, 1)))
        model.fit(x_train, y_train.astype(np.int64), sample_weight=weights)
        validation = {"validationRocAuc": float(roc_auc_score(y_validation, model.predict_proba(x_validation)[:, 1]))}
    else:
        raise TrainerRequestError(f"task {task!r}: this trainer trains binary-classification and regression")
    train_seconds = time.monotonic() - started
    onnx_model = to_onnx(model, x_train[:1], options={id(model): {"zipmap": False}} if task != "regression" else None, target_opset={"": 17, "ai.onnx.ml": 3})
    library = f"scikit-learn {sklearn.__version__}, skl2onnx {skl2onnx.__version__}"
    return TrainedModel(
        onnx=onnx_model.SerializeToString(),
        hyper_parameters={"estimator": type(model).__name__, **options},
        figures={"trainExamples": len(train_set), "validationExamples": len(validation_set), "trainSeconds": round(train_seconds, 3), **validation},
        library=library,
    )
