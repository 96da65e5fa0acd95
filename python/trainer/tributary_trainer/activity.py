"""The `trainExternalModel` activity: the contract of docs/python-trainer.md, Python side. It
reads the pinned ranges itself, trains, writes the ONNX model into the request's artifact
directory (shared with Tributary's training workers) and returns its path, SHA-256 and the
training figures. Reading and training run in a thread; the activity heartbeats while they do,
so a trainer that hangs or dies fails its attempt at the definition's heartbeat timeout."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from dataclasses import dataclass
from typing import Any

from temporalio import activity

from . import CONTRACT_VERSION
from .errors import ExampleDataError, TrainerRequestError
from .examples import WriterSchemas, read_ranges
from .train import to_example, train

ACTIVITY_NAME = "trainExternalModel"
HEARTBEAT_EVERY_S = 5.0
REQUIRED = ("contractVersion", "pipeline", "pipelineRevision", "runKey", "task", "ranges", "fields", "split", "vectoriser", "artifactDirectory")


@dataclass
class TrainerSettings:
    """What the worker itself is configured with: where Kafka and the registry are."""

    kafka_brokers: str
    schema_registry_url: str
    read_timeout_s: float = 600.0


def _check(request: Any) -> dict:
    if not isinstance(request, dict):
        raise TrainerRequestError(f"expected one JSON object as the request, got {type(request).__name__}")
    missing = [key for key in REQUIRED if key not in request]
    if missing:
        raise TrainerRequestError(f"the request lacks {', '.join(missing)} (contract version {CONTRACT_VERSION}, docs/python-trainer.md)")
    if request["contractVersion"] != CONTRACT_VERSION:
        raise TrainerRequestError(f"the request is of contract version {request['contractVersion']}; this trainer implements version {CONTRACT_VERSION}: upgrade python/trainer")
    return request


def _safe_name(run_key: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", run_key)


def _train_blocking(request: dict, settings: TrainerSettings) -> dict:
    read = read_ranges(settings.kafka_brokers, WriterSchemas(settings.schema_registry_url), request["ranges"], settings.read_timeout_s)
    fields, task = request["fields"], request["task"]
    examples = [to_example(record, fields, task, f"example {index}") for index, record in enumerate(read.records)]
    if not examples:
        raise ExampleDataError(f"the pinned ranges hold no decodable example ({len(read.undecodable)} undecodable)")
    trained = train(examples, request)
    folder = os.path.join(request["artifactDirectory"], _safe_name(request["runKey"]))
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    # Written beside and renamed, so a reader never sees half a file.
    with open(path + ".partial", "wb") as out:
        out.write(trained.onnx)
    os.replace(path + ".partial", path)
    return {
        "artifact": {"format": "onnx", "path": path, "sha256": hashlib.sha256(trained.onnx).hexdigest(), "bytes": len(trained.onnx)},
        "backend": f"python: {trained.hyper_parameters['estimator']} ({trained.library})",
        "hyperParameters": trained.hyper_parameters,
        "figures": {**trained.figures, "examplesRead": len(read.records), "undecodable": len(read.undecodable)},
    }


def create_activity(settings: TrainerSettings):
    @activity.defn(name=ACTIVITY_NAME)
    async def train_external_model(request: dict) -> dict:
        checked = _check(request)
        activity.logger.info("training %s revision %s (%s)", checked["pipeline"], checked["pipelineRevision"], checked["runKey"])
        work = asyncio.create_task(asyncio.to_thread(_train_blocking, checked, settings))
        while True:
            done, _ = await asyncio.wait({work}, timeout=HEARTBEAT_EVERY_S)
            if done:
                return work.result()
            activity.heartbeat()

    return train_external_model
