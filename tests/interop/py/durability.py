"""Acknowledged records survive a broker restart or crash.

  durability.py produce --bootstrap B --topic T --count N [--idempotence false] [--start S]
      Produces records S..S+N (kit.make_record, prefix "dur") with an idempotent acks=all producer
      (or a plain acks=all one with --idempotence false)
      and prints `ACK <index> <partition> <offset>` for each acknowledged record as soon as its
      delivery report arrives, then a RESULT line once all are acknowledged. A crash test kills
      the broker (and then this process) part-way; the ACK lines printed so far are the records
      the broker promised to keep.

  durability.py verify --bootstrap B --topic T --acked FILE [--retention]
      Reads the whole topic back and checks that every record listed as ACK in FILE is at its
      partition and offset, unchanged; that every record present is one that was sent (no
      corruption, no duplicates); and that each partition keeps send order. With --retention,
      acknowledged records below a partition's log start offset count as deleted by retention.
"""

import argparse
import sys

import ck
from confluent_kafka import Consumer, Producer, TopicPartition

from kit import CALL_TIMEOUT_S, Failure, check, check_eq, make_record, run

PREFIX = "dur"


def produce(args):
    producer = Producer(
        {
            "bootstrap.servers": args.bootstrap,
            "enable.idempotence": args.idempotence == "true",
            "acks": "all",
            "linger.ms": 5,
            "batch.num.messages": 200,
        }
    )
    acked = [0]
    errors = []

    def report(index):
        def on_delivery(err, msg):
            if err is not None:
                errors.append(f"record {index}: {err}")
                print(f"NACK {index} {err}", flush=True)
            else:
                acked[0] += 1
                print(f"ACK {index} {msg.partition()} {msg.offset()}", flush=True)

        return on_delivery

    for index in range(args.start, args.start + args.count):
        record = make_record(PREFIX, index)
        while True:
            try:
                producer.produce(
                    args.topic,
                    value=record["value"],
                    key=record["key"],
                    headers=record["headers"],
                    timestamp=record["timestamp"],
                    on_delivery=report(index),
                )
                break
            except BufferError:  # local queue full: let deliveries drain
                producer.poll(0.1)
        producer.poll(0)
    remaining = producer.flush(ck.FLUSH_TIMEOUT_S)
    check(remaining == 0, f"{remaining} records still undelivered")
    check(not errors, f"{len(errors)} delivery failures, first: {errors[:3]}")
    return {"acked": acked[0]}


def verify(args):
    acked = {}
    with open(args.acked, encoding="utf-8") as lines:
        for line in lines:
            parts = line.split()
            if len(parts) == 4 and parts[0] == "ACK":
                index, partition, offset = (int(p) for p in parts[1:])
                acked[(partition, offset)] = index
    check(acked, f"{args.acked} lists no acknowledged record")

    meta = Consumer({"bootstrap.servers": args.bootstrap, "group.id": "kafkit-interop-meta"})
    try:
        topic = meta.list_topics(args.topic, timeout=CALL_TIMEOUT_S).topics.get(args.topic)
    finally:
        meta.close()
    check(topic is not None and topic.error is None, f"{args.topic} missing after restart")
    messages = ck.read_partitions(args.bootstrap, args.topic, sorted(topic.partitions))
    if args.retention:
        expired = 0
        watermarks = Consumer({"bootstrap.servers": args.bootstrap, "group.id": "kafkit-low"})
        try:
            for partition in topic.partitions:
                low, _high = watermarks.get_watermark_offsets(
                    TopicPartition(args.topic, partition), timeout=CALL_TIMEOUT_S
                )
                for key in [k for k in acked if k[0] == partition and k[1] < low]:
                    del acked[key]
                    expired += 1
        finally:
            watermarks.close()

    seen = set()
    read = 0
    for partition, msgs in messages.items():
        last_index = -1
        for msg in msgs:
            where = f"{args.topic}[{partition}]@{msg.offset()}"
            headers = dict((k, v) for k, v in (msg.headers() or []) if k == "idx")
            check("idx" in headers, f"{where}: record without an idx header")
            index = int(headers["idx"])
            check(index not in seen, f"{where}: record {index} stored twice")
            check(index > last_index, f"{where}: record {index} after {last_index}")
            seen.add(index)
            last_index = index
            want = make_record(PREFIX, index)
            check_eq(msg.key(), want["key"], f"{where} key")
            check_eq(msg.value(), want["value"], f"{where} value")
            check_eq(msg.headers() or [], want["headers"], f"{where} headers")
            check_eq(msg.timestamp()[1], want["timestamp"], f"{where} timestamp")
            expected_index = acked.pop((partition, msg.offset()), None)
            if expected_index is not None:
                check_eq(index, expected_index, f"{where}: acknowledged record index")
            read += 1
    if acked:
        lost = sorted(acked.items())[:10]
        raise Failure(f"{len(acked)} acknowledged records are gone, first (partition, offset)"
                      f" -> index: {lost}")
    summary = {"read": read, "distinct": len(seen)}
    if args.retention:
        summary["deleted_by_retention"] = expired
    return summary


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("produce")
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--idempotence", choices=["true", "false"], default="true")
    p.add_argument("--start", type=int, default=0, help="index of the first record")
    v = sub.add_parser("verify")
    v.add_argument("--bootstrap", required=True)
    v.add_argument("--topic", required=True)
    v.add_argument("--acked", required=True)
    v.add_argument("--retention", action="store_true")
    args = ap.parse_args()
    run(lambda: produce(args) if args.mode == "produce" else verify(args))


if __name__ == "__main__":
    sys.exit(main())
