"""confluent-kafka's AdminClient creates, describes and deletes topics and lists offsets by
timestamp (earliest, latest, max_timestamp, for_timestamp) against the broker.

Topic names start with `--prefix` so runs never collide. Error cases check the Kafka error code
the broker answered (librdkafka passes it through unchanged).
"""

import argparse
import sys

import ck
from confluent_kafka import KafkaError, KafkaException, TopicCollection, TopicPartition
from confluent_kafka.admin import (
    AdminClient,
    ConfigResource,
    NewTopic,
    OffsetSpec,
    ResourceType,
)

from kit import BASE_TIMESTAMP_MS, CALL_TIMEOUT_S, Failure, check, check_eq, run

# The by-time partition holds records whose timestamps are these offsets from BASE_TIMESTAMP_MS:
# not monotonic, and the maximum is in the middle, so max_timestamp and for_timestamp differ.
TIMESTAMP_STEPS_MS = [0, 1000, 2000, 3000, 4000, 100_000, 5000, 6000, 7000, 8000]
MAX_TIMESTAMP_INDEX = 5


def expect_error(future, code, what):
    try:
        future.result()
    except KafkaException as exc:
        err = exc.args[0]
        check_eq(err.code(), code, f"{what}: error code (message {err.str()!r})")
        return err.str()
    raise Failure(f"{what}: succeeded, expected error {KafkaError(code).name()}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--prefix", default="admin-")
    args = ap.parse_args()
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    multi, compact, bytime = (args.prefix + s for s in ("multi", "compact", "bytime"))

    def scenario():
        # --- create ---------------------------------------------------------------------------
        created = admin.create_topics(
            [
                NewTopic(multi, num_partitions=3, replication_factor=1),
                NewTopic(
                    compact,
                    num_partitions=1,
                    replication_factor=1,
                    config={"cleanup.policy": "compact", "retention.ms": "3600000"},
                ),
                NewTopic(bytime, num_partitions=2, replication_factor=-1),
            ],
            request_timeout=CALL_TIMEOUT_S,
        )
        for topic, future in created.items():
            future.result()  # raises on a per-topic error
        duplicate = expect_error(
            admin.create_topics([NewTopic(multi, 1, 1)], request_timeout=CALL_TIMEOUT_S)[multi],
            KafkaError.TOPIC_ALREADY_EXISTS,
            "creating an existing topic",
        )
        invalid = expect_error(
            admin.create_topics([NewTopic("bad/name", 1, 1)], request_timeout=CALL_TIMEOUT_S)[
                "bad/name"
            ],
            KafkaError.TOPIC_EXCEPTION,
            "creating an invalid topic name",
        )
        validated = admin.create_topics(
            [NewTopic(args.prefix + "dry", 1, 1)],
            validate_only=True,
            request_timeout=CALL_TIMEOUT_S,
        )
        validated[args.prefix + "dry"].result()

        # --- describe ---------------------------------------------------------------------------
        listed = admin.list_topics(timeout=CALL_TIMEOUT_S)
        for topic, count in ((multi, 3), (compact, 1), (bytime, 2)):
            meta = listed.topics.get(topic)
            check(meta is not None, f"list_topics does not show {topic}")
            check(meta.error is None, f"list_topics: {topic} has error {meta.error}")
            check_eq(sorted(meta.partitions), list(range(count)), f"{topic} partitions")
            for p in meta.partitions.values():
                check(p.leader in listed.brokers, f"{topic}[{p.id}] leader {p.leader} unknown")
        check(args.prefix + "dry" not in listed.topics, "validate_only created the topic")

        described = admin.describe_topics(
            TopicCollection([multi, compact]), request_timeout=CALL_TIMEOUT_S
        )
        for topic, count in ((multi, 3), (compact, 1)):
            desc = described[topic].result()
            check_eq(desc.name, topic, "describe_topics name")
            check_eq(len(desc.partitions), count, f"describe_topics {topic} partitions")
            check(not desc.is_internal, f"{topic} described as internal")
            for p in desc.partitions:
                check(p.leader is not None, f"{topic}[{p.id}] has no leader")
                check_eq(len(p.replicas), 1, f"{topic}[{p.id}] replicas")
                check_eq(len(p.isr), 1, f"{topic}[{p.id}] isr")

        resource = ConfigResource(ResourceType.TOPIC, compact)
        configs = admin.describe_configs([resource], request_timeout=CALL_TIMEOUT_S)[
            resource
        ].result()
        check_eq(configs["cleanup.policy"].value, "compact", "cleanup.policy of " + compact)
        check_eq(configs["retention.ms"].value, "3600000", "retention.ms of " + compact)

        # --- list offsets by time ------------------------------------------------------------------
        records = [
            {"key": f"t{i}".encode(), "value": f"v{i}".encode(), "headers": [],
             "timestamp": BASE_TIMESTAMP_MS + step}
            for i, step in enumerate(TIMESTAMP_STEPS_MS)
        ]
        placed = ck.produce(
            {"bootstrap.servers": args.bootstrap, "acks": "all", "linger.ms": 0},
            bytime,
            records,
            partition=0,
        )
        check_eq([o for _, o in placed], list(range(len(records))), "by-time offsets")
        offsets = list_offsets(bytime, 0)
        check_eq(offsets["earliest"], (0, -1), "earliest")
        check_eq(offsets["latest"], (len(records), -1), "latest")
        max_ts = BASE_TIMESTAMP_MS + TIMESTAMP_STEPS_MS[MAX_TIMESTAMP_INDEX]
        check_eq(offsets["max_timestamp"], (MAX_TIMESTAMP_INDEX, max_ts), "max_timestamp")
        check_eq(offsets["at_base"], (0, BASE_TIMESTAMP_MS), "for_timestamp(first)")
        check_eq(offsets["between"], (2, BASE_TIMESTAMP_MS + 2000), "for_timestamp(+1500ms)")
        check_eq(offsets["after_5000"], (5, max_ts), "for_timestamp(+4500ms)")
        check_eq(offsets["past_all"], (-1, -1), "for_timestamp(after every record)")
        empty = list_offsets(bytime, 1)
        check_eq(empty["earliest"], (0, -1), "earliest of an empty partition")
        check_eq(empty["latest"], (0, -1), "latest of an empty partition")
        check_eq(empty["max_timestamp"], (-1, -1), "max_timestamp of an empty partition")
        check_eq(empty["at_base"], (-1, -1), "for_timestamp on an empty partition")

        # --- delete ---------------------------------------------------------------------------------
        deleted = admin.delete_topics([multi, compact, bytime], request_timeout=CALL_TIMEOUT_S)
        for future in deleted.values():
            future.result()
        ck.wait_for(
            "deleted topics to leave the metadata",
            lambda: not {multi, compact, bytime}
            & set(admin.list_topics(timeout=CALL_TIMEOUT_S).topics),
        )
        unknown = expect_error(
            admin.delete_topics([multi], request_timeout=CALL_TIMEOUT_S)[multi],
            KafkaError.UNKNOWN_TOPIC_OR_PART,
            "deleting a deleted topic",
        )
        return {
            "created": 3,
            "deleted": 3,
            "errors": {"duplicate": duplicate, "invalid": invalid, "unknown": unknown},
            "by_time": {k: list(v) for k, v in offsets.items()},
        }

    def list_offsets(topic, partition):
        specs = {
            "earliest": OffsetSpec.earliest(),
            "latest": OffsetSpec.latest(),
            "max_timestamp": OffsetSpec.max_timestamp(),
            "at_base": OffsetSpec.for_timestamp(BASE_TIMESTAMP_MS),
            "between": OffsetSpec.for_timestamp(BASE_TIMESTAMP_MS + 1500),
            "after_5000": OffsetSpec.for_timestamp(BASE_TIMESTAMP_MS + 4500),
            "past_all": OffsetSpec.for_timestamp(BASE_TIMESTAMP_MS + 10_000_000),
        }
        answers = {}
        # One request per spec: a partition may appear only once in a ListOffsets request.
        for name, spec in specs.items():
            tp = TopicPartition(topic, partition)
            result = admin.list_offsets({tp: spec}, request_timeout=CALL_TIMEOUT_S)
            info = next(iter(result.values())).result()
            answers[name] = (info.offset, info.timestamp)
        return answers

    run(scenario)


if __name__ == "__main__":
    sys.exit(main())
