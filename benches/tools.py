#!/usr/bin/env python3
"""Small timing helpers shared by the bench scripts (no third-party modules).

  tools.py ready PORT TIMEOUT_S -- CMD...   start CMD, print "<seconds> <pid>" once a Metadata
                                            request (all topics) on 127.0.0.1:PORT is answered;
                                            CMD keeps running (the caller stops it)
  tools.py wait PORT TIMEOUT_S              wait until a Metadata request is answered
  tools.py time ROUNDS NAME=CMD...          run each shell CMD ROUNDS times, alternating the
                                            order each round; print one line per NAME:
                                            "NAME median_s best_s peak_rss_kb" (peak RSS of
                                            the command, from GNU time: apt-get install time)
  tools.py rss PID                          print "VmRSS_kb VmHWM_kb" of PID
  tools.py loopback MB                      loopback TCP bandwidth (MB/s), one sender thread
  tools.py input LINES WIDTH                LINES distinct lines of WIDTH bytes (+ newline)
"""
import os
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

PROBE_INTERVAL_S = 0.001
METADATA_KEY = 3
# v4: topics (nullable array, -1 = all) + allow_auto_topic_creation; not flexible, and in
# the range every broker since Kafka 1.0 (and 4.x, which dropped v0-v3) accepts.
METADATA_VERSION = 4


def metadata_request():
    client = b"bench"
    header = struct.pack(">hhih", METADATA_KEY, METADATA_VERSION, 1, len(client)) + client
    payload = header + struct.pack(">ib", -1, 0)
    return struct.pack(">i", len(payload)) + payload


def recv_exact(sock, n):
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise OSError("connection closed")
        data += chunk
    return bytes(data)


def answered(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(metadata_request())
            size = struct.unpack(">i", recv_exact(s, 4))[0]
            recv_exact(s, size)
            return True
    except OSError:
        return False


def ready(port, timeout, cmd):
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    while not answered(port):
        if proc.poll() is not None:
            sys.exit(f"{cmd[0]} exited with {proc.returncode} before answering")
        if time.monotonic() - start > timeout:
            proc.kill()
            sys.exit(f"{cmd[0]} did not answer on port {port} within {timeout} s")
        time.sleep(PROBE_INTERVAL_S)
    print(f"{time.monotonic() - start:.4f} {proc.pid}")


def wait(port, timeout):
    start = time.monotonic()
    while not answered(port):
        if time.monotonic() - start > timeout:
            sys.exit(f"nothing answered on port {port} within {timeout} s")
        time.sleep(PROBE_INTERVAL_S * 10)


# GNU time reports the peak RSS of the command alone; wait4's own figure would include the
# pages of this Python process the child inherited before its exec.
GNU_TIME = "/usr/bin/time"


def run_once(cmd):
    with tempfile.NamedTemporaryFile("r") as report:
        argv = [GNU_TIME, "-f", "%M", "-o", report.name, "sh", "-c", cmd]
        start = time.monotonic()
        status = subprocess.call(argv, stdout=subprocess.DEVNULL)
        elapsed = time.monotonic() - start
        if status != 0:
            sys.exit(f"command failed ({status}): {cmd}")
        return elapsed, int(report.read().split()[-1])


def time_commands(rounds, specs):
    named = [spec.split("=", 1) for spec in specs]
    times = {name: [] for name, _ in named}
    rss = {name: 0 for name, _ in named}
    for round_index in range(rounds):
        order = named if round_index % 2 == 0 else list(reversed(named))
        for name, cmd in order:
            elapsed, maxrss = run_once(cmd)
            times[name].append(elapsed)
            rss[name] = max(rss[name], maxrss)
    for name, _ in named:
        print(f"{name} {statistics.median(times[name]):.4f} {min(times[name]):.4f} {rss[name]}")


def rss(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            fields[key] = value.split()[0] if value.split() else "0"
    print(fields.get("VmRSS", "0"), fields.get("VmHWM", "0"))


def loopback(megabytes):
    chunk = b"\0" * (1 << 20)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def send():
        with socket.create_connection(server.getsockname()) as s:
            for _ in range(megabytes):
                s.sendall(chunk)

    sender = threading.Thread(target=send)
    start = time.monotonic()
    sender.start()
    conn, _ = server.accept()
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    while conn.recv_into(view):
        pass
    sender.join()
    print(f"{megabytes * 1.048576 / (time.monotonic() - start):.0f}")


def lines(count, width):
    out = sys.stdout
    for i in range(count):
        prefix = f"{i:010d}-"
        out.write(prefix + "x" * (width - len(prefix)) + "\n")


def main(argv):
    command = argv[1]
    if command == "ready":
        ready(int(argv[2]), float(argv[3]), argv[5:])
    elif command == "wait":
        wait(int(argv[2]), float(argv[3]))
    elif command == "time":
        time_commands(int(argv[2]), argv[3:])
    elif command == "rss":
        rss(argv[2])
    elif command == "loopback":
        loopback(int(argv[2]))
    elif command == "input":
        lines(int(argv[2]), int(argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
