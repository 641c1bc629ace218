#!/usr/bin/env bash
# Tool start-up: `kafka-topics --list` against the bundled broker holding TOPICS topics, against
# `kcat -L` (librdkafka, C) and Apache's kafka-topics (org.apache.kafka.tools.TopicCommand on the
# JVM, with kafka-run-class.sh's default flags). Wall time from spawn to exit, median of ROUNDS
# alternating runs (APACHE_ROUNDS for the JVM tool), and the peak RSS of each.
# Checks first that ours and Apache's print the same list.
#
# Usage: benches/startup.sh   (env: TOPICS=100 ROUNDS=20 APACHE_ROUNDS=5)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

TOPICS=${TOPICS:-100}
ROUNDS=${ROUNDS:-20}
APACHE_ROUNDS=${APACHE_ROUNDS:-5}
# kafka-run-class.sh's defaults for the tools (KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS).
APACHE_TOOL_JVM="-Xmx256M $APACHE_JVM_FLAGS"

PORT=$(free_port)
start_kafkit kafkit "$WORK/data" "$PORT"
BOOTSTRAP=127.0.0.1:$PORT
for i in $(seq "$TOPICS"); do
    "$BIN/kafka-topics" --bootstrap-server "$BOOTSTRAP" --create --topic "topic-$i" >/dev/null
done

OURS="$BIN/kafka-topics --bootstrap-server $BOOTSTRAP --list"
KCAT_CMD="$KCAT -L -b $BOOTSTRAP"
APACHE_CMD=
if have_apache; then
    APACHE_CMD="java $APACHE_TOOL_JVM -cp '$APACHE_CP' org.apache.kafka.tools.TopicCommand --bootstrap-server $BOOTSTRAP --list"
    diff <($OURS) <(eval "$APACHE_CMD" 2>/dev/null) >&2 ||
        { echo "kafka-topics --list differs from Apache's (diff above)" >&2; exit 1; }
fi
[ "$($OURS | wc -l)" = "$TOPICS" ] || { echo "kafka-topics --list did not list $TOPICS topics" >&2; exit 1; }

read -r _ ours_med ours_best ours_rss _ kcat_med kcat_best kcat_rss < <(
    $TOOLS time "$ROUNDS" "kafkit=$OURS" "kcat=$KCAT_CMD" | tr '\n' ' '; echo)
apache_med=nan apache_rss=0
if [ -n "$APACHE_CMD" ]; then
    read -r _ apache_med _ apache_rss < <($TOOLS time "$APACHE_ROUNDS" "apache=$APACHE_CMD 2>/dev/null")
fi

python3 - "$TOPICS" "$ROUNDS" "$APACHE_ROUNDS" "$ours_med" "$ours_best" "$ours_rss" "$kcat_med" \
    "$kcat_best" "$kcat_rss" "$apache_med" "$apache_rss" "$($KCAT -V 2>&1 | head -1)" <<'PY'
import sys
a = sys.argv[1:]
topics, rounds, apache_rounds = a[0], a[1], a[2]
ours, ours_best, ours_rss, kcat, kcat_best, kcat_rss, apache, apache_rss = (float(x) for x in a[3:11])
print(f"kafka-topics --list, {topics} topics; median of {rounds} alternating runs "
      f"(Apache's tool: {apache_rounds}); {a[11]}")
print("| tool | median | best | peak RSS |")
print("|---|---|---|---|")
print(f"| kafka-topics (kafkit) | {ours * 1000:.1f} ms | {ours_best * 1000:.1f} ms | {ours_rss / 1024:.1f} MB |")
print(f"| kcat -L | {kcat * 1000:.1f} ms | {kcat_best * 1000:.1f} ms | {kcat_rss / 1024:.1f} MB |")
print(f"| kafka-topics (Apache, JVM) | {apache * 1000:.0f} ms | | {apache_rss / 1024:.0f} MB |")
verdict = lambda ok: "met" if ok else "NOT met"
print(f"SUMMARY|tool start-up vs kcat|{ours * 1000:.1f} ms|{kcat * 1000:.1f} ms (kcat -L)|"
      f"{ours / kcat:.2f}x kcat's time|<= 1.0x kcat|{verdict(ours <= kcat)}")
print(f"SUMMARY|tool start-up vs Apache|{ours * 1000:.1f} ms|{apache * 1000:.0f} ms (Apache kafka-topics)|"
      f"{apache / ours:.0f}x faster|>= 100x faster|{verdict(apache / ours >= 100)}")
print(f"SUMMARY|kafka-topics --list peak RSS|{ours_rss / 1024:.1f} MB|{kcat_rss / 1024:.1f} MB (kcat), "
      f"{apache_rss / 1024:.0f} MB (Apache)||<= 15 MB|{verdict(ours_rss <= 15 * 1024)}")
PY
