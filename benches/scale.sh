#!/usr/bin/env bash
# Scale: the bundled broker with PARTITIONS partitions in total (topics of 1,000 partitions)
# on disk - its start-up (spawn to first answered Metadata request, median of STARTS restarts)
# and RSS - and `kafka-consumer-groups --describe` of a group with committed offsets on every
# partition of a 1,000-partition topic (median of ROUNDS runs, against Apache's
# kafka-consumer-groups on the JVM, APACHE_ROUNDS runs, when Apache is available).
# Checks that the describe prints one row per partition.
#
# Usage: benches/scale.sh   (env: PARTITIONS=10000 STARTS=3 ROUNDS=10 APACHE_ROUNDS=3)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PARTITIONS=${PARTITIONS:-10000}
STARTS=${STARTS:-3}
ROUNDS=${ROUNDS:-10}
APACHE_ROUNDS=${APACHE_ROUNDS:-3}
TOPIC_PARTITIONS=1000
GROUP=bench-group
APACHE_TOOL_JVM="-Xmx256M $APACHE_JVM_FLAGS"

PORT=$(free_port)
BOOTSTRAP=127.0.0.1:$PORT
start_kafkit kafkit "$WORK/data" "$PORT"
EMPTY_START=$STARTUP_S
TOPICS=$((PARTITIONS / TOPIC_PARTITIONS))
create_start=$(date +%s.%N)
for i in $(seq "$TOPICS"); do
    "$BIN/kafka-topics" --bootstrap-server "$BOOTSTRAP" --create --topic "scale-$i" \
        --partitions "$TOPIC_PARTITIONS" >/dev/null
done
CREATE_S=$(python3 -c "print($(date +%s.%N) - $create_start)")
# A group with a committed offset on each partition of scale-1, without any member.
"$BIN/kafka-consumer-groups" --bootstrap-server "$BOOTSTRAP" --group "$GROUP" --topic scale-1 \
    --reset-offsets --to-earliest --execute >/dev/null
stop kafkit

STARTS_S=()
for _ in $(seq "$STARTS"); do
    start_kafkit kafkit "$WORK/data" "$PORT"
    STARTS_S+=("$STARTUP_S")
    echo "start-up with $PARTITIONS partitions: $STARTUP_S s" >&2
    sleep 1
    read -r IDLE_RSS _ < <($TOOLS rss "$(pid_of kafkit)")
    [ ${#STARTS_S[@]} = "$STARTS" ] || stop kafkit
done

OURS="$BIN/kafka-consumer-groups --bootstrap-server $BOOTSTRAP --describe --group $GROUP"
rows=$($OURS 2>/dev/null | grep -c '^bench-group ')
[ "$rows" = "$TOPIC_PARTITIONS" ] || { echo "describe printed $rows rows, expected $TOPIC_PARTITIONS" >&2; exit 1; }
read -r _ ours_med ours_best ours_rss < <($TOOLS time "$ROUNDS" "kafkit=$OURS")
apache_med=nan
if have_apache; then
    read -r _ apache_med _ _ < <($TOOLS time "$APACHE_ROUNDS" \
        "apache=java $APACHE_TOOL_JVM -cp '$APACHE_CP' org.apache.kafka.tools.consumer.group.ConsumerGroupCommand --bootstrap-server $BOOTSTRAP --describe --group $GROUP 2>/dev/null")
fi
read -r _ LOAD_HWM < <($TOOLS rss "$(pid_of kafkit)")

python3 - "$PARTITIONS" "$EMPTY_START" "$CREATE_S" "${STARTS_S[*]}" "$IDLE_RSS" "$LOAD_HWM" \
    "$ours_med" "$ours_best" "$ours_rss" "$apache_med" "$ROUNDS" <<'PY'
import statistics, sys
a = sys.argv[1:]
partitions = int(a[0])
empty, create = float(a[1]), float(a[2])
start = statistics.median(float(x) for x in a[3].split())
idle, hwm = int(a[4]) / 1024, int(a[5]) / 1024
ours, best, rss, apache = float(a[6]), float(a[7]), int(a[8]) / 1024, float(a[9])
print(f"| broker start-up, empty | {empty * 1000:.0f} ms |")
print(f"| creating {partitions:,} partitions (topics of 1,000) | {create:.1f} s |")
print(f"| broker start-up, {partitions:,} partitions on disk (median) | {start * 1000:.0f} ms |")
print(f"| broker RSS idle / peak, {partitions:,} partitions | {idle:.1f} MB / {hwm:.1f} MB |")
print(f"| kafka-consumer-groups --describe, 1,000 partitions (median of {a[10]}) | {ours * 1000:.0f} ms "
      f"(best {best * 1000:.0f} ms, peak RSS {rss:.1f} MB); Apache's tool {apache * 1000:.0f} ms |")
verdict = lambda ok: "met" if ok else "NOT met"
print(f"SUMMARY|consumer-groups --describe, 1,000 partitions|{ours * 1000:.0f} ms|"
      f"{apache * 1000:.0f} ms (Apache tool)|{apache / ours:.0f}x faster|<= 200 ms|{verdict(ours <= 0.2)}")
print(f"SUMMARY|broker with {partitions:,} partitions|start-up {start * 1000:.0f} ms, RSS {idle:.1f} MB idle|"
      f"||reported|-")
PY
