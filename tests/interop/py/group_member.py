"""A confluent-kafka (librdkafka) consumer-group member for the mixed-group tests of our client
(tests/client/group_peers.rs): it subscribes, prints what librdkafka's rebalance callbacks say,
and leaves the group when its stdin closes.

Output, one line each, flushed:
  MEMBER <member id>            after every assignment
  ASSIGNED [[topic, partition], ...]   everything owned now
  REVOKED                       (eager protocol) everything was revoked
With a cooperative strategy the callbacks get only what is added or revoked; the script prints
what is owned after each (an ASSIGNED line), never REVOKED.
Usage: group_member.py --bootstrap B --group G --topic T [--strategy range] [--session-ms 6000]
"""

import argparse
import json
import sys
import threading

from confluent_kafka import Consumer, KafkaException

# How long one poll waits: short, so rebalances and the stdin close are handled promptly.
POLL_S = 0.1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--topic", action="append", required=True)
    ap.add_argument("--strategy", default="range")
    ap.add_argument("--session-ms", type=int, default=6000)
    args = ap.parse_args()

    consumer = Consumer(
        {
            "bootstrap.servers": args.bootstrap,
            "group.id": args.group,
            "partition.assignment.strategy": args.strategy,
            "session.timeout.ms": args.session_ms,
            "heartbeat.interval.ms": max(100, args.session_ms // 5),
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    errors = []

    owned = set()
    # librdkafka's only incremental assignor.
    cooperative = args.strategy == "cooperative-sticky"

    def show(c):
        print(f"MEMBER {c.memberid()}", flush=True)
        print("ASSIGNED " + json.dumps(sorted([t, p] for t, p in owned)), flush=True)

    def on_assign(c, partitions):
        if not cooperative:
            owned.clear()
        owned.update((p.topic, p.partition) for p in partitions)
        show(c)

    def on_revoke(c, partitions):
        if cooperative:
            owned.difference_update((p.topic, p.partition) for p in partitions)
            show(c)
        else:
            owned.clear()
            print("REVOKED", flush=True)

    consumer.subscribe(
        args.topic, on_assign=on_assign, on_revoke=on_revoke, on_lost=on_revoke
    )
    stop = threading.Event()

    def watch_stdin():
        sys.stdin.read()
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    while not stop.is_set():
        msg = consumer.poll(POLL_S)
        if msg is not None and msg.error() is not None:
            errors.append(str(msg.error()))
    try:
        consumer.close()
    except KafkaException as e:
        errors.append(str(e))
    if errors:
        print("FAIL: " + "; ".join(errors), file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
