"""Reads a consumer group's committed offsets with confluent-kafka (librdkafka), a client nobody
here wrote, so the kafka-consumer-groups tests check what `--execute` left behind independently
of kafkit's own client.

Usage: committed_offsets.py <bootstrap> <group> <topic> <partitions>
Prints one JSON object {"<partition>": offset} (-1001, librdkafka's "invalid offset", when the
group has no committed offset for a partition).
"""

import json
import sys

from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient

CALL_TIMEOUT_S = 30.0


def main():
    bootstrap, group, topic, partitions = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    admin = AdminClient({"bootstrap.servers": bootstrap})
    request = ConsumerGroupTopicPartitions(
        group, [TopicPartition(topic, p) for p in range(partitions)]
    )
    futures = admin.list_consumer_group_offsets([request], request_timeout=CALL_TIMEOUT_S)
    result = futures[group].result(timeout=CALL_TIMEOUT_S)
    print(json.dumps({str(tp.partition): tp.offset for tp in result.topic_partitions}))


if __name__ == "__main__":
    main()
