"""confluent-kafka's idempotent acks=all producer round-trips records under every codec.

For each codec the records go to the existing topic `<prefix><codec>` (created by the Rust test),
through a producer with enable.idempotence=True, and are read back with an assign()-based consumer;
every record must come back exactly once at its reported offset with key, value, headers and
timestamp unchanged.
"""

import argparse
import sys

import ck
from confluent_kafka import Consumer

from kit import CALL_TIMEOUT_S, check_eq, record_set, run

CODECS = ("none", "gzip", "snappy", "lz4", "zstd")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic-prefix", required=True)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--codecs", default=",".join(CODECS))
    args = ap.parse_args()

    def scenario():
        per_codec = {}
        for codec in args.codecs.split(","):
            topic = args.topic_prefix + codec
            records = record_set(f"{codec}", args.count, seed=len(codec))
            placed = ck.produce(
                {
                    "bootstrap.servers": args.bootstrap,
                    "enable.idempotence": True,
                    "acks": "all",
                    "compression.type": codec,
                    "linger.ms": 5,
                    # small batches too, so one partition holds many compressed batches
                    "batch.num.messages": 300,
                },
                topic,
                records,
            )
            partitions = partitions_of(args.bootstrap, topic)
            messages = ck.read_partitions(args.bootstrap, topic, partitions)
            compared = ck.compare(topic, records, placed, messages)
            per_codec[codec] = {
                "records": compared,
                "partitions_used": len({p for p, _ in placed}),
            }
        return {"codecs": per_codec}

    run(scenario)


def partitions_of(bootstrap, topic):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "kafkit-interop-meta"})
    try:
        metadata = consumer.list_topics(topic, timeout=CALL_TIMEOUT_S)
        found = metadata.topics.get(topic)
        check_eq(found is not None and found.error is None, True, f"metadata for {topic}")
        return sorted(found.partitions)
    finally:
        consumer.close()


if __name__ == "__main__":
    sys.exit(main())
