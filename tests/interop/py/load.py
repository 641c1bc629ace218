"""Load peers for the reliability load test and the soak script (confluent-kafka).

  load.py produce --bootstrap B --topic T --name N --count C
      Produces records `N-0 .. N-(C-1)` (value = key) with an idempotent acks=all producer and
      prints a RESULT line once every one is acknowledged.
  load.py consume --bootstrap B --topic T --expect C [--slow-ms M]
      Reads the topic from the beginning (no group) until C records arrived, optionally sleeping
      M ms per record (a slow consumer); prints a RESULT with the count of distinct values, so the
      caller can check nothing was lost or read twice.
"""

import argparse
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer

import ck
from kit import CALL_TIMEOUT_S, check, run

# How long a consumer may go without a record before the run is declared stuck.
STALL_S = 60.0


def produce(args):
    producer = Producer(
        {
            "bootstrap.servers": args.bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 5,
        }
    )
    errors = []

    def on_delivery(err, _msg):
        if err is not None:
            errors.append(str(err))

    for i in range(args.count):
        value = f"{args.name}-{i}".encode()
        while True:
            try:
                producer.produce(args.topic, value=value, key=value, on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    remaining = producer.flush(ck.FLUSH_TIMEOUT_S)
    check(remaining == 0, f"{remaining} records undelivered")
    check(not errors, f"{len(errors)} delivery errors, first: {errors[:3]}")
    return {"acked": args.count}


def consume(args):
    consumer = Consumer(
        {
            "bootstrap.servers": args.bootstrap,
            "group.id": "kafkit-load-reader",
            "enable.auto.commit": False,
            "fetch.max.bytes": 65536 if args.slow_ms else 52428800,
        }
    )
    meta = consumer.list_topics(args.topic, timeout=CALL_TIMEOUT_S).topics[args.topic]
    from confluent_kafka import TopicPartition

    consumer.assign([TopicPartition(args.topic, p, OFFSET_BEGINNING) for p in meta.partitions])
    seen = set()
    read = 0
    last_progress = time.monotonic()
    while read < args.expect:
        msg = consumer.poll(0.5)
        if msg is None:
            check(time.monotonic() - last_progress < STALL_S, f"stalled at {read}/{args.expect}")
            continue
        check(msg.error() is None, f"consumer error: {msg.error()}")
        seen.add(msg.value())
        read += 1
        last_progress = time.monotonic()
        if args.slow_ms:
            time.sleep(args.slow_ms / 1000.0)
    consumer.close()
    return {"read": read, "distinct": len(seen)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("produce")
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--count", type=int, required=True)
    c = sub.add_parser("consume")
    c.add_argument("--bootstrap", required=True)
    c.add_argument("--topic", required=True)
    c.add_argument("--expect", type=int, required=True)
    c.add_argument("--slow-ms", type=float, default=0.0)
    args = ap.parse_args()
    run(lambda: produce(args) if args.mode == "produce" else consume(args))


if __name__ == "__main__":
    sys.exit(main())
