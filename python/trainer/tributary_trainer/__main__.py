"""`python -m tributary_trainer`: a Temporal worker that polls one task queue for
`trainExternalModel`. Each setting is a flag or the environment variable Tributary's own
configuration reads (TRIBUTARY_KAFKA_BROKERS and the rest), with the local stack's defaults."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal

from temporalio.client import Client
from temporalio.worker import Worker

from .activity import TrainerSettings, create_activity


def _arguments() -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="tributary_trainer", description="Tributary's Python trainer: a Temporal worker for the trainExternalModel activity.")
    parser.add_argument("--task-queue", required=True, help="the task queue of the pipeline's model.trainer.taskQueue")
    parser.add_argument("--temporal-address", default=env("TRIBUTARY_TEMPORAL_ADDRESS", "127.0.0.1:7233"))
    parser.add_argument("--temporal-namespace", default=env("TRIBUTARY_TEMPORAL_NAMESPACE", "default"))
    parser.add_argument("--kafka-brokers", default=env("TRIBUTARY_KAFKA_BROKERS", "127.0.0.1:9092"), help="comma-separated host:port")
    parser.add_argument("--schema-registry-url", default=env("TRIBUTARY_SCHEMA_REGISTRY_URL", "http://127.0.0.1:8085/apis/ccompat/v7"))
    parser.add_argument("--read-timeout", type=float, default=600.0, help="seconds to read the pinned ranges")
    return parser.parse_args()


async def _run(arguments: argparse.Namespace) -> None:
    client = await Client.connect(arguments.temporal_address, namespace=arguments.temporal_namespace)
    settings = TrainerSettings(arguments.kafka_brokers, arguments.schema_registry_url, arguments.read_timeout)
    worker = Worker(client, task_queue=arguments.task_queue, activities=[create_activity(settings)])
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    async with worker:
        # The line a supervisor (or a test) waits for before it schedules work.
        print(f"tributary python trainer polling {arguments.task_queue} on {arguments.temporal_address}", flush=True)
        await stop.wait()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(_run(_arguments()))


if __name__ == "__main__":
    main()
