#!/usr/bin/env python3
"""Web UI benchmark: how fast the pages people look at most render on the
embedded store (SQLite + local files).

Targets (issue "Web UI"): a feed page for a feed with 10,000 packages and a
version page with 1,000 history entries each render in under 50 ms p50.

The feed is filled through the API (10,000 universal packages, uploaded);
the version's history through the deployment API (each record is a
`deployed` event), plus one upload and one promotion. Pages are fetched
anonymously (anonymous browsing is on by default) over one keep-alive
connection; the figures include rendering and transfer.

Usage: bench/ui.py [--binary PATH] [--packages 10000] [--history 1000] [--requests 200]
"""

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gantry_bench  # noqa: E402

TARGET_MS = 50.0


def upack(name, version, group=""):
    manifest = {"name": name, "version": version, "description": f"{name}: a package for the UI benchmark"}
    if group:
        manifest["group"] = group
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("upack.json", json.dumps(manifest))
        z.writestr("package/readme.txt", f"{name} {version}\n")
    return buffer.getvalue()


must = gantry_bench.check


def measure(client, path, count):
    """Milliseconds per GET of `path` after a few warm-up requests, and the page's size."""
    gantry_bench.latencies(client, path, 5)
    times = gantry_bench.latencies(client, path, count)
    return times, len(client.call("GET", path)[1])


def report(label, times, size):
    times.sort()
    p50 = statistics.median(times)
    p95 = times[int(len(times) * 0.95) - 1]
    verdict = "PASS" if p50 < TARGET_MS else "FAIL"
    print(f"{label:<58} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  ({size / 1024:.0f} KiB)  {verdict} (< {TARGET_MS:.0f} ms)")
    return p50 < TARGET_MS


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default="target/release/gantry")
    parser.add_argument("--packages", type=int, default=10_000)
    parser.add_argument("--history", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as data_dir:
        proc, base = gantry_bench.start(args.binary, data_dir)
        try:
            admin = gantry_bench.Client(base)
            for feed in ["big", "approved"]:
                status, body = admin.call(
                    "POST", "/api/management/feeds/create",
                    json.dumps({"name": feed, "feedType": "universal"}), {"Content-Type": "application/json"},
                )
                must(status, body, f"create {feed}")

            began = time.perf_counter()
            for i in range(args.packages):
                status, body = admin.call("POST", "/upack/big/upload", upack(f"package-{i:05}", "1.0.0"))
                must(status, body, "upload")
            print(f"seeded {args.packages} packages in {time.perf_counter() - began:.1f} s")

            status, body = admin.call("POST", "/upack/big/upload", upack("hammer", "1.0.0", "acme"))
            must(status, body, "upload hammer")
            status, body = admin.call(
                "POST", "/api/promotions/promote",
                json.dumps({"fromFeed": "big", "toFeed": "approved", "group": "acme", "name": "hammer",
                            "version": "1.0.0", "comments": "benchmark"}),
                {"Content-Type": "application/json"},
            )
            must(status, body, "promote")
            began = time.perf_counter()
            for i in range(args.history - 2):
                status, body = admin.call(
                    "POST", "/api/package-deployment/",
                    json.dumps({"Application": "bench", "Description": f"deploy {i}", "Target": f"server-{i % 100:03}",
                                "FeedName": "big", "GroupName": "acme", "PackageName": "hammer", "Version": "1.0.0"}),
                    {"Content-Type": "application/json"},
                )
                must(status, body, "deployment")
            print(f"seeded {args.history} history entries in {time.perf_counter() - began:.1f} s")

            page = gantry_bench.Client(base, auth={})
            history_path = "/feeds/big/packages/hammer/1.0.0?group=acme&tab=history"
            times, size = measure(page, history_path, args.requests)
            rows = page.call("GET", history_path)[1].count(b"<tr data-action=")
            if rows != args.history:
                raise RuntimeError(f"the history tab shows {rows} entries, expected {args.history}")
            checks = [
                ("feed page, 10,000 packages, page 1", "/feeds/big"),
                ("feed page, 10,000 packages, page 150", "/feeds/big?page=150"),
                ("feed page, 10,000 packages, search 'package-0042'", "/feeds/big?q=package-0042"),
                ("version page, Overview tab", "/feeds/big/packages/hammer/1.0.0?group=acme"),
            ]
            print(f"{args.requests} requests each, one keep-alive connection, anonymous")
            ok = report(f"version page, History tab, {rows} entries", times, size)
            for label, path in checks:
                times, size = measure(page, path, args.requests)
                ok = report(label, times, size) and ok
            print("all targets met" if ok else "TARGET MISSED")
        finally:
            gantry_bench.stop(proc)


if __name__ == "__main__":
    main()
