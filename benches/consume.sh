#!/usr/bin/env bash
# Throughput of kafka-console-consumer against kcat -C (librdkafka) on the bundled broker.
#
# Starts a release kafka-server-start on a free loopback port with a temp dir, loads RECORDS
# records of RECORD_BYTES bytes into one topic with `kcat -P`, then times
#   kafka-console-consumer --from-beginning --max-messages RECORDS > /dev/null
#   kcat -C -e -o beginning > /dev/null
# (both print every value and a newline), checks both printed every record (on a count run),
# and prints both throughputs and their ratio. Runs ROUNDS rounds, alternating the order, and
# reports the best round of each tool.
#
# Usage: benches/consume.sh       (env: RECORDS=1000000 RECORD_BYTES=100 PARTITIONS=1 ROUNDS=5
#                                       CODEC=none)
set -euo pipefail

RECORDS=${RECORDS:-1000000}
RECORD_BYTES=${RECORD_BYTES:-100}
PARTITIONS=${PARTITIONS:-1}
ROUNDS=${ROUNDS:-5}
CODEC=${CODEC:-none}
KCAT=${KCAT:-kcat}

cd "$(dirname "$0")/.."
cargo build --release --quiet --bin kafka-server-start --bin kafka-console-consumer
BIN=target/release
command -v "$KCAT" >/dev/null || { echo "kcat not found (apt-get install kcat)" >&2; exit 1; }

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN/kafka-server-start" --override "listeners=PLAINTEXT://127.0.0.1:$PORT" \
    --override "num.partitions=$PARTITIONS" \
    --override "log.dirs=$WORK/data" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 50); do grep -q "Awaiting socket connections" "$WORK/server.log" && break; sleep 0.1; done
BOOTSTRAP=127.0.0.1:$PORT
TOPIC=bench

# RECORDS values of exactly RECORD_BYTES bytes each, all different.
python3 - "$RECORDS" "$RECORD_BYTES" >"$WORK/input.txt" <<'PY'
import sys
records, width = int(sys.argv[1]), int(sys.argv[2])
out = sys.stdout
for i in range(records):
    prefix = f"{i:010d}-"
    out.write(prefix + "x" * (width - len(prefix)) + "\n")
PY
"$KCAT" -P -b "$BOOTSTRAP" -t "$TOPIC" -z "$CODEC" -X acks=all <"$WORK/input.txt"
DATA_MB=$(python3 -c "print(round($RECORDS * $RECORD_BYTES / 1e6, 1))")

consumer() {
    "$BIN/kafka-console-consumer" --bootstrap-server "$BOOTSTRAP" --topic "$TOPIC" \
        --from-beginning --max-messages "$RECORDS" 2>/dev/null
}
kcat_consumer() {
    "$KCAT" -C -b "$BOOTSTRAP" -t "$TOPIC" -e -o beginning -q 2>/dev/null
}

# Both must print exactly the records loaded.
for tool in consumer kcat_consumer; do
    got=$($tool | wc -l)
    if [ "$got" != "$RECORDS" ]; then echo "$tool printed $got records, expected $RECORDS" >&2; exit 1; fi
done
cmp <(consumer | sort) <(sort "$WORK/input.txt") || { echo "kafka-console-consumer output differs from the input" >&2; exit 1; }

now() { date +%s.%N; }
run() { # tool -> seconds
    local start end
    start=$(now)
    case $1 in
        kafkit) consumer >/dev/null ;;
        kcat) kcat_consumer >/dev/null ;;
    esac
    end=$(now)
    python3 -c "print($end - $start)"
}

best_kafkit=999999; best_kcat=999999
for round in $(seq "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then order="kafkit kcat"; else order="kcat kafkit"; fi
    for tool in $order; do
        t=$(run "$tool")
        printf '%s round %s: %.3f s\n' "$tool" "$round" "$t" >&2
        if [ "$tool" = kafkit ]; then best_kafkit=$(python3 -c "print(min($best_kafkit, $t))");
        else best_kcat=$(python3 -c "print(min($best_kcat, $t))"); fi
    done
done

python3 - "$RECORDS" "$DATA_MB" "$best_kafkit" "$best_kcat" "$PARTITIONS" "$CODEC" "$($KCAT -V 2>&1 | head -1)" <<'PY'
import sys
records, mb, kafkit, kcat, partitions, codec, version = sys.argv[1:]
records, mb, kafkit, kcat = int(records), float(mb), float(kafkit), float(kcat)
print(f"records: {records} x {int(mb * 1e6 / records)} bytes ({mb} MB), {partitions} partition(s), codec {codec}")
print(f"kafka-console-consumer: {kafkit:.3f} s  {records / kafkit:,.0f} records/s  {mb / kafkit:.1f} MB/s")
print(f"kcat -C -e:             {kcat:.3f} s  {records / kcat:,.0f} records/s  {mb / kcat:.1f} MB/s  ({version})")
print(f"ratio (kcat time / kafkit time): {kcat / kafkit:.2f}x")
verdict = "met" if kcat >= kafkit else "NOT met"
print(f"SUMMARY|console consume ({partitions} partition(s), {codec}), best round|{records / kafkit:,.0f} rec/s|"
      f"{records / kcat:,.0f} rec/s (kcat -C -e)|{kcat / kafkit:.2f}x|>= 1.0x kcat|{verdict}")
PY
