"""A confluent-kafka group consumer that commits synchronously as it reads, for crash tests.

  committer.py --bootstrap B --group G --topic T [--every N]

Subscribes, reads, and every N records commits the positions of its assignment with a
synchronous commit; after each commit the broker acknowledged it prints
`COMMIT <partition> <offset>` per partition. It runs until killed: the crash test kills the broker
(and then this process) and checks the committed offsets it finds after the restart are at least
the last ones printed.
"""

import argparse
import sys

from confluent_kafka import Consumer, KafkaException

# How long one poll waits: short, so commits keep flowing while records do.
POLL_S = 0.1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--every", type=int, default=50)
    args = ap.parse_args()
    consumer = Consumer(
        {
            "bootstrap.servers": args.bootstrap,
            "group.id": args.group,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 500,
        }
    )
    consumer.subscribe([args.topic])
    since_commit = 0
    while True:
        msg = consumer.poll(POLL_S)
        if msg is None or msg.error():
            continue
        since_commit += 1
        if since_commit < args.every:
            continue
        since_commit = 0
        try:
            committed = consumer.commit(asynchronous=False)
        except KafkaException as e:  # the broker went away: nothing was promised
            print(f"COMMIT-FAILED {e}", flush=True)
            continue
        for tp in committed or []:
            if tp.error is None and tp.offset >= 0:
                print(f"COMMIT {tp.partition} {tp.offset}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
