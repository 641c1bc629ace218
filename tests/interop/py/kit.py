"""Shared helpers for the interop scripts: a deterministic record set, checks and the result line.

Each script is run by a Rust test in tests/interop/. A script checks what it can see itself and
exits non-zero with a `FAIL: ...` line on stderr when the broker misbehaves; on success it prints
one `RESULT {json}` line that the Rust side also asserts on, so a script that silently did nothing
cannot pass.
"""

import json
import random
import sys
import time
import traceback

# Seconds any single client call may take before the scenario is declared stuck.
CALL_TIMEOUT_S = 30.0
# A fixed base for explicit record timestamps (2024-01-01T00:00:00Z), so by-time lookups are exact.
BASE_TIMESTAMP_MS = 1_704_067_200_000


class Failure(Exception):
    """The broker (or peer) did something the scenario does not accept."""


def check(condition, message):
    if not condition:
        raise Failure(message)


def check_eq(actual, expected, what):
    if actual != expected:
        raise Failure(f"{what}: expected {expected!r}, got {actual!r}")


def record_set(prefix, count, seed=7):
    """`count` records from `make_record`, indexes 0..count."""
    return [make_record(prefix, i, seed) for i in range(count)]


def make_record(prefix, i, seed=7):
    """Record number `i` of a deterministic set, with the awkward cases a broker must keep
    byte-exact: null keys, null values (tombstones), empty values, duplicate header keys, null
    header values, compressible text and incompressible bytes of varied sizes.

    Returns a dict with key, value, headers (list of (str, bytes|None)) and timestamp; the same
    (prefix, i, seed) always gives the same record, so a reader can regenerate what was sent.
    """
    key = None if i % 13 == 0 else f"{prefix}-k{i:06d}".encode()
    if i % 17 == 0:
        value = None
    elif i % 19 == 0:
        value = b""
    elif i % 2 == 0:
        value = (f"{prefix} record {i} " * (1 + i % 40)).encode()
    else:
        rng = random.Random(seed * 1_000_003 + i)
        value = rng.randbytes(1 + rng.randrange(2048))
    headers = [("idx", str(i).encode())]
    if i % 5 == 0:
        headers += [("dup", b"1"), ("dup", b"2")]
    if i % 11 == 0:
        headers.append(("nullv", None))
    return {
        "key": key,
        "value": value,
        "headers": headers,
        "timestamp": BASE_TIMESTAMP_MS + i,
    }


def run(main):
    """Runs `main()`, which returns the summary dict; maps failures to exit code 1."""
    started = time.monotonic()
    try:
        summary = main()
    except Failure as failure:
        print(f"FAIL: {failure}", file=sys.stderr, flush=True)
        sys.exit(1)
    except Exception:  # a peer exception is a failed scenario too, with its traceback
        traceback.print_exc()
        print("FAIL: unexpected exception (see traceback above)", file=sys.stderr, flush=True)
        sys.exit(1)
    summary["seconds"] = round(time.monotonic() - started, 3)
    print("RESULT " + json.dumps(summary, sort_keys=True), flush=True)
