#!/usr/bin/env bash
# Throughput of kafka-console-producer against kcat -P (librdkafka) on the bundled broker.
#
# Starts a release kafka-server-start on a free loopback port with a temp dir, pipes the same
# file of LINES lines of LINE_BYTES bytes through both producers into two topics with the same
# layout (PARTITIONS partitions) and the same acks (all: the default of both tools), checks that
# every record arrived, and prints both throughputs and their ratio. Runs ROUNDS rounds,
# alternating the order, and reports the median and best round of each tool.
#
# Usage: benches/console.sh            (env: LINES=1000000 LINE_BYTES=100 PARTITIONS=1 ROUNDS=3)
set -euo pipefail

LINES=${LINES:-1000000}
LINE_BYTES=${LINE_BYTES:-100}
PARTITIONS=${PARTITIONS:-1}
ROUNDS=${ROUNDS:-3}
KCAT=${KCAT:-kcat}

cd "$(dirname "$0")/.."
cargo build --release --quiet --bin kafka-server-start --bin kafka-console-producer --bin kafka-topics
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
    --override "log.dirs=$WORK/data" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 50); do grep -q "Awaiting socket connections" "$WORK/server.log" && break; sleep 0.1; done
BOOTSTRAP=127.0.0.1:$PORT

# LINES lines of exactly LINE_BYTES bytes each (newline not counted), all different.
python3 - "$LINES" "$LINE_BYTES" >"$WORK/input.txt" <<'PY'
import sys
lines, width = int(sys.argv[1]), int(sys.argv[2])
out = sys.stdout
for i in range(lines):
    prefix = f"{i:010d}-"
    out.write(prefix + "x" * (width - len(prefix)) + "\n")
PY
INPUT_MB=$(python3 -c "import os; print(round(os.path.getsize('$WORK/input.txt') / 1e6, 1))")

now() { date +%s.%N; }
count() { # records in topic $1 (sum of end offsets)
    "$KCAT" -b "$BOOTSTRAP" -C -t "$1" -e -q -f '.\n' 2>/dev/null | wc -l
}
run() { # tool round -> seconds
    local tool=$1 topic="bench-$1-$2" start end
    "$BIN/kafka-topics" --bootstrap-server "$BOOTSTRAP" --create --topic "$topic" \
        --partitions "$PARTITIONS" >/dev/null
    start=$(now)
    case $tool in
        kafkit) "$BIN/kafka-console-producer" --bootstrap-server "$BOOTSTRAP" --topic "$topic" <"$WORK/input.txt" ;;
        kcat) "$KCAT" -P -b "$BOOTSTRAP" -t "$topic" -X acks=all <"$WORK/input.txt" ;;
    esac
    end=$(now)
    local got; got=$(count "$topic")
    if [ "$got" != "$LINES" ]; then echo "$tool round $2: $got records arrived, expected $LINES" >&2; exit 1; fi
    python3 -c "print($end - $start)"
}

times_kafkit=(); times_kcat=()
for round in $(seq "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then order="kafkit kcat"; else order="kcat kafkit"; fi
    for tool in $order; do
        t=$(run "$tool" "$round")
        printf '%s round %s: %.3f s\n' "$tool" "$round" "$t" >&2
        if [ "$tool" = kafkit ]; then times_kafkit+=("$t"); else times_kcat+=("$t"); fi
    done
done

python3 - "$LINES" "$INPUT_MB" "$PARTITIONS" "$($KCAT -V 2>&1 | head -1)" "${times_kafkit[*]}" "${times_kcat[*]}" <<'PY'
import statistics, sys
lines, mb, partitions, version = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
ours = [float(t) for t in sys.argv[5].split()]
kcat = [float(t) for t in sys.argv[6].split()]
print(f"records: {lines}, input: {mb} MB, partitions: {partitions}, acks: all, rounds: {len(ours)} ({version})")
print("| tool | median time (s) | best time (s) | records/s (median) | MB/s (median) |")
print("|---|---|---|---|---|")
for name, times in (("kafka-console-producer (kafkit)", ours), ("kcat -P", kcat)):
    m = statistics.median(times)
    print(f"| {name} | {m:.3f} | {min(times):.3f} | {lines/m:,.0f} | {mb/m:.1f} |")
ratio = statistics.median(kcat) / statistics.median(ours)
print(f"ratio (kcat time / kafkit time): median {ratio:.2f}x, best {min(kcat)/min(ours):.2f}x")
verdict = "met" if ratio >= 1.0 else "NOT met"
print(f"SUMMARY|console produce ({partitions} partition(s)), median round|{lines / statistics.median(ours):,.0f} rec/s|"
      f"{lines / statistics.median(kcat):,.0f} rec/s (kcat -P)|{ratio:.2f}x|>= 1.0x kcat (aim 1.5x)|{verdict}")
PY
