#!/usr/bin/env python3
"""Connector benchmark: prints how fast a proxy feed serves a package it
cached from its upstream, next to the same package uploaded to a plain feed,
and the latency of metadata read through a connector with a warm metadata
cache.

Targets (issue "Connectors"): a cached package through a proxy feed is served
as fast as a local one (within 10%); metadata through a connector with a warm
metadata cache: p50 < 5 ms.

Two release servers run on 127.0.0.1: the upstream (a universal feed
`origin`, and an npm feed `origin-npm` with one package of --npm-versions
versions) and the proxy (feed `public` with a connector to the upstream, and
feed `local` holding the same package by upload). Download rates are wrk's,
64 connections for --seconds each, alternated twice so machine load falls on
both alike; latencies are sequential requests on one keep-alive connection.

The metadata figures are the universal versions listing and npm's
abbreviated packument, each read through a connector with a warm cache.

Usage: bench/connectors.py [--binary target/release/gantry] [--versions 200] [--npm-versions 1000]
Builds the release binary first unless --binary is given; installs wrk from
Debian's packages if it is missing.
"""

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gantry_bench import KEY, Client, check, ensure_wrk, latencies, start, stop, wrk_rate  # noqa: E402
from npm_fixture import publish_document, tarball  # noqa: E402

JSON = {"Content-Type": "application/json"}


def upack(group, name, version, payload):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        manifest = {"group": group, "name": name, "version": version, "title": f"{name} {version}",
                    "description": "A benchmark package with a description of ordinary length."}
        archive.writestr("upack.json", json.dumps(manifest))
        archive.writestr("package/data.bin", payload)
    return buffer.getvalue()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary")
    parser.add_argument("--versions", type=int, default=200)
    parser.add_argument("--npm-versions", type=int, default=1000)
    parser.add_argument("--size-kib", type=int, default=256)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    ensure_wrk()
    binary = args.binary
    if binary is None:
        subprocess.run(["cargo", "build", "--release", "--locked", "-p", "gantry"], check=True)
        binary = "target/release/gantry"

    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as work:
        upstream_proc, upstream = start(binary, os.path.join(work, "upstream"))
        proxy_proc, proxy = start(binary, os.path.join(work, "proxy"))
        try:
            up = Client(upstream)
            check(*up.call("POST", "/api/management/feeds/create",
                           json.dumps({"name": "origin", "feedType": "universal"}), JSON), "origin feed")
            payload = os.urandom(args.size_kib * 1024)
            package = upack("bench", "payload", "1.0.0", payload)
            check(*up.call("POST", "/upack/origin/upload", package), "upload payload")
            for i in range(args.versions):
                check(*up.call("POST", "/upack/origin/upload", upack("bench", "meta", f"1.0.{i}", b"m")), "upload meta")

            check(*up.call("POST", "/api/management/feeds/create",
                           json.dumps({"name": "origin-npm", "feedType": "npm"}), JSON), "npm feed")
            for i in range(args.npm_versions):
                version = f"1.0.{i}"
                manifest = {"name": "bench-many", "version": version, "description": "A benchmark package.",
                            "dependencies": {"left-pad": "^1.3.0"}}
                tgz = tarball([("package/package.json", json.dumps(manifest).encode())])
                document = publish_document(upstream + "/npm/origin-npm", tgz, manifest)
                check(*up.call("PUT", "/npm/origin-npm/bench-many", json.dumps(document), JSON), "npm publish")

            px = Client(proxy)
            check(*px.call("POST", "/api/management/connectors/create",
                           json.dumps({"name": "up", "feedType": "universal", "url": upstream + "/upack/origin"}), JSON),
                  "connector")
            check(*px.call("POST", "/api/management/feeds/create",
                           json.dumps({"name": "public", "feedType": "universal", "connectors": ["up"]}), JSON),
                  "proxy feed")
            check(*px.call("POST", "/api/management/feeds/create",
                           json.dumps({"name": "local", "feedType": "universal"}), JSON), "local feed")
            check(*px.call("POST", "/api/management/connectors/create",
                           json.dumps({"name": "up-npm", "feedType": "npm", "url": upstream + "/npm/origin-npm"}), JSON),
                  "npm connector")
            check(*px.call("POST", "/api/management/feeds/create",
                           json.dumps({"name": "public-npm", "feedType": "npm", "connectors": ["up-npm"]}), JSON),
                  "npm proxy feed")
            check(*px.call("POST", "/upack/local/upload", package), "local upload")

            # The first download through the proxy caches the package.
            status, body = px.call("GET", "/upack/public/download/bench/payload/1.0.0")
            check(status, body, "first proxy download")
            assert body == package, "the proxy served other bytes"

            # Metadata: the first read fills the connector's cache.
            meta_path = "/upack/public/versions?group=bench&name=meta"
            began = time.perf_counter()
            status, body = px.call("GET", meta_path)
            cold_ms = (time.perf_counter() - began) * 1000
            check(status, body, "cold metadata")
            assert len(json.loads(body)) == args.versions, "the proxy lists other versions"
            warm = latencies(px, meta_path, args.samples)
            local_meta = latencies(up, "/upack/origin/versions?group=bench&name=meta", args.samples)

            abbreviated = {"Accept": "application/vnd.npm.install-v1+json"}
            began = time.perf_counter()
            status, body = px.call("GET", "/npm/public-npm/bench-many", headers=abbreviated)
            npm_cold_ms = (time.perf_counter() - began) * 1000
            check(status, body, "cold packument")
            packument = json.loads(body)
            assert len(packument["versions"]) == args.npm_versions, "the proxy lists other versions"
            assert packument["versions"]["1.0.0"]["dist"]["tarball"].startswith(proxy), "tarball URL not rewritten"
            npm_warm = []
            for _ in range(args.samples):
                began = time.perf_counter()
                status, body = px.call("GET", "/npm/public-npm/bench-many", headers=abbreviated)
                npm_warm.append((time.perf_counter() - began) * 1000)
                check(status, body, "warm packument")

            header = [f"X-ApiKey: {KEY}"]
            rates = {"local": [], "cached": []}
            for _ in range(2):
                for label, feed in (("local", "local"), ("cached", "public")):
                    rate, errors, p50 = wrk_rate(f"{proxy}/upack/{feed}/download/bench/payload/1.0.0",
                                                 args.seconds, args.connections, header)
                    if errors:
                        raise RuntimeError(f"{label}: {errors} failed downloads")
                    rates[label].append((rate, p50))
            cached_seq = latencies(px, "/upack/public/download/bench/payload/1.0.0", args.samples)
            local_seq = latencies(px, "/upack/local/download/bench/payload/1.0.0", args.samples)
        finally:
            stop(proxy_proc)
            stop(upstream_proc)

    local_rate = statistics.mean(r for r, _ in rates["local"])
    cached_rate = statistics.mean(r for r, _ in rates["cached"])
    ratio = cached_rate / local_rate
    warm_p50 = statistics.median(warm)
    print(f"package of {args.size_kib} KiB, {args.connections} connections, {args.seconds} s x 2 each:")
    print(f"  local feed:            {local_rate:8.0f} downloads/s  (p50 {', '.join(p for _, p in rates['local'])})")
    print(f"  cached via connector:  {cached_rate:8.0f} downloads/s  (p50 {', '.join(p for _, p in rates['cached'])})")
    print(f"  sequential p50: local {statistics.median(local_seq):.2f} ms, cached {statistics.median(cached_seq):.2f} ms")
    print(f"  cached/local rate: {ratio:.3f}  (target >= 0.90) {'MET' if ratio >= 0.9 else 'MISSED'}")
    print(f"metadata of a package with {args.versions} versions through the connector:")
    print(f"  cold (upstream fetch): {cold_ms:.2f} ms")
    print(f"  warm cache: p50 {warm_p50:.2f} ms, p99 {sorted(warm)[int(len(warm) * 0.99) - 1]:.2f} ms "
          f"(target p50 < 5 ms) {'MET' if warm_p50 < 5 else 'MISSED'}")
    print(f"  the upstream's own listing: p50 {statistics.median(local_meta):.2f} ms")
    npm_p50 = statistics.median(npm_warm)
    print(f"npm abbreviated packument of a package with {args.npm_versions} versions through the connector:")
    print(f"  cold (upstream fetch): {npm_cold_ms:.2f} ms")
    print(f"  warm cache: p50 {npm_p50:.2f} ms, p99 {sorted(npm_warm)[int(len(npm_warm) * 0.99) - 1]:.2f} ms "
          f"(target p50 < 5 ms) {'MET' if npm_p50 < 5 else 'MISSED'}")


if __name__ == "__main__":
    main()
