"""The vectoriser spec (src/vectoriser/vectoriser-spec.ts, described for other languages by
src/vectoriser/vectoriser-spec.schema.json) applied in Python, so the ONNX model this trainer
returns reads the very columns Tributary's scorer makes from a features record: the scorer needs
no change. Rules follow src/vectoriser/compile-vectoriser.ts and encodings.ts exactly: float64
arithmetic, one rounding to float32 at the end; a value that cannot be read names its field."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

LAYOUT_VERSION = 1
_FNV_OFFSET_BASIS = 0x811C9DC5
_FNV_PRIME = 0x01000193
_MS_PER_HOUR = 3_600_000
_MS_PER_DAY = 86_400_000
_EPOCH_ISO_WEEKDAY = 4  # 1970-01-01 was a Thursday.
_MAX_SAFE_INTEGER = 2**53 - 1


class VectorProblem(Exception):
    """A record's field cannot be encoded; the message is `<field> <why>`, as Tributary words it."""


def _is_number(value: Any) -> bool:
    # bool is an int in Python, but true is not a number in the records Tributary reads.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_safe_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= _MAX_SAFE_INTEGER


def _read(record: dict, field: str, nulls: dict | None, accepts: Callable[[Any], bool], expected: str) -> tuple[Any, bool]:
    value = record.get(field)
    if value is None:
        if nulls is not None:
            return nulls["fill"], True
        raise VectorProblem(f"{field} is {'missing' if field not in record else 'null, but the field is not nullable'}; expected {expected}")
    if not accepts(value):
        raise VectorProblem(f"{field} is {value!r}; expected {expected}")
    return value, False


def _standardise(x: float, scale: dict | None) -> float:
    return x if scale is None else (x - scale["mean"]) / scale["std"]


def _unscaled(entry: dict, x: float) -> float:
    if entry["encoding"] == "log1p":
        return math.copysign(math.log1p(abs(x)), x) if x != 0 else 0.0
    if entry["encoding"] == "clipped":
        return min(max(x, entry["min"]), entry["max"])
    return float(x)


def fnv1a32(data: bytes) -> int:
    hashed = _FNV_OFFSET_BASIS
    for byte in data:
        hashed = ((hashed ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return hashed


def _bucket(value: str | int | None, buckets: int) -> int:
    data = b"\xff" if value is None else str(value).encode("utf-8")
    return fnv1a32(data) % buckets


def _angle(entry: dict, value: int) -> float:
    period, source = entry["period"], entry["source"]
    if source == "epoch-micros":
        value = value // 1000
    if source in ("epoch-millis", "epoch-micros"):
        if period == "hour-of-day":
            value = (value // _MS_PER_HOUR) % 24
        else:
            value = ((value // _MS_PER_DAY) + _EPOCH_ISO_WEEKDAY - 1) % 7 + 1
    return 2 * math.pi * value / 24 if period == "hour-of-day" else 2 * math.pi * (value - 1) / 7


def _cyclic_check(entry: dict) -> tuple[Callable[[Any], bool], str]:
    if entry["source"] == "value":
        if entry["period"] == "hour-of-day":
            return (lambda v: _is_safe_integer(v) and 0 <= v <= 23), "an hour, a whole number from 0 to 23"
        return (lambda v: _is_safe_integer(v) and 1 <= v <= 7), "an ISO weekday, a whole number from 1 (Monday) to 7 (Sunday)"
    unit = "milliseconds" if entry["source"] == "epoch-millis" else "microseconds"
    return _is_safe_integer, f"a timestamp in {unit} since the epoch"


def _category(record: dict, entry: dict) -> str | int | None:
    text = entry["values"] == "string"
    accepts = (lambda v: isinstance(v, str)) if text else _is_safe_integer
    value, _ = _read(record, entry["field"], {"fill": None} if entry["nullable"] else None, accepts, "text" if text else "a whole number")
    return value


def _columns(entry: dict) -> list[float]:
    """A placeholder of the entry's width, for the checks of the spec's column count."""
    encoding = entry["encoding"]
    indicator = 1 if (entry.get("nulls") or {}).get("indicator") else 0
    if encoding in ("raw", "flag", "standardised", "log1p", "clipped"):
        return [0.0] * (1 + indicator)
    if encoding == "one-hot":
        return [0.0] * (len(entry["vocabulary"]) + 1)
    if encoding == "hashed":
        return [0.0] * entry["buckets"]
    if encoding == "cyclic":
        return [0.0] * (2 + indicator)
    if encoding == "missing-indicator":
        return [0.0]
    raise ValueError(f"unknown encoding {encoding!r}")


def _encode(record: dict, entry: dict) -> list[float]:
    encoding, field = entry["encoding"], entry["field"]
    nulls = entry.get("nulls")
    indicator = bool(nulls and nulls.get("indicator"))
    if encoding in ("raw", "standardised", "log1p", "clipped"):
        value, is_null = _read(record, field, nulls, _is_number, "a finite number")
        scale = None if encoding == "raw" else entry["scale"]
        out = [_standardise(_unscaled(entry, value), scale)]
    elif encoding == "flag":
        value, is_null = _read(record, field, nulls, lambda v: isinstance(v, bool), "true or false")
        out = [1.0 if value else 0.0]
    elif encoding == "one-hot":
        vocabulary = entry["vocabulary"]
        value = _category(record, entry)
        out = [0.0] * (len(vocabulary) + 1)
        out[len(vocabulary) if value is None or value not in vocabulary else vocabulary.index(value)] = 1.0
        return out
    elif encoding == "hashed":
        out = [0.0] * entry["buckets"]
        out[_bucket(_category(record, entry), entry["buckets"])] = 1.0
        return out
    elif encoding == "cyclic":
        accepts, expected = _cyclic_check(entry)
        value, is_null = _read(record, field, nulls, accepts, expected)
        radians = _angle(entry, value)
        out = [math.sin(radians), math.cos(radians)]
    elif encoding == "missing-indicator":
        return [1.0 if record.get(field) is None else 0.0]
    else:
        raise ValueError(f"unknown encoding {encoding!r}")
    if indicator:
        out.append(1.0 if is_null else 0.0)
    return out


class Vectoriser:
    """A fitted spec, checked once: its layout version and its column count."""

    def __init__(self, spec: dict) -> None:
        if spec.get("layoutVersion") != LAYOUT_VERSION:
            raise ValueError(f"vectoriser layout version {spec.get('layoutVersion')!r}; this trainer reads version {LAYOUT_VERSION}")
        self.entries = list(spec["inputs"])
        self.columns = list(spec["columns"])
        width = sum(len(_columns(entry)) for entry in self.entries)
        if width != len(self.columns):
            raise ValueError(f"the spec's inputs make {width} columns, its column list names {len(self.columns)}")

    @property
    def width(self) -> int:
        return len(self.columns)

    def vectorise(self, records: list[dict]) -> np.ndarray:
        """Rows of float32 in the spec's column order; raises VectorProblem for the first record that cannot be read."""
        rows = np.empty((len(records), self.width), dtype=np.float64)
        for index, record in enumerate(records):
            row: list[float] = []
            for entry in self.entries:
                row.extend(_encode(record, entry))
            rows[index] = row
        return rows.astype(np.float32)
