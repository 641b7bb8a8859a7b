#!/usr/bin/env python3
"""npm benchmark: prints the abbreviated packument latency and request rate
for a package with 1,000 versions, and the wall time of `npm install` of a
project with 200 packages from a warm Gantry feed against the same packages
served by Verdaccio.

Targets (issue "npm feeds"): abbreviated packument for 1,000 versions p50
< 5 ms and >= 10,000 requests/s on 2 cores with 64 connections; `npm
install` of 200 packages from Gantry at least 1.5x faster than from Verdaccio
(whole-process wall time, median of 5).

Usage: bench/npm.py [--binary target/release/gantry] [--runs 5]
Builds the release binary unless --binary is given; installs wrk (Debian)
and Verdaccio (bench/install-verdaccio) if missing. Everything runs on
127.0.0.1 with temporary directories, and stops by itself.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import npm_fixture  # noqa: E402

from gantry_bench import KEY, Client, ensure_wrk, start, stop, wrk_rate  # noqa: E402

CORGI = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"


def publish_body(registry, name, version):
    """The publish document of a small version of `name` depending on left-pad."""
    manifest = {"name": name, "version": version, "description": f"{name} {version}", "main": "index.js",
                "dependencies": {"left-pad": "^1.3.0"}}
    tgz = npm_fixture.tarball([("package/package.json", json.dumps(manifest).encode()),
                               ("package/index.js", b"module.exports = 1;\n")])
    return json.dumps(npm_fixture.publish_document(registry, tgz, manifest))


def timed_installs(project, registry, token, runs, work, offline_cache=None):
    """Median wall time of `npm install` into a fresh copy of the project with
    an empty cache; with `offline_cache`, from that full cache without any
    request (npm's own share of an install: resolving, extracting, linking)."""
    times = []
    for i in range(runs):
        label = "offline" if offline_cache else abs(hash(registry))
        target = os.path.join(work, f"install-{i}-{label}")
        shutil.copytree(project, target)
        npm_fixture.write_npmrc(target, registry, token)
        cache = offline_cache or os.path.join(work, f"cache-{i}-{label}")
        mode = "--offline" if offline_cache else "--prefer-online"
        began = time.perf_counter()
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", mode, "--cache", cache, "--userconfig", os.path.join(target, ".npmrc")],
            cwd=target,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        times.append(time.perf_counter() - began)
        installed = len([d for d in os.listdir(os.path.join(target, "node_modules")) if not d.startswith(".")])
        if installed < 200:
            raise RuntimeError(f"only {installed} packages installed from {registry}")
    return statistics.median(times), times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary")
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    ensure_wrk()
    binary = args.binary
    if binary is None:
        subprocess.run(["cargo", "build", "--release", "--locked", "-p", "gantry"], check=True)
        binary = "target/release/gantry"

    results = {}
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as work:
        proc, base = start(binary, os.path.join(work, "data"))
        try:
            client = Client(base, {"Authorization": f"Bearer {KEY}"})
            client.call("POST", "/api/management/feeds/create", json.dumps({"name": "bench", "feedType": "npm"}), {"Content-Type": "application/json"})
            registry = base + "/npm/bench"
            for i in range(args.versions):
                version = f"1.{i}.0"
                status, body = client.call("PUT", "/npm/bench/many", publish_body(registry, "many", version), {"Content-Type": "application/json"})
                if status != 201:
                    raise RuntimeError(f"publish failed: {status} {body[:200]!r}")
            timings = []
            for _ in range(args.samples):
                began = time.perf_counter()
                status, body = client.call("GET", "/npm/bench/many", None, {"Accept": CORGI})
                timings.append((time.perf_counter() - began) * 1000)
                assert status == 200
            assert len(json.loads(body)["versions"]) == args.versions
            timings.sort()
            results["abbreviated_packument_versions"] = args.versions
            results["abbreviated_packument_p50_ms"] = round(statistics.median(timings), 2)
            results["abbreviated_packument_p99_ms"] = round(timings[int(len(timings) * 0.99) - 1], 2)
            # npm sends Accept-Encoding: gzip, deflate with every request.
            rate, errors, _ = wrk_rate(registry + "/many", args.seconds, args.connections, [f"Accept: {CORGI}", "Accept-Encoding: gzip, deflate"])
            results["abbreviated_packument_req_per_s"] = round(rate)
            results["abbreviated_packument_errors"] = errors

            # The same 200 packages in both registries; installs with a cold npm cache.
            packages = os.path.join(work, "packages")
            project = os.path.join(work, "project")
            npm_fixture.make_packages(packages, 200)
            npm_fixture.make_project(project, 200)
            npm_fixture.publish_all(packages, registry + "/", KEY)
            verdaccio, verdaccio_url = npm_fixture.start_verdaccio(npm_fixture.install_verdaccio(), os.path.join(work, "verdaccio"))
            try:
                token = npm_fixture.verdaccio_token(verdaccio_url)
                npm_fixture.publish_all(packages, verdaccio_url, token)
                # One warm-up install each, so both registries have their caches hot.
                timed_installs(project, registry + "/", KEY, 1, os.path.join(work, "warm"))
                timed_installs(project, verdaccio_url, token, 1, os.path.join(work, "warm"))
                # Alternate the two, so that whatever else the machine does
                # falls on both alike.
                gantry_all, verdaccio_all = [], []
                for run in range(args.runs):
                    gantry_all += timed_installs(project, registry + "/", KEY, 1, os.path.join(work, f"g{run}"))[1]
                    verdaccio_all += timed_installs(project, verdaccio_url, token, 1, os.path.join(work, f"v{run}"))[1]
                gantry_s, verdaccio_s = statistics.median(gantry_all), statistics.median(verdaccio_all)
            finally:
                npm_fixture.stop(verdaccio)
            results["install_200_gantry_s_median"] = round(gantry_s, 2)
            results["install_200_verdaccio_s_median"] = round(verdaccio_s, 2)
            results["install_200_gantry_runs"] = [round(t, 2) for t in gantry_all]
            results["install_200_verdaccio_runs"] = [round(t, 2) for t in verdaccio_all]
            results["install_speedup"] = round(verdaccio_s / gantry_s, 2)
            # The client's floor: the same install from a full npm cache, no request at all.
            full_cache = os.path.join(work, "g0", f"cache-0-{abs(hash(registry + '/'))}")
            offline_s, _ = timed_installs(project, registry + "/", KEY, args.runs, os.path.join(work, "offline"), full_cache)
            results["install_200_offline_floor_s_median"] = round(offline_s, 2)
            results["install_200_gantry_share_s"] = round(gantry_s - offline_s, 2)
            results["install_200_verdaccio_share_s"] = round(verdaccio_s - offline_s, 2)
        finally:
            stop(proc)

    print(json.dumps(results, indent=2))
    print()
    targets = [
        (f"abbreviated packument, {args.versions} versions, p50", results["abbreviated_packument_p50_ms"], "ms", "<", 5),
        (f"abbreviated packument, {args.connections} connections", results["abbreviated_packument_req_per_s"], "req/s", ">=", 10000),
        ("errors under load", results["abbreviated_packument_errors"], "", "==", 0),
        ("npm install of 200 packages, Verdaccio time / Gantry time", results["install_speedup"], "x", ">=", 1.5),
        ("  the same, counting only the registry's share (above the offline floor)",
         round(results["install_200_verdaccio_share_s"] / max(results["install_200_gantry_share_s"], 0.01), 2), "x", ">=", 1.5),
    ]
    for label, value, unit, op, target in targets:
        ok = {"<": value < target, ">=": value >= target, "==": value == target}[op]
        print(f"{'PASS' if ok else 'MISS'}  {label}: {value} {unit} (target {op} {target} {unit})")


if __name__ == "__main__":
    main()
