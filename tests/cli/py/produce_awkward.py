"""Produces awkward records with confluent-kafka (librdkafka), a producer nobody here wrote, so the
kafka-console-consumer tests check how our consumer prints bytes it did not encode itself.

Usage: produce_awkward.py <bootstrap> <topic>
The topic must exist. For each codec (none, gzip, snappy, lz4, zstd) one idempotent producer
(enable.idempotence=True, acks=all) writes the same shapes of record: keyed and null keys, empty
and null values, non-UTF-8 keys, values and header values, no headers, repeated header keys, a
header with a null value, explicit CreateTime timestamps, compressible text so the codec is used.
No record byte is a newline or a tab, so the consumer's text lines split unambiguously.

Prints one `RESULT {json}` line (kit.run): {"records": [record, ...]} in send order, a record
being {"codec", "partition", "offset", "timestamp", "key", "value", "headers"} with key, value
and header values as base64 strings or null, headers a list of [key, value] pairs.
"""

import base64
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "interop", "py"))

import ck  # noqa: E402  (after the path set-up above)
import kit  # noqa: E402

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
# How far before "now" the explicit timestamps start: clearly not the broker's append time, and
# recent enough that no retention rule touches the records.
TIMESTAMP_LAG_MS = 3_600_000
# Timestamp step between codecs, so every record's timestamp is distinct.
CODEC_TIMESTAMP_STEP_MS = 1000
# Bytes that are not UTF-8 (a lone continuation byte, 0xff, NUL) and neither newline nor tab.
NOT_UTF8 = b"\xff\xfe\x00\x80\xc3"


def records_for(codec, base_timestamp):
    """The record shapes of one codec, each with its explicit timestamp."""
    text = f"{codec} compressible value " * 20
    shapes = [
        (f"{codec}-k0".encode(), text.encode(), [("origin", b"ck")]),
        (None, f"{codec} null key".encode(), [("origin", b"ck")]),
        (f"{codec}-k2".encode(), b"", [("origin", b"ck")]),
        (f"{codec}-k3".encode(), None, [("origin", b"ck")]),
        (NOT_UTF8 + codec.encode(), NOT_UTF8 + b" value", [("bin", NOT_UTF8)]),
        (f"{codec}-k5".encode(), f"{codec} no headers".encode(), []),
        (
            f"{codec}-k6".encode(),
            f"{codec} repeated and null headers".encode(),
            [("dup", b"1"), ("dup", b"2"), ("nullv", None), ("dup", b"3")],
        ),
        (None, None, []),
        (f"{codec}-k8".encode(), text.upper().encode(), [("origin", b"ck"), ("empty", b"")]),
    ]
    for key, value, headers in shapes:
        for data in [key, value] + [v for _, v in headers]:
            kit.check(data is None or not (b"\n" in data or b"\t" in data), "newline or tab")
    return [
        {"key": key, "value": value, "headers": headers, "timestamp": base_timestamp + i}
        for i, (key, value, headers) in enumerate(shapes)
    ]


def b64(data):
    return None if data is None else base64.b64encode(data).decode("ascii")


def main():
    bootstrap, topic = sys.argv[1], sys.argv[2]
    start = int(time.time() * 1000) - TIMESTAMP_LAG_MS
    produced = []
    for n, codec in enumerate(CODECS):
        records = records_for(codec, start + n * CODEC_TIMESTAMP_STEP_MS)
        config = {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "compression.type": codec,
            # One batch per partition and codec: every record goes through the codec.
            "linger.ms": 50,
        }
        placed = ck.produce(config, topic, records)
        for record, (partition, offset) in zip(records, placed):
            produced.append(
                {
                    "codec": codec,
                    "partition": partition,
                    "offset": offset,
                    "timestamp": record["timestamp"],
                    "key": b64(record["key"]),
                    "value": b64(record["value"]),
                    "headers": [[k, b64(v)] for k, v in record["headers"]],
                }
            )
    return {"records": produced}


if __name__ == "__main__":
    kit.run(main)
