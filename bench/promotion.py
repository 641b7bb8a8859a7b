#!/usr/bin/env python3
"""Promotion benchmark: prints promotion latency for a small and a large
package, and the latency of the promotion list query over a large history.

Targets (issue "Package promotion"): promotion latency independent of package
size — p50 for a 1 KiB and a 512 MiB package within 20% of each other, under
10 ms on the embedded store; GET /api/promotions/list?packageName=X with
1,000,000 promotion records: p50 under 20 ms.

The million records are written straight into the embedded SQLite database
of a stopped server (through the API it would take most of an hour); the
query then goes through the running server like any client's.

Usage: bench/promotion.py [--large-mib 512] [--records 1000000] [--binary PATH]
Everything runs on 127.0.0.1 with temporary data, and stops by itself.
"""

import argparse
import http.client
import json
import os
import random
import sqlite3
import statistics
import subprocess
import tempfile
import time
import zipfile

KEY = "bench-admin-key-0123456789"


def start(binary, data_dir):
    proc = subprocess.Popen(
        [binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "GANTRY_BOOTSTRAP_API_KEY": KEY, "GANTRY_LOG": "warn"},
        text=True,
    )
    line = proc.stdout.readline()
    host, port = line.strip().rsplit("http://", 1)[1].split(":")
    return proc, host, int(port)


def stop(proc):
    proc.terminate()
    proc.wait(timeout=30)


class Client:
    """One keep-alive connection, so the figures are the server's, not TCP set-up."""

    def __init__(self, host, port):
        self.conn = http.client.HTTPConnection(host, port)

    def call(self, method, path, body=None, content_type="application/json", headers=None):
        all_headers = {"X-ApiKey": KEY, "Content-Type": content_type, **(headers or {})}
        began = time.perf_counter()
        self.conn.request(method, path, body=body, headers=all_headers)
        response = self.conn.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - began
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
        return data, elapsed


def make_upack(path, name, size):
    block = os.urandom(min(size, 1024 * 1024))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        archive.writestr("upack.json", json.dumps({"name": name, "version": "1.0.0"}))
        with archive.open("package/data.bin", "w", force_zip64=True) as entry:
            left = size
            while left > 0:
                chunk = block[: min(left, len(block))]
                entry.write(chunk)
                left -= len(chunk)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def latency_by_size(binary, large_mib, targets):
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as work:
        proc, host, port = start(binary, os.path.join(work, "data"))
        try:
            client = Client(host, port)
            client.call("POST", "/api/management/feeds/create", json.dumps({"name": "source", "feedType": "universal"}))
            for i in range(targets):
                client.call("POST", "/api/management/feeds/create", json.dumps({"name": f"target{i}", "feedType": "universal"}))
            for name, size in [("small", 1024), ("large", large_mib * 1024 * 1024)]:
                path = os.path.join(work, f"{name}.upack")
                make_upack(path, name, size)
                subprocess.run(
                    ["curl", "-sS", "--fail", "-o", "/dev/null", "-H", f"X-ApiKey: {KEY}", "-X", "POST", "-T", path,
                     f"http://{host}:{port}/upack/source/upload"],
                    check=True,
                )
                os.remove(path)
            timings = {"small": [], "large": []}
            # Alternate the two sizes so that any drift affects both alike.
            for i in range(targets):
                for name in ("small", "large"):
                    body = json.dumps({"fromFeed": "source", "toFeed": f"target{i}", "name": name, "version": "1.0.0"})
                    _, elapsed = client.call("POST", "/api/promotions/promote", body)
                    timings[name].append(elapsed * 1000)
        finally:
            stop(proc)
    return timings


def list_latency(binary, records, queries):
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as work:
        data = os.path.join(work, "data")
        proc, _, _ = start(binary, data)  # creates and migrates the database
        stop(proc)
        packages = max(1, records // 100)  # 100 promotions per package
        db = sqlite3.connect(os.path.join(data, "gantry.db"))
        now = int(time.time() * 1000)
        rows = (
            ("upack", "", "", f"package{i % packages}", f"package{i % packages}", f"1.0.{i // packages}",
             f"1.0.{i // packages}", "dev", "dev", "prod", "prod", "SYSTEM", now - (records - i), "bench")
            for i in range(records)
        )
        db.executemany(
            "INSERT INTO promotions (package_type, group_name, group_key, name, name_key, version, version_key, "
            "from_feed, from_feed_key, to_feed, to_feed_key, user_name, at, comments) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        db.commit()
        db.close()
        proc, host, port = start(binary, data)
        try:
            client = Client(host, port)
            timings = []
            for _ in range(queries):
                name = f"package{random.randrange(packages)}"
                body, elapsed = client.call("GET", f"/api/promotions/list?packageName={name}")
                answer = json.loads(body)
                if sum(len(p["promotions"]) for p in answer) != records // packages:
                    raise RuntimeError(f"unexpected answer for {name}")
                timings.append(elapsed * 1000)
        finally:
            stop(proc)
    return timings, packages


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary")
    parser.add_argument("--large-mib", type=int, default=512)
    parser.add_argument("--targets", type=int, default=100)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    binary = args.binary
    if binary is None:
        subprocess.run(["cargo", "build", "--release", "--locked", "-p", "gantry"], check=True)
        binary = "target/release/gantry"

    timings = latency_by_size(binary, args.large_mib, args.targets)
    small, large = statistics.median(timings["small"]), statistics.median(timings["large"])
    list_timings, packages = list_latency(binary, args.records, args.queries)
    list_p50 = statistics.median(list_timings)

    results = {
        "promote_small_1kib_p50_ms": round(small, 2),
        "promote_small_1kib_p99_ms": round(percentile(timings["small"], 0.99), 2),
        f"promote_large_{args.large_mib}mib_p50_ms": round(large, 2),
        f"promote_large_{args.large_mib}mib_p99_ms": round(percentile(timings["large"], 0.99), 2),
        "promotions_per_size": args.targets,
        "list_records": args.records,
        "list_packages": packages,
        "list_by_package_p50_ms": round(list_p50, 2),
        "list_by_package_p99_ms": round(percentile(list_timings, 0.99), 2),
    }
    print(json.dumps(results, indent=2))
    print()
    ratio = abs(large - small) / small
    checks = [
        (f"promotion p50, 1 KiB vs {args.large_mib} MiB, within 20%", round(ratio * 100, 1), "%", "<", 20),
        ("promotion p50 (slower of the two)", round(max(small, large), 2), "ms", "<", 10),
        (f"list by package over {args.records} records, p50", round(list_p50, 2), "ms", "<", 20),
    ]
    for label, value, unit, op, target in checks:
        ok = value < target
        print(f"{'PASS' if ok else 'MISS'}  {label}: {value} {unit} (target {op} {target} {unit})")


if __name__ == "__main__":
    main()
