#!/usr/bin/env python3
"""Deployment benchmark: prints what recording a deployment through download
headers adds to a download, and the latency of the "where does it run"
query over a large history.

Targets (issue "Deployment tracking"): recording through download headers
adds under 1 ms p50 to the download; GET /api/package-deployment/targets for
a package with 100,000 deployment records across 1,000 targets: p50 under
20 ms (embedded store).

The 100,000 records (and the latest-per-target rows the store keeps beside
them) are written straight into the embedded SQLite database of a stopped
server; the query then goes through the running server.

Usage: bench/deployments.py [--binary PATH] [--downloads 500] [--records 100000] [--targets 1000]
"""

import argparse
import http.client
import io
import json
import os
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
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "GANTRY_BOOTSTRAP_API_KEY": KEY, "GANTRY_LOG": "warn"},
    )
    host, port = proc.stdout.readline().strip().rsplit("http://", 1)[1].split(":")
    return proc, http.client.HTTPConnection(host, int(port))


def stop(proc):
    proc.terminate()
    proc.wait(timeout=30)


def timed(conn, method, path, body=None, headers=None):
    began = time.perf_counter()
    conn.request(method, path, body=body, headers={"X-ApiKey": KEY, **(headers or {})})
    response = conn.getresponse()
    data = response.read()
    elapsed = (time.perf_counter() - began) * 1000
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
    return data, elapsed, response


def small_upack():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("upack.json", json.dumps({"group": "acme", "name": "engine", "version": "1.0.0"}))
        archive.writestr("package/app.bin", os.urandom(16 * 1024))
    return buffer.getvalue()


def header_overhead(binary, downloads):
    with tempfile.TemporaryDirectory() as work:
        proc, conn = start(binary, os.path.join(work, "data"))
        try:
            timed(conn, "POST", "/api/management/feeds/create", json.dumps({"name": "prod", "feedType": "universal"}),
                  {"Content-Type": "application/json"})
            timed(conn, "POST", "/upack/prod/upload", small_upack())
            path = "/upack/prod/download/acme/engine/1.0.0"
            plain, tracked = [], []
            for i in range(downloads):
                # Alternate so that drift affects both alike.
                plain.append(timed(conn, "GET", path)[1])
                headers = {"X-ProGet-Deployment-Application": "bench", "X-ProGet-Deployment-Description": "run",
                           "X-ProGet-Deployment-Target": f"web{i % 50:02}"}
                _, elapsed, response = timed(conn, "GET", path, headers=headers)
                if not (response.getheader("X-Gantry-Deployment") or "").startswith("recorded"):
                    raise RuntimeError("the deployment was not recorded")
                tracked.append(elapsed)
        finally:
            stop(proc)
    return plain, tracked


def targets_latency(binary, records, targets, queries):
    with tempfile.TemporaryDirectory() as work:
        data = os.path.join(work, "data")
        proc, conn = start(binary, data)
        timed(conn, "POST", "/api/management/feeds/create", json.dumps({"name": "prod", "feedType": "universal"}),
              {"Content-Type": "application/json"})
        stop(proc)
        db = sqlite3.connect(os.path.join(data, "gantry.db"))
        now = int(time.time() * 1000)
        rows = (
            ("prod", "prod", "upack", "acme", "acme", "engine", "engine", f"1.0.{i // targets}", f"1.0.{i // targets}",
             "bench", "deploy", f"server{i % targets:04}", f"server{i % targets:04}", "SYSTEM", None, now - records + i)
            for i in range(records)
        )
        db.executemany(
            "INSERT INTO deployments (feed_name, feed_key, package_type, group_name, group_key, name, name_key, version, "
            "version_key, application, description, target, target_key, user_name, url, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        # A second package's records, so the index has to pick.
        db.executemany(
            "INSERT INTO deployments (feed_name, feed_key, package_type, group_name, group_key, name, name_key, version, "
            "version_key, application, description, target, target_key, user_name, url, at) "
            "VALUES ('prod', 'prod', 'upack', 'acme', 'acme', 'other', 'other', '1.0.0', '1.0.0', 'bench', 'd', ?, ?, 'SYSTEM', NULL, 0)",
            ((f"s{i}", f"s{i}") for i in range(records // 10)))
        # What the store keeps up to date with each record, filled at once here.
        db.execute(
            "INSERT INTO deployment_targets (feed_key, group_key, name_key, target_key, deployment_id, at) "
            "SELECT feed_key, group_key, name_key, target_key, MAX(id), MAX(at) FROM deployments "
            "GROUP BY feed_key, group_key, name_key, target_key")
        db.commit()
        db.close()
        proc, conn = start(binary, data)
        try:
            timings = []
            for _ in range(queries):
                body, elapsed, _ = timed(conn, "GET", "/api/package-deployment/targets?feed=prod&group=acme&package=engine")
                answer = json.loads(body)
                if len(answer) != targets:
                    raise RuntimeError(f"expected {targets} targets, got {len(answer)}")
                timings.append(elapsed)
        finally:
            stop(proc)
    return timings


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary")
    parser.add_argument("--downloads", type=int, default=500)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--targets", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    binary = args.binary
    if binary is None:
        subprocess.run(["cargo", "build", "--release", "--locked", "-p", "gantry"], check=True)
        binary = "target/release/gantry"
    plain, tracked = header_overhead(binary, args.downloads)
    targets = targets_latency(binary, args.records, args.targets, args.queries)
    added = statistics.median(tracked) - statistics.median(plain)
    results = {
        "download_p50_ms": round(statistics.median(plain), 3),
        "download_with_deployment_headers_p50_ms": round(statistics.median(tracked), 3),
        "added_p50_ms": round(added, 3),
        "targets_records": args.records,
        "targets_distinct": args.targets,
        "targets_p50_ms": round(statistics.median(targets), 2),
        "targets_p99_ms": round(sorted(targets)[min(len(targets) - 1, int(len(targets) * 0.99))], 2),
    }
    print(json.dumps(results, indent=2))
    print()
    for label, value, target in [
        ("recording through download headers adds, p50", results["added_p50_ms"], 1.0),
        (f"targets over {args.records} records / {args.targets} targets, p50", results["targets_p50_ms"], 20.0),
    ]:
        print(f"{'PASS' if value < target else 'MISS'}  {label}: {value} ms (target < {target} ms)")


if __name__ == "__main__":
    main()
