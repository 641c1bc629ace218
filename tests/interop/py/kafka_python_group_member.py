"""A kafka-python consumer-group member for the group tests against our broker
(tests/client/group_script_peers.rs): it subscribes, consumes, commits what it consumed after
every poll (commitSync), and leaves the group when its stdin closes.

Output, one line each, flushed:
  MEMBER <member id>            after every assignment
  ASSIGNED [[topic, partition], ...]
  REVOKED
  CONSUMED <records so far>     after every commit
Usage: kafka_python_group_member.py --bootstrap B --group G --topic T [--session-ms 6000]
"""

import argparse
import json
import logging
import sys
import threading

from kafka import KafkaConsumer, ConsumerRebalanceListener
from kafka.errors import KafkaError

# How long one poll waits: short, so rebalances and the stdin close are handled promptly.
POLL_MS = 100


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--topic", action="append", required=True)
    ap.add_argument("--session-ms", type=int, default=6000)
    args = ap.parse_args()
    # kafka-python's warnings (failed heartbeats, rejoins) on stderr, for a failing test's report.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    consumer = KafkaConsumer(
        bootstrap_servers=args.bootstrap,
        group_id=args.group,
        client_id="kafka-python-group-member",
        session_timeout_ms=args.session_ms,
        heartbeat_interval_ms=max(100, args.session_ms // 5),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            print("REVOKED", flush=True)

        def on_partitions_assigned(self, assigned):
            # kafka-python has no public accessor for the member id; the coordinator's current
            # generation carries it.
            generation = consumer._coordinator._generation
            print(f"MEMBER {generation.member_id}", flush=True)
            pairs = sorted([tp.topic, tp.partition] for tp in assigned)
            print("ASSIGNED " + json.dumps(pairs), flush=True)

    consumer.subscribe(topics=args.topic, listener=Listener())
    stop = threading.Event()

    def watch_stdin():
        sys.stdin.read()
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    consumed = 0
    errors = []
    while not stop.is_set():
        batches = consumer.poll(timeout_ms=POLL_MS)
        count = sum(len(records) for records in batches.values())
        if count:
            try:
                consumer.commit()
            except KafkaError as e:
                # A commit racing a rebalance fails and the records come again: not an error
                # of the peer, the test judges the committed offsets in the end.
                print(f"COMMIT-FAILED {e}", flush=True)
                continue
            consumed += count
            print(f"CONSUMED {consumed}", flush=True)
    try:
        consumer.close()
    except KafkaError as e:
        errors.append(str(e))
    if errors:
        print("FAIL: " + "; ".join(errors), file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
