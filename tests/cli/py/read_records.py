"""Reads every record of some topics with confluent-kafka (librdkafka), a consumer nobody here
wrote, so the console-producer goldens compare what Apache's producer and ours stored without
trusting kafkit's own client to read it back.

Usage: read_records.py <bootstrap> <topic>...
Prints one JSON object: {"<topic>": [record, ...]} with the records of each topic in partition,
then offset order. A record is {"partition", "offset", "key", "value", "headers",
"timestamp_type"}; key, value and header values are base64 strings or null, headers a list of
[key, value] pairs in record order. Exits non-zero if a partition cannot be read to its end.
"""

import base64
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

CALL_TIMEOUT_S = 30.0
POLL_S = 0.5
TIMESTAMP_TYPES = {1: "CreateTime", 2: "LogAppendTime"}


def b64(data):
    return None if data is None else base64.b64encode(data).decode("ascii")


def read_topic(consumer, topic):
    metadata = consumer.list_topics(topic, timeout=CALL_TIMEOUT_S).topics[topic]
    if metadata.error is not None:
        raise KafkaException(metadata.error)
    partitions = sorted(metadata.partitions)
    ends = {}
    for p in partitions:
        _, high = consumer.get_watermark_offsets(
            TopicPartition(topic, p), timeout=CALL_TIMEOUT_S
        )
        ends[p] = high
    wanted = [TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions if ends[p] > 0]
    records = []
    if not wanted:
        return records
    consumer.assign(wanted)
    positions = {p: 0 for p in partitions}
    deadline = time.monotonic() + CALL_TIMEOUT_S
    while any(positions[p] < ends[p] for p in partitions):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{topic}: read {positions} of {ends} in time")
        for message in consumer.consume(num_messages=1000, timeout=POLL_S):
            if message.error() is not None:
                raise KafkaException(message.error())
            kind, _ = message.timestamp()
            records.append(
                {
                    "partition": message.partition(),
                    "offset": message.offset(),
                    "key": b64(message.key()),
                    "value": b64(message.value()),
                    "headers": [[k, b64(v)] for k, v in (message.headers() or [])],
                    "timestamp_type": TIMESTAMP_TYPES.get(kind, "NoTimestamp"),
                }
            )
            positions[message.partition()] = message.offset() + 1
    consumer.unassign()
    records.sort(key=lambda r: (r["partition"], r["offset"]))
    return records


def main():
    bootstrap, topics = sys.argv[1], sys.argv[2:]
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "kafkit-read-records",
            "enable.auto.commit": False,
            "enable.partition.eof": False,
        }
    )
    try:
        print(json.dumps({topic: read_topic(consumer, topic) for topic in topics}))
    finally:
        consumer.close()


if __name__ == "__main__":
    main()
