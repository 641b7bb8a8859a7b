#!/usr/bin/env python3
"""NuGet benchmark: prints the registration index latency of a package with
1,000 versions, the request rate of the service index and of the flat
container's version list under 64 connections, and the server's memory
growth while a 100 MiB package is pushed.

Targets (issue "NuGet feeds"): registration index for 1,000 versions p50
< 5 ms; service index and flat-container version list >= 10,000 requests/s on
2 cores with 64 concurrent connections (wrk); push of a 100 MiB package with
peak RSS growth < 32 MiB.

Usage: bench/nuget.py [--binary target/release/gantry] [--versions 1000]
Builds the release binary first unless --binary is given; installs wrk from
Debian's packages if it is missing. Everything runs on 127.0.0.1 with
temporary data directories, and stops by itself. wrk and the server share
the machine's cores, as they would on a 2-core host serving local clients.
"""

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gantry_bench import KEY, Client, ensure_wrk, rss_kib, start, stop, wrk_rate  # noqa: E402


def nuspec(package_id, version):
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"><metadata>'
        f"<id>{package_id}</id><version>{version}</version><authors>Bench</authors>"
        f"<description>{package_id} {version}, a benchmark package with a description of ordinary length.</description>"
        "<license type=\"expression\">MIT</license><tags>bench nuget</tags>"
        '<dependencies><group targetFramework=".NETStandard2.0">'
        '<dependency id="Newtonsoft.Json" version="[13.0.1, )" /></group></dependencies>'
        "</metadata></package>"
    )


def small_nupkg(package_id, version):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{package_id}.nuspec", nuspec(package_id, version))
        archive.writestr("lib/netstandard2.0/_._", b"")
    return buffer.getvalue()


def multipart(payload):
    boundary = "gantry-bench-boundary"
    head = (
        f"--{boundary}\r\nContent-Type: application/octet-stream\r\n"
        'Content-Disposition: form-data; name=package; filename=package.nupkg\r\n\r\n'
    ).encode()
    return head + payload + f"\r\n--{boundary}--\r\n".encode(), f'multipart/form-data; boundary="{boundary}"'


def push(client, payload):
    body, content_type = multipart(payload)
    status, text = client.call("PUT", "/nuget/bench/", body, {"Content-Type": content_type})
    if status != 201:
        raise RuntimeError(f"push failed: {status} {text[:200]!r}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary")
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--big-mib", type=int, default=100)
    args = parser.parse_args()
    if shutil.which("curl") is None:
        sys.exit("curl is needed: apt-get install -y curl")
    ensure_wrk()
    binary = args.binary
    if binary is None:
        subprocess.run(["cargo", "build", "--release", "--locked", "-p", "gantry"], check=True)
        binary = "target/release/gantry"

    results = {}
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as work:
        # Memory while pushing a 100 MiB package, on a fresh server.
        big = os.path.join(work, "Bench.Big.1.0.0.nupkg")
        with zipfile.ZipFile(big, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
            archive.writestr("Bench.Big.nuspec", nuspec("Bench.Big", "1.0.0"))
            with archive.open("content/data.bin", "w", force_zip64=True) as entry:
                block = os.urandom(1024 * 1024)
                for _ in range(args.big_mib):
                    entry.write(block)
        proc, base = start(binary, os.path.join(work, "data-big"))
        try:
            client = Client(base)
            client.call("POST", "/api/management/feeds/create", json.dumps({"name": "bench", "feedType": "nuget"}), {"Content-Type": "application/json"})
            client.call("GET", "/nuget/bench/v3/index.json")
            baseline = rss_kib(proc.pid, "VmRSS") / 1024
            began = time.perf_counter()
            # curl sends the file chunked as multipart, as NuGet.exe does.
            subprocess.run(
                ["curl", "-sS", "--fail", "-o", "/dev/null", "-X", "PUT", "-H", f"X-NuGet-ApiKey: {KEY}",
                 "-H", "Transfer-Encoding: chunked", "-F", f"package=@{big}", base + "/nuget/bench/"],
                check=True,
            )
            push_s = time.perf_counter() - began
            peak = rss_kib(proc.pid, "VmHWM") / 1024
        finally:
            stop(proc)
        results.update(
            {
                "big_package_mib": round(os.path.getsize(big) / 1024 / 1024, 1),
                "rss_before_push_mib": round(baseline, 1),
                "peak_rss_mib": round(peak, 1),
                "push_rss_growth_mib": round(peak - baseline, 1),
                "push_seconds": round(push_s, 2),
            }
        )

        # A package with many versions; then latency and request rates.
        proc, base = start(binary, os.path.join(work, "data"))
        try:
            client = Client(base)
            client.call("POST", "/api/management/feeds/create", json.dumps({"name": "bench", "feedType": "nuget"}), {"Content-Type": "application/json"})
            began = time.perf_counter()
            for i in range(args.versions):
                push(client, small_nupkg("Bench.Many", f"1.{i}.0"))
            results["push_small_per_s"] = round(args.versions / (time.perf_counter() - began), 1)

            path = "/nuget/bench/v3/registrations/bench.many/index.json"
            status, body = client.call("GET", path)
            index = json.loads(body)
            assert status == 200 and sum(p["count"] for p in index["items"]) == args.versions, index
            timings = []
            for _ in range(args.samples):
                began = time.perf_counter()
                status, _ = client.call("GET", path)
                timings.append((time.perf_counter() - began) * 1000)
                assert status == 200
            timings.sort()
            results["registration_index_versions"] = args.versions
            results["registration_index_p50_ms"] = round(statistics.median(timings), 2)
            results["registration_index_p99_ms"] = round(timings[int(len(timings) * 0.99) - 1], 2)
            page = index["items"][0]["@id"].replace(base, "")
            page_timings = []
            for _ in range(50):
                began = time.perf_counter()
                client.call("GET", page)
                page_timings.append((time.perf_counter() - began) * 1000)
            results["registration_page_p50_ms"] = round(statistics.median(page_timings), 2)

            for name, url in [
                ("service_index", base + "/nuget/bench/v3/index.json"),
                ("flat_container_versions", base + "/nuget/bench/v3/flatcontainer/bench.many/index.json"),
            ]:
                rate, errors, p50 = wrk_rate(url, args.seconds, args.connections)
                results[f"{name}_req_per_s"] = round(rate)
                results[f"{name}_errors"] = errors
                results[f"{name}_latency_p50"] = p50
        finally:
            stop(proc)

    print(json.dumps(results, indent=2))
    print()
    targets = [
        (f"registration index, {args.versions} versions, p50", results["registration_index_p50_ms"], "ms", "<", 5),
        (f"service index, {args.connections} connections", results["service_index_req_per_s"], "req/s", ">=", 10000),
        (f"flat-container versions ({args.versions}), {args.connections} connections", results["flat_container_versions_req_per_s"], "req/s", ">=", 10000),
        ("errors under load", results["service_index_errors"] + results["flat_container_versions_errors"], "", "==", 0),
        (f"RSS growth pushing {args.big_mib} MiB", results["push_rss_growth_mib"], "MiB", "<", 32),
    ]
    for label, value, unit, op, target in targets:
        ok = {"<": value < target, ">=": value >= target, "==": value == target}[op]
        print(f"{'PASS' if ok else 'MISS'}  {label}: {value} {unit} (target {op} {target} {unit})")


if __name__ == "__main__":
    main()
