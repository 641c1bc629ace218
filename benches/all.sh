#!/usr/bin/env bash
# Every benchmark of issue 9 in one run, then one summary table (figure, ours, peer, ratio,
# target, verdict). Each part is a script of its own that can be run alone:
#
#   benches/startup.sh   tool start-up and peak RSS (kafka-topics --list vs kcat -L and Apache's)
#   benches/console.sh   console produce (kafka-console-producer vs kcat -P)
#   benches/consume.sh   console consume (kafka-console-consumer vs kcat -C -e)
#   benches/broker.sh    broker ingest / fetch / start-up / RSS vs Apache Kafka 4.4
#   benches/scale.sh     10,000 partitions; kafka-consumer-groups --describe on 1,000 partitions
#
# Needs: a Rust toolchain, python3, kcat, GNU time (/usr/bin/time), and for the Apache
# comparisons java plus the jars of scripts/fetch-apache. Each part's own environment variables
# pass through (ROUNDS applies to every part that has it). PARTS="startup broker" runs a subset.
# Full output goes to stderr and to $LOG (default target/bench-all.log).
#
# Usage: benches/all.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PARTS=${PARTS:-startup console consume broker scale}
LOG=${LOG:-target/bench-all.log}
mkdir -p "$(dirname "$LOG")"
: >"$LOG"

# What else runs here skews every wall time: say so next to the numbers.
echo "start: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); load average $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores" | tee -a "$LOG" >&2
for part in $PARTS; do
    echo "=== benches/$part.sh" | tee -a "$LOG" >&2
    "benches/$part.sh" 2>&1 | tee -a "$LOG" >&2
done
echo "end: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$LOG" >&2

echo
echo "| figure | kafkit | peer | ratio | target | verdict |"
echo "|---|---|---|---|---|---|"
grep '^SUMMARY|' "$LOG" | awk -F'|' '{ printf "|"; for (i = 2; i <= NF; i++) printf " %s |", $i; print "" }'
