"""confluent-kafka (librdkafka) against the broker's TLS and SASL listeners.

Usage: security.py --scenarios JSON [--admin JSON]

Each scenario is {"name", "topic", "config": {librdkafka settings}, "expect": "ok" | "fail"}.
"ok": produce RECORDS records (acks=all), then consume them all back in a group.
"fail": the client must report an error through error_cb and deliver nothing.
With --admin {"config", "user", "password", "mechanism", "bootstrap_config"}: create a SCRAM
credential through AlterUserScramCredentials, describe it, authenticate with it, delete it.
Prints RESULT {"scenarios": {name: {...}}, "admin": {...}}.
"""

import argparse
import json
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.admin import (
    AdminClient,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)

from kit import CALL_TIMEOUT_S, Failure, check, check_eq, run

RECORDS = 50
# How long a failing client gets to report its error.
FAIL_WAIT_S = 10.0


def produce(config, topic, count):
    errors = []
    delivered = []
    producer = Producer({**config, "acks": "all", "error_cb": errors.append})

    def on_delivery(err, msg):
        if err is None:
            delivered.append(msg.offset())

    for i in range(count):
        producer.produce(topic, key=f"k{i}".encode(), value=f"v{i}".encode(), on_delivery=on_delivery)
    remaining = producer.flush(CALL_TIMEOUT_S)
    return delivered, errors, remaining


def consume(config, topic, group, count):
    consumer = Consumer({**config, "group.id": group, "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    values = []
    deadline = time.monotonic() + CALL_TIMEOUT_S * 2
    while len(values) < count and time.monotonic() < deadline:
        msg = consumer.poll(1.0)
        if msg is None:
            continue
        if msg.error():
            raise Failure(f"consume {topic}: {msg.error()}")
        values.append(msg.value().decode())
    consumer.close()
    return values


def ok_scenario(s):
    delivered, errors, remaining = produce(s["config"], s["topic"], RECORDS)
    check(not errors, f"{s['name']}: errors {errors}")
    check_eq(len(delivered), RECORDS, f"{s['name']}: delivered")
    check_eq(remaining, 0, f"{s['name']}: unflushed")
    values = consume(s["config"], s["topic"], "g-" + s["name"], RECORDS)
    check_eq(sorted(values), sorted(f"v{i}" for i in range(RECORDS)), f"{s['name']}: consumed")
    return {"produced": len(delivered), "consumed": len(values)}


def fail_scenario(s):
    errors = []
    producer = Producer({**s["config"], "error_cb": errors.append, "message.timeout.ms": int(FAIL_WAIT_S * 1000)})
    delivered = []
    producer.produce(s["topic"], value=b"must-not-arrive",
                     on_delivery=lambda err, msg: delivered.append(msg) if err is None else None)
    deadline = time.monotonic() + FAIL_WAIT_S
    while not errors and time.monotonic() < deadline:
        producer.poll(0.2)
    # The record must not arrive; drop it instead of waiting for its delivery timeout.
    producer.purge()
    producer.flush(1.0)
    check(errors, f"{s['name']}: no error reported")
    check_eq(len(delivered), 0, f"{s['name']}: delivered")
    return {"errors": sorted({e.name() for e in errors}),
            "messages": [e.str() for e in errors][:3]}


def admin_scenario(a):
    admin = AdminClient(a["config"])
    mechanism = getattr(ScramMechanism, a["mechanism"].replace("-", "_"))
    info = ScramCredentialInfo(mechanism, 8192)
    futures = admin.alter_user_scram_credentials(
        [UserScramCredentialUpsertion(a["user"], info, a["password"].encode())])
    for f in futures.values():
        f.result(CALL_TIMEOUT_S)
    described = admin.describe_user_scram_credentials([a["user"]])
    infos = described[a["user"]].result(CALL_TIMEOUT_S).scram_credential_infos
    described = [[i.mechanism.name, i.iterations] for i in infos]
    user_config = a["user_config"]
    delivered, errors, _ = produce(user_config, a["topic"], 5)
    check(not errors, f"new SCRAM user: {errors}")
    check_eq(len(delivered), 5, "new SCRAM user delivered")
    futures = admin.alter_user_scram_credentials([UserScramCredentialDeletion(a["user"], mechanism)])
    for f in futures.values():
        f.result(CALL_TIMEOUT_S)
    after = fail_scenario({"name": "deleted-user", "topic": a["topic"], "config": user_config})
    return {"described": described, "delivered": len(delivered), "after_delete": after["errors"]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenarios", required=True)
    parser.add_argument("--admin")
    args = parser.parse_args()
    results = {}
    for s in json.loads(args.scenarios):
        results[s["name"]] = ok_scenario(s) if s["expect"] == "ok" else fail_scenario(s)
    summary = {"scenarios": results}
    if args.admin:
        summary["admin"] = admin_scenario(json.loads(args.admin))
    return summary


if __name__ == "__main__":
    run(main)
