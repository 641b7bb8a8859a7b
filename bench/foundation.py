#!/usr/bin/env python3
"""Foundation benchmark: prints Gantry's start-up time, idle memory, and the
memory and speed of uploading and downloading a large universal package.

Targets (issue "Foundation"): start-up < 200 ms on an empty store; idle RSS
< 30 MiB; upload and download of a 1 GiB package with peak RSS < 64 MiB;
download throughput >= 1 GiB/s on loopback.

Usage: bench/foundation.py [--size-mib N] [--binary target/release/gantry]
Builds the release binary first unless --binary is given. Everything runs on
127.0.0.1 with temporary data directories, and stops by itself.
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
import urllib.request
import zipfile

KEY = "bench-admin-key-0123456789"


def rss_kib(pid, field):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not found")


def start(binary, data_dir):
    """Starts the server; returns (process, base URL, seconds to readiness)."""
    began = time.perf_counter()
    proc = subprocess.Popen(
        [binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "GANTRY_BOOTSTRAP_API_KEY": KEY, "GANTRY_LOG": "warn"},
        text=True,
    )
    line = proc.stdout.readline()
    ready = time.perf_counter() - began
    prefix = "gantry listening on "
    if not line.startswith(prefix):
        proc.kill()
        raise RuntimeError(f"unexpected first line: {line!r}")
    return proc, line[len(prefix):].strip(), ready


def stop(proc):
    proc.terminate()
    proc.wait(timeout=30)


def request(method, url, body=None):
    req = urllib.request.Request(url, data=body, method=method, headers={"X-ApiKey": KEY, "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as response:
        return response.status, response.read()


def make_upack(path, size_mib):
    """A universal package whose content is size_mib MiB, stored uncompressed."""
    block = os.urandom(1024 * 1024)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        archive.writestr("upack.json", json.dumps({"name": "big", "version": "1.0.0"}))
        with archive.open("package/data.bin", "w", force_zip64=True) as entry:
            for _ in range(size_mib):
                entry.write(block)


def curl(args):
    out = subprocess.run(["curl", "-sS", "--fail", "-H", f"X-ApiKey: {KEY}", *args], check=True, capture_output=True, text=True)
    return out.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--binary")
    parser.add_argument("--downloads", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("curl") is None:
        sys.exit("curl is needed: apt-get install -y curl")
    binary = args.binary
    if binary is None:
        subprocess.run(["cargo", "build", "--release", "--locked", "-p", "gantry"], check=True)
        binary = "target/release/gantry"

    # Start-up on an empty store, several times.
    startups = []
    idle = []
    for _ in range(5):
        with tempfile.TemporaryDirectory() as data:
            proc, base, ready = start(binary, data)
            startups.append(ready * 1000)
            request("GET", base + "/health")
            time.sleep(0.2)
            idle.append(rss_kib(proc.pid, "VmRSS") / 1024)
            stop(proc)

    results = {
        "startup_ms_median": round(statistics.median(startups), 1),
        "idle_rss_mib_median": round(statistics.median(idle), 1),
    }

    # Large package: upload once, download several times.
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as work:
        package = os.path.join(work, "big.upack")
        make_upack(package, args.size_mib)
        size = os.path.getsize(package)
        data = os.path.join(work, "data")
        proc, base, _ = start(binary, data)
        try:
            request("POST", base + "/api/management/feeds/create", json.dumps({"name": "bench", "feedType": "universal"}).encode())
            baseline = rss_kib(proc.pid, "VmRSS") / 1024
            began = time.perf_counter()
            curl(["-X", "POST", "-T", package, "-o", "/dev/null", base + "/upack/bench/upload"])
            upload_s = time.perf_counter() - began
            peak_after_upload = rss_kib(proc.pid, "VmHWM") / 1024
            speeds = []
            for _ in range(args.downloads):
                out = curl(["-o", "/dev/null", "-w", "%{speed_download} %{size_download}", base + "/upack/bench/download/big/1.0.0"])
                speed, got = out.split()
                if int(got) != size:
                    raise RuntimeError(f"downloaded {got} bytes, expected {size}")
                speeds.append(float(speed))
            peak = rss_kib(proc.pid, "VmHWM") / 1024
        finally:
            stop(proc)

    gib = 1024 ** 3
    results.update(
        {
            "package_mib": round(size / 1024 / 1024, 1),
            "rss_before_upload_mib": round(baseline, 1),
            "upload_seconds": round(upload_s, 2),
            "upload_mib_per_s": round(size / upload_s / 1024 / 1024, 1),
            "peak_rss_after_upload_mib": round(peak_after_upload, 1),
            "download_gib_per_s_best": round(max(speeds) / gib, 2),
            "download_gib_per_s_median": round(statistics.median(speeds) / gib, 2),
            "peak_rss_after_downloads_mib": round(peak, 1),
        }
    )
    targets = [
        ("start-up on an empty store", results["startup_ms_median"], "ms", "<", 200),
        ("idle RSS", results["idle_rss_mib_median"], "MiB", "<", 30),
        ("peak RSS through upload and download", results["peak_rss_after_downloads_mib"], "MiB", "<", 64),
        ("download throughput (median)", results["download_gib_per_s_median"], "GiB/s", ">=", 1.0),
    ]
    print(json.dumps(results, indent=2))
    print()
    for label, value, unit, op, target in targets:
        ok = value < target if op == "<" else value >= target
        print(f"{'PASS' if ok else 'MISS'}  {label}: {value} {unit} (target {op} {target} {unit})")


if __name__ == "__main__":
    main()
