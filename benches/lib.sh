# Shared by the bench scripts (sourced, not run): release build, free loopback ports, a temp
# dir removed on exit, starting and stopping the bundled broker and Apache Kafka 4.4, and the
# summary lines benches/all.sh collects.
#
# A script that sources this sets nothing first; it gets:
#   BIN (release binaries), WORK (temp dir), KCAT, TOOLS (benches/tools.py), APACHE_CP
#   free_port, start_kafkit NAME DIR PORT [overrides...], apache_config DIR PORT,
#   start_apache NAME DIR PORT (both set STARTUP_S),
#   stop NAME, summary FIGURE OURS PEER RATIO TARGET VERDICT

cd "$(dirname "${BASH_SOURCE[0]}")/.."
KCAT=${KCAT:-kcat}
TOOLS="python3 benches/tools.py"
BIN=target/release
APACHE_LIB=tests/apache/.cache/lib
APACHE_CP="$APACHE_LIB/*"
# Apache's kafka-server-start.sh / kafka-run-class.sh defaults, so Apache runs as shipped.
APACHE_HEAP=${APACHE_HEAP:--Xmx1G -Xms1G}
APACHE_JVM_FLAGS="-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true"
# How long a broker may take to answer its first Metadata request.
START_TIMEOUT_S=120

cargo build --release --quiet --bins
command -v "$KCAT" >/dev/null || { echo "kcat not found (apt-get install kcat)" >&2; exit 1; }

WORK=$(mktemp -d)
declare -A PIDS=()
cleanup() {
    for name in "${!PIDS[@]}"; do stop "$name"; done
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

have_apache() {
    [ -d "$APACHE_LIB" ] && command -v java >/dev/null
}

# start_kafkit NAME DIR PORT [--override k=v ...]: starts the bundled broker; sets STARTUP_S to
# the seconds from spawn to its first answered Metadata request. (Not in $(...): PIDS must stick.)
start_kafkit() {
    local name=$1 dir=$2 port=$3 out
    shift 3
    out=$($TOOLS ready "$port" "$START_TIMEOUT_S" -- "$BIN/kafka-server-start" \
        --override "listeners=PLAINTEXT://127.0.0.1:$port" --override "log.dirs=$dir" "$@")
    PIDS[$name]=${out#* }
    STARTUP_S=${out% *}
}

# apache_config DIR PORT: writes DIR/server.properties for a single KRaft node (broker and
# controller in one process, as tests/common/apache does) and formats DIR/data once.
apache_config() {
    local dir=$1 port=$2 controller
    controller=$(free_port)
    mkdir -p "$dir"
    cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
    # shellcheck disable=SC2086
    java $APACHE_JVM_FLAGS -cp "$APACHE_CP" kafka.tools.StorageTool format \
        --cluster-id "$(python3 -c 'import base64,uuid; print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))')" \
        --config "$dir/server.properties" >"$dir/format.log" 2>&1
}

# start_apache NAME DIR PORT: starts Apache Kafka on a directory apache_config prepared; sets
# STARTUP_S like start_kafkit.
start_apache() {
    local name=$1 dir=$2 port=$3 out
    # shellcheck disable=SC2086
    out=$($TOOLS ready "$port" "$START_TIMEOUT_S" -- java $APACHE_HEAP $APACHE_JVM_FLAGS \
        -cp "$APACHE_CP" kafka.Kafka "$dir/server.properties")
    PIDS[$name]=${out#* }
    STARTUP_S=${out% *}
}

pid_of() { echo "${PIDS[$1]}"; }

# stop NAME: SIGTERM and wait for the process to be gone (its directory lock released).
stop() {
    local pid=${PIDS[$1]:-}
    unset "PIDS[$1]"
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null || true
}

# summary FIGURE OURS PEER RATIO TARGET VERDICT: one row for benches/all.sh's table (stdout,
# prefixed so all.sh can pick the rows out of the other output).
summary() {
    printf 'SUMMARY|%s|%s|%s|%s|%s|%s\n' "$@"
}

# ratio A B: A / B with two decimals.
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
# at_least A B / at_most A B: "met" or "NOT met".
at_least() { python3 -c "print('met' if $1 >= $2 else 'NOT met')"; }
at_most() { python3 -c "print('met' if $1 <= $2 else 'NOT met')"; }
