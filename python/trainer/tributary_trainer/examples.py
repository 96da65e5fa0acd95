"""Reads the pinned offset ranges of a pipeline's training-examples topic from Kafka itself, as
Tributary's offset-range reader does: each range is half-open [fromOffset, toOffset), read
read_committed (the feature job writes the topic in transactions, whose markers take offsets, so a
partition is done when the consumer's position reaches toOffset, not when a record at toOffset - 1
arrives). Values carry the schema registry's 5-byte header (magic byte 0, schema id big-endian);
each writer schema is fetched once from the registry's Confluent-compatible API and the record is
decoded in its writer's shape, as Tributary decodes a pipeline's own examples topic."""

from __future__ import annotations

import io
import json
import struct
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any

import fastavro
from confluent_kafka import Consumer, KafkaError, TopicPartition

from .errors import ExampleReadError

MAGIC_BYTE = 0


@dataclass
class ReadResult:
    records: list[dict] = field(default_factory=list)
    """Undecodable records as `topic[partition]@offset: reason`, never silently dropped."""
    undecodable: list[str] = field(default_factory=list)
    schema_ids: set[int] = field(default_factory=set)


def _without_logical_types(schema: Any) -> Any:
    # Tributary's Avro decoder (avsc) reads a timestamp-millis long as its number; fastavro would
    # make it a datetime. Event times and cyclic timestamps are read as epoch numbers.
    if isinstance(schema, dict):
        return {key: _without_logical_types(value) for key, value in schema.items() if key != "logicalType"}
    if isinstance(schema, list):
        return [_without_logical_types(item) for item in schema]
    return schema


class WriterSchemas:
    """Writer schemas by id, fetched from `{url}/schemas/ids/{id}` once each."""

    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self.parsed: dict[int, Any] = {}

    def get(self, schema_id: int) -> Any:
        if schema_id not in self.parsed:
            address = f"{self.url}/schemas/ids/{schema_id}"
            try:
                with urllib.request.urlopen(address, timeout=self.timeout_s) as answer:
                    text = json.loads(answer.read())["schema"]
            except (urllib.error.URLError, TimeoutError, KeyError, ValueError) as error:
                raise ExampleReadError(f"cannot fetch writer schema {schema_id} from {address}: {error}") from error
            self.parsed[schema_id] = fastavro.parse_schema(_without_logical_types(json.loads(text)))
        return self.parsed[schema_id]


def decode(value: bytes | None, schemas: WriterSchemas) -> tuple[int, dict]:
    """The schema id and record of a value in the registry's wire format; ValueError when it is not one."""
    if value is None or len(value) < 5 or value[0] != MAGIC_BYTE:
        raise ValueError("not in the schema registry's wire format (magic byte 0, 4-byte schema id)")
    (schema_id,) = struct.unpack(">I", value[1:5])
    return schema_id, fastavro.schemaless_reader(io.BytesIO(value[5:]), schemas.get(schema_id))


def read_ranges(
    brokers: str,
    schemas: WriterSchemas,
    ranges: list[dict],
    timeout_s: float,
) -> ReadResult:
    """Every record of `ranges`, decoded; raises ExampleReadError when they are not all read within `timeout_s`."""
    pending = {(r["topic"], int(r["partition"])): (int(r["fromOffset"]), int(r["toOffset"])) for r in ranges if int(r["fromOffset"]) < int(r["toOffset"])}
    result = ReadResult()
    if not pending:
        return result
    consumer = Consumer(
        {
            "bootstrap.servers": brokers,
            # A group id is required by the client; nothing is committed under it.
            "group.id": f"tributary-python-trainer-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
        }
    )
    try:
        consumer.assign([TopicPartition(topic, partition, start) for (topic, partition), (start, _) in pending.items()])
        deadline = time.monotonic() + timeout_s
        while pending:
            if time.monotonic() > deadline:
                shown = ", ".join(f"{t}[{p}] to {end}" for (t, p), (_, end) in pending.items())
                raise ExampleReadError(f"the pinned ranges were not all read within {timeout_s:.0f} s; still reading {shown}")
            message = consumer.poll(0.5)
            if message is not None:
                error = message.error()
                if error is not None and error.code() != KafkaError._PARTITION_EOF:
                    raise ExampleReadError(f"Kafka refused the read of {message.topic()}[{message.partition()}]: {error.str()}")
                key = (message.topic(), message.partition())
                if error is None and key in pending and message.offset() < pending[key][1]:
                    where = f"{key[0]}[{key[1]}]@{message.offset()}"
                    try:
                        schema_id, record = decode(message.value(), schemas)
                    except ExampleReadError:
                        raise
                    except Exception as reason:  # noqa: BLE001 - any decoding failure is the record's, reported with its offset
                        result.undecodable.append(f"{where}: {reason}")
                    else:
                        result.schema_ids.add(schema_id)
                        result.records.append(record)
            for key in list(pending):
                position = consumer.position([TopicPartition(key[0], key[1])])[0].offset
                if position >= pending[key][1]:
                    del pending[key]
        return result
    finally:
        consumer.close()
