#!/usr/bin/env bash
# The bundled broker (kafka-server-start) against Apache Kafka 4.4 on the same machine:
#
#   broker start-up   spawn to first answered Metadata request, TOPICS topics x 3 partitions on
#                     disk (median of STARTS restarts)
#   memory            RSS idle after that start-up, and peak RSS (VmHWM) after the loads below
#   broker ingest     RECORDS records of RECORD_BYTES bytes, acks=all, into a 1-partition topic:
#                     from one librdkafka producer (kcat -P, wall time) and from one Java producer
#                     (Apache's ProducerPerformance, its own records/s, JVM start excluded)
#   broker fetch      one librdkafka consumer (kcat -C -e > /dev/null) reading the kcat-loaded topic back
#
# Both brokers run at once; each round visits them in alternating order, and the median round
# is reported. Every load is checked: the fetch must return RECORDS records, and the Java
# producer's topic must end at offset RECORDS. Also prints the loopback and disk bandwidth.
#
# Usage: benches/broker.sh   (env: RECORDS=1000000 RECORD_BYTES=100 ROUNDS=3 TOPICS=100 STARTS=5)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

RECORDS=${RECORDS:-1000000}
RECORD_BYTES=${RECORD_BYTES:-100}
ROUNDS=${ROUNDS:-3}
TOPICS=${TOPICS:-100}
STARTS=${STARTS:-5}
# Partitions per topic of the start-up layout.
STARTUP_PARTITIONS=3
have_apache || { echo "Apache Kafka not available: run scripts/fetch-apache (needs java)" >&2; exit 1; }

$TOOLS input "$RECORDS" "$RECORD_BYTES" >"$WORK/input.txt"
DATA_MB=$(python3 -c "print(round($RECORDS * $RECORD_BYTES / 1e6, 1))")

# Machine bandwidth, for scale: loopback TCP, buffered file write, file write + fdatasync.
LOOPBACK_MBS=$($TOOLS loopback 2000)
dd_rate() { dd if=/dev/zero of="$WORK/dd.bin" bs=1M count=1000 "$@" 2>&1 | python3 -c '
import re, sys
m = re.search(r"([0-9.,]+) s, ", sys.stdin.read()); print(round(1048.576 / float(m.group(1).replace(",", "."))))'; rm -f "$WORK/dd.bin"; }
DISK_BUFFERED_MBS=$(dd_rate)
DISK_SYNC_MBS=$(dd_rate conv=fdatasync)
echo "loopback ${LOOPBACK_MBS} MB/s; disk ${DISK_BUFFERED_MBS} MB/s buffered, ${DISK_SYNC_MBS} MB/s with fdatasync; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

declare -A PORT DIR
PORT[kafkit]=$(free_port); DIR[kafkit]=$WORK/kafkit
PORT[apache]=$(free_port); DIR[apache]=$WORK/apache
apache_config "${DIR[apache]}" "${PORT[apache]}"

launch() { # broker -> sets STARTUP_S
    case $1 in
        kafkit) start_kafkit kafkit "${DIR[kafkit]}/data" "${PORT[kafkit]}" ;;
        apache) start_apache apache "${DIR[apache]}" "${PORT[apache]}" ;;
    esac
}

# --- start-up with TOPICS x 3 partitions on disk ---------------------------------------------
declare -A STARTUPS IDLE_RSS
for broker in kafkit apache; do
    launch "$broker"
    bootstrap=127.0.0.1:${PORT[$broker]}
    for i in $(seq "$TOPICS"); do
        "$BIN/kafka-topics" --bootstrap-server "$bootstrap" --create --topic "startup-$i" \
            --partitions "$STARTUP_PARTITIONS" >/dev/null
    done
    # Apache propagates new topics to its metadata cache asynchronously: give it a moment.
    for _ in $(seq 100); do
        got=$("$BIN/kafka-topics" --bootstrap-server "$bootstrap" --list | grep -c '^startup-' || true)
        [ "$got" = "$TOPICS" ] && break
        sleep 0.1
    done
    [ "$got" = "$TOPICS" ] || { echo "$broker: $got of $TOPICS topics created" >&2; exit 1; }
    stop "$broker"
done
for round in $(seq "$STARTS"); do
    if [ $((round % 2)) = 1 ]; then order="kafkit apache"; else order="apache kafkit"; fi
    for broker in $order; do
        launch "$broker"
        STARTUPS[$broker]="${STARTUPS[$broker]:-} $STARTUP_S"
        echo "$broker start-up round $round: $STARTUP_S s" >&2
        if [ "$round" = "$STARTS" ]; then
            sleep 2 # settle (Apache finishes start-up work after it first answers)
            read -r rss _ < <($TOOLS rss "$(pid_of "$broker")")
            IDLE_RSS[$broker]=$rss
        else
            stop "$broker"
        fi
    done
done

for broker in kafkit apache; do # STARTS=0 skips the start-up rounds
    [ -n "${PIDS[$broker]:-}" ] || { launch "$broker"; IDLE_RSS[$broker]=0; }
done

# --- ingest and fetch (both brokers up) --------------------------------------------------------
declare -A KCAT_P JAVA_P KCAT_C CPU_KCAT_P CPU_JAVA_P CPU_KCAT_C
now() { date +%s.%N; }
# CPU seconds (user + system) the broker process has used so far: the broker's own cost of a
# load, which the load average on a shared machine disturbs far less than the wall time.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$(pid_of "$1")/stat"; }
add() { python3 -c "print(${1:-0} + $3 - $2)"; }
for round in $(seq "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then order="kafkit apache"; else order="apache kafkit"; fi
    for broker in $order; do
        bootstrap=127.0.0.1:${PORT[$broker]}
        for topic in "kcat-$round" "java-$round"; do
            "$BIN/kafka-topics" --bootstrap-server "$bootstrap" --create --topic "$topic" \
                --partitions 1 >/dev/null
        done
        c0=$(cpu "$broker")
        start=$(now)
        "$KCAT" -P -b "$bootstrap" -t "kcat-$round" -X acks=all <"$WORK/input.txt"
        end=$(now)
        c1=$(cpu "$broker")
        CPU_KCAT_P[$broker]=$(add "${CPU_KCAT_P[$broker]:-}" "$c0" "$c1")
        KCAT_P[$broker]="${KCAT_P[$broker]:-} $(python3 -c "print($RECORDS / ($end - $start))")"

        c0=$(cpu "$broker")
        java_rate=$(java -cp "$APACHE_CP" org.apache.kafka.tools.ProducerPerformance \
            --topic "java-$round" --num-records "$RECORDS" --record-size "$RECORD_BYTES" \
            --throughput -1 --command-property "bootstrap.servers=$bootstrap" acks=all 2>/dev/null |
            tail -1 | sed -n 's/^[0-9]* records sent, \([0-9.]*\) records\/sec.*/\1/p')
        c1=$(cpu "$broker")
        CPU_JAVA_P[$broker]=$(add "${CPU_JAVA_P[$broker]:-}" "$c0" "$c1")
        [ -n "$java_rate" ] || { echo "$broker: ProducerPerformance printed no rate" >&2; exit 1; }
        JAVA_P[$broker]="${JAVA_P[$broker]:-} $java_rate"
        last=$("$KCAT" -C -b "$bootstrap" -t "java-$round" -o -1 -e -q -f '%o\n')
        [ "$last" = $((RECORDS - 1)) ] || { echo "$broker: java topic ends at $last" >&2; exit 1; }

        # Timed to /dev/null: through a pipe kcat's own output is the bottleneck (librdkafka
        # stops fetching at queued.min.messages and idles), which measures kcat, not the broker.
        # The count is checked in a second, untimed read.
        c0=$(cpu "$broker")
        start=$(now)
        "$KCAT" -C -b "$bootstrap" -t "kcat-$round" -o beginning -e -q >/dev/null
        end=$(now)
        c1=$(cpu "$broker")
        CPU_KCAT_C[$broker]=$(add "${CPU_KCAT_C[$broker]:-}" "$c0" "$c1")
        got=$("$KCAT" -C -b "$bootstrap" -t "kcat-$round" -o beginning -e -q | wc -l)
        [ "$got" = "$RECORDS" ] || { echo "$broker: fetched $got of $RECORDS records" >&2; exit 1; }
        KCAT_C[$broker]="${KCAT_C[$broker]:-} $(python3 -c "print($RECORDS / ($end - $start))")"
        echo "$broker round $round: kcat -P $(echo "${KCAT_P[$broker]}" | awk '{print $NF}') rec/s, java $java_rate rec/s, kcat -C $(echo "${KCAT_C[$broker]}" | awk '{print $NF}') rec/s" >&2
    done
done
declare -A LOAD_RSS
for broker in kafkit apache; do
    read -r _ hwm < <($TOOLS rss "$(pid_of "$broker")")
    LOAD_RSS[$broker]=$hwm
done

python3 - "$RECORDS" "$DATA_MB" "$LOOPBACK_MBS" "$DISK_BUFFERED_MBS" "$DISK_SYNC_MBS" \
    "${STARTUPS[kafkit]:-}" "${STARTUPS[apache]:-}" "${IDLE_RSS[kafkit]}" "${IDLE_RSS[apache]}" \
    "${LOAD_RSS[kafkit]}" "${LOAD_RSS[apache]}" "${KCAT_P[kafkit]}" "${KCAT_P[apache]}" \
    "${JAVA_P[kafkit]}" "${JAVA_P[apache]}" "${KCAT_C[kafkit]}" "${KCAT_C[apache]}" "$TOPICS" "$ROUNDS" \
    "${CPU_KCAT_P[kafkit]} ${CPU_JAVA_P[kafkit]} ${CPU_KCAT_C[kafkit]}" \
    "${CPU_KCAT_P[apache]} ${CPU_JAVA_P[apache]} ${CPU_KCAT_C[apache]}" <<'PY'
import statistics, sys
a = sys.argv[1:]
records, mb = int(a[0]), float(a[1])
loop, disk, disk_sync = a[2], a[3], a[4]
med = lambda s: statistics.median(float(x) for x in s.split()) if s.split() else float("nan")
start_k, start_a = med(a[5]), med(a[6])
idle_k, idle_a, load_k, load_a = (int(x) / 1024 for x in a[7:11])
rows = [
    ("broker ingest, kcat -P (librdkafka)", med(a[11]), med(a[12])),
    ("broker ingest, Java producer", med(a[13]), med(a[14])),
    ("broker fetch, kcat -C (librdkafka)", med(a[15]), med(a[16])),
]
topics, rounds = a[17], int(a[18])
cpu_k = [float(x) / rounds for x in a[19].split()]
cpu_a = [float(x) / rounds for x in a[20].split()]
print(f"records: {records} x {mb * 1e6 / records:.0f} B ({mb} MB), acks=all, 1 partition; "
      f"loopback {loop} MB/s, disk {disk} MB/s buffered / {disk_sync} MB/s fdatasync")
print("| figure | kafkit | Apache Kafka 4.4 | ratio | broker CPU s per run: kafkit / Apache |")
print("|---|---|---|---|---|")
for (name, ours, theirs), ck, ca in zip(rows, cpu_k, cpu_a):
    print(f"| {name} | {ours:,.0f} rec/s, {ours * mb / records:.0f} MB/s | {theirs:,.0f} rec/s, "
          f"{theirs * mb / records:.0f} MB/s | {ours / theirs:.2f}x | {ck:.2f} / {ca:.2f} |")
print(f"| broker start-up, {topics} topics x 3 partitions (median) | {start_k * 1000:.0f} ms | "
      f"{start_a * 1000:.0f} ms | {start_a / start_k:.0f}x faster |")
print(f"| broker RSS idle | {idle_k:.1f} MB | {idle_a:.0f} MB | |")
print(f"| broker peak RSS after the loads | {load_k:.1f} MB | {load_a:.0f} MB | |")
verdict = lambda ok: "met" if ok else "NOT met"
for name, ours, theirs in rows:
    print(f"SUMMARY|{name}|{ours:,.0f} rec/s|{theirs:,.0f} rec/s (Apache)|{ours / theirs:.2f}x|"
          f">= 1.0x Apache, >= 1,000,000 rec/s|{verdict(ours >= theirs and ours >= 1e6)}")
print(f"SUMMARY|broker start-up ({topics}x3 partitions)|{start_k * 1000:.0f} ms|{start_a * 1000:.0f} ms (Apache)|"
      f"{start_a / start_k:.0f}x faster|<= 100 ms|{verdict(start_k <= 0.1)}")
print(f"SUMMARY|broker RSS idle / after load|{idle_k:.1f} / {load_k:.1f} MB|{idle_a:.0f} / {load_a:.0f} MB (Apache)|"
      f"|<= 50 MB idle|{verdict(idle_k <= 50)}")
PY
