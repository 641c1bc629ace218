"""kafka-python produces records (acks=all, uncompressed and gzip) to an existing topic and reads
them back with an assign()-based consumer (no group): every record must come back exactly once at
the partition and offset its send() future reported, unchanged."""

import argparse
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from kit import CALL_TIMEOUT_S, Failure, check, check_eq, record_set, run

# How long the consumer may take to reach the end offsets before the read is failed.
READ_DEADLINE_S = 90.0
# Codecs kafka-python supports without optional native packages.
CODECS = (None, "gzip")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--count", type=int, default=2000)
    args = ap.parse_args()

    def scenario():
        # kafka-python sends neither a null header value nor a record with null key and value:
        # leave those headers out and give such records an empty value.
        records = []
        for codec in CODECS:
            for record in record_set(f"kp-{codec}", args.count // len(CODECS), seed=3):
                record["headers"] = [(k, v) for k, v in record["headers"] if v is not None]
                if record["key"] is None and record["value"] is None:
                    record["value"] = b""
                record["codec"] = codec
                records.append(record)
        placed = []
        for codec in CODECS:
            producer = KafkaProducer(
                bootstrap_servers=args.bootstrap,
                acks="all",
                compression_type=codec,
                linger_ms=5,
                request_timeout_ms=int(CALL_TIMEOUT_S * 1000),
            )
            futures = [
                producer.send(
                    args.topic,
                    value=r["value"],
                    key=r["key"],
                    headers=r["headers"],
                    timestamp_ms=r["timestamp"],
                )
                for r in records
                if r["codec"] == codec
            ]
            producer.flush(timeout=CALL_TIMEOUT_S)
            for future in futures:
                meta = future.get(timeout=CALL_TIMEOUT_S)
                placed.append((meta.partition, meta.offset))
            producer.close(timeout=CALL_TIMEOUT_S)

        consumer = KafkaConsumer(
            bootstrap_servers=args.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            request_timeout_ms=int(CALL_TIMEOUT_S * 1000) + 5000,
        )
        partitions = sorted(consumer.partitions_for_topic(args.topic) or [])
        check(partitions, f"no partitions known for {args.topic}")
        tps = [TopicPartition(args.topic, p) for p in partitions]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        check_eq(sum(ends.values()), len(records), "sum of end offsets")
        got = {}
        deadline = time.monotonic() + READ_DEADLINE_S
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            if time.monotonic() > deadline:
                raise Failure(
                    f"read stalled at {[(tp.partition, consumer.position(tp)) for tp in tps]}, "
                    f"ends {[(tp.partition, ends[tp]) for tp in tps]}"
                )
            for tp, batch in consumer.poll(timeout_ms=1000).items():
                for msg in batch:
                    check((tp.partition, msg.offset) not in got, f"{tp} offset {msg.offset} twice")
                    got[(tp.partition, msg.offset)] = msg
        consumer.close()

        for record, where in zip(records, placed):
            msg = got.pop(where, None)
            check(msg is not None, f"record at {where} not read back")
            check_eq(msg.key, record["key"], f"{where} key")
            check_eq(msg.value, record["value"], f"{where} value")
            check_eq(list(msg.headers), record["headers"], f"{where} headers")
            check_eq(msg.timestamp, record["timestamp"], f"{where} timestamp")
        check(not got, f"{len(got)} records read that were never produced: {sorted(got)[:5]}")
        return {"records": len(records), "partitions_used": len({p for p, _ in placed})}

    run(scenario)


if __name__ == "__main__":
    sys.exit(main())
