#!/usr/bin/env python3
"""Scale-out benchmark: prints promotion throughput and latency under 64
concurrent clients on SQLite, on PostgreSQL, and on PostgreSQL with two
nodes; and download throughput from S3 against local files.

Targets (issue "Scale-out"): zero errors under 64 concurrent clients;
PostgreSQL p50 within 2x of SQLite's; S3 download throughput within 20% of
local files for 100 MiB packages. On one 2-core machine no speed-up from a
second node is expected: the figure shows what the shared store costs.

Needs what scripts/test-setup provides: a PostgreSQL server
(GANTRY_BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres,
with psql) and s3s-fs. Everything runs on 127.0.0.1 and stops by itself.

Usage: bench/scaleout.py [--binary PATH] [--clients 64] [--versions 40] [--targets 25] [--download-mib 100]
"""

import argparse
import http.client
import json
import os
import queue
import secrets
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import zipfile

KEY = "bench-admin-key-0123456789"
S3_ACCESS, S3_SECRET, BUCKET = "BENCHACCESSKEY", "bench-secret-key-0123456789", "bench"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary, data_dir, env):
    proc = subprocess.Popen(
        [binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "GANTRY_BOOTSTRAP_API_KEY": KEY, "GANTRY_LOG": "warn", **env},
    )
    line = proc.stdout.readline()
    host, port = line.strip().rsplit("http://", 1)[1].split(":")
    return proc, (host, int(port))


def stop(proc):
    proc.terminate()
    proc.wait(timeout=30)


def call(addr, method, path, body=None, conn=None):
    own = conn is None
    conn = conn or http.client.HTTPConnection(*addr)
    headers = {"X-ApiKey": KEY, "Content-Type": "application/json"}
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    if own:
        conn.close()
    return response.status, data


def upack(name, version, size):
    path = tempfile.mktemp(suffix=".upack")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        archive.writestr("upack.json", json.dumps({"name": name, "version": version}))
        block = os.urandom(min(size, 1 << 20)) if size else b""
        with archive.open("package/data.bin", "w", force_zip64=True) as entry:
            left = size
            while left > 0:
                entry.write(block[: min(left, len(block))])
                left -= min(left, len(block))
    return path


def upload(addr, feed, path):
    subprocess.run(["curl", "-sS", "--fail", "-o", "/dev/null", "-H", f"X-ApiKey: {KEY}", "-X", "POST", "-T", path,
                    f"http://{addr[0]}:{addr[1]}/upack/{feed}/upload"], check=True)


class Postgres:
    def __init__(self):
        self.admin = os.environ.get("GANTRY_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        self.name = f"gantry_bench_{secrets.token_hex(6)}"
        subprocess.run(["psql", self.admin, "-qc", f"CREATE DATABASE {self.name}"], check=True)
        self.url = self.admin.rsplit("/", 1)[0] + "/" + self.name

    def drop(self):
        subprocess.run(["psql", self.admin, "-qc", f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)"], check=False)


class S3:
    def __init__(self, root):
        os.makedirs(os.path.join(root, BUCKET))
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["s3s-fs", "--access-key", S3_ACCESS, "--secret-key", S3_SECRET, "--host", "127.0.0.1", "--port", str(self.port), root],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(500):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.01)
        self.env = {
            "GANTRY_BLOB_STORE": f"s3://{BUCKET}/gantry", "GANTRY_S3_ENDPOINT": f"http://127.0.0.1:{self.port}",
            "GANTRY_S3_ACCESS_KEY_ID": S3_ACCESS, "GANTRY_S3_SECRET_ACCESS_KEY": S3_SECRET, "GANTRY_S3_ALLOW_HTTP": "true",
        }

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def promotion_run(addrs, clients, versions, targets):
    """Promotes every (version, target) pair once, from `clients` threads
    spread over the nodes; returns latencies (ms), errors and seconds."""
    first = addrs[0]
    call(first, "POST", "/api/management/feeds/create", json.dumps({"name": "src", "feedType": "universal"}))
    for t in range(targets):
        call(first, "POST", "/api/management/feeds/create", json.dumps({"name": f"t{t}", "feedType": "universal"}))
    package = upack("pkg", "0.0.0", 1024)
    for v in range(versions):
        path = upack("pkg", f"1.0.{v}", 1024)
        upload(first, "src", path)
        os.remove(path)
    os.remove(package)
    work = queue.Queue()
    for v in range(versions):
        for t in range(targets):
            work.put(json.dumps({"fromFeed": "src", "toFeed": f"t{t}", "name": "pkg", "version": f"1.0.{v}"}))
    latencies, errors, lock = [], [], threading.Lock()

    def client(index):
        addr = addrs[index % len(addrs)]
        conn = http.client.HTTPConnection(*addr)
        mine = []
        while True:
            try:
                body = work.get_nowait()
            except queue.Empty:
                break
            began = time.perf_counter()
            try:
                status, data = call(addr, "POST", "/api/promotions/promote", body, conn)
            except (OSError, http.client.HTTPException) as e:
                status, data = 0, str(e).encode()
                conn = http.client.HTTPConnection(*addr)
            mine.append((time.perf_counter() - began) * 1000)
            if status != 200:
                with lock:
                    errors.append((status, data[:200]))
        with lock:
            latencies.extend(mine)

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, time.perf_counter() - began


def summarize(label, latencies, errors, seconds):
    ordered = sorted(latencies)
    return {
        "setup": label,
        "promotions": len(latencies),
        "per_second": round(len(latencies) / seconds, 1),
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
        "errors": len(errors),
    }


def download_speed(addr, feed, path, repeats):
    upload(addr, feed, path)
    speeds = []
    for _ in range(repeats):
        out = subprocess.run(["curl", "-sS", "--fail", "-o", "/dev/null", "-w", "%{speed_download}",
                              f"http://{addr[0]}:{addr[1]}/upack/{feed}/download/big/1.0.0"],
                             check=True, capture_output=True, text=True).stdout
        speeds.append(float(out) / (1 << 20))
    return statistics.median(speeds)


def raw_s3_speed(root, package, repeats):
    import hashlib
    digest = hashlib.sha256()
    with open(package, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    hexdigest = digest.hexdigest()
    port = free_port()
    proc = subprocess.Popen(["s3s-fs", "--host", "127.0.0.1", "--port", str(port), root],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(500):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.01)
        url = f"http://127.0.0.1:{port}/{BUCKET}/gantry/blobs/sha256/{hexdigest[:2]}/{hexdigest}"
        speeds = []
        for _ in range(repeats):
            out = subprocess.run(["curl", "-sS", "--fail", "-o", "/dev/null", "-w", "%{speed_download}", url],
                                 check=True, capture_output=True, text=True).stdout
            speeds.append(float(out) / (1 << 20))
        return statistics.median(speeds)
    finally:
        proc.kill()
        proc.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--versions", type=int, default=40)
    parser.add_argument("--targets", type=int, default=25)
    parser.add_argument("--download-mib", type=int, default=100)
    args = parser.parse_args()
    for tool in ("curl", "psql", "s3s-fs"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed: run scripts/test-setup (and apt-get install curl)")
    binary = args.binary
    if binary is None:
        subprocess.run(["cargo", "build", "--release", "--locked", "-p", "gantry"], check=True)
        binary = "target/release/gantry"

    rows = []
    with tempfile.TemporaryDirectory() as work:
        # SQLite + local files, one node.
        proc, addr = start(binary, os.path.join(work, "sqlite"), {})
        try:
            rows.append(summarize("sqlite, 1 node", *promotion_run([addr], args.clients, args.versions, args.targets)))
        finally:
            stop(proc)
        # PostgreSQL + S3, one node then two.
        for nodes in (1, 2):
            pg, s3 = Postgres(), S3(os.path.join(work, f"s3-{nodes}"))
            procs = []
            try:
                env = {"GANTRY_DATABASE_URL": pg.url, **s3.env}
                for n in range(nodes):
                    procs.append(start(binary, os.path.join(work, f"pg{nodes}-{n}"), env))
                addrs = [a for _, a in procs]
                rows.append(summarize(f"postgres+s3, {nodes} node{'s' if nodes > 1 else ''}",
                                      *promotion_run(addrs, args.clients, args.versions, args.targets)))
            finally:
                for proc, _ in procs:
                    stop(proc)
                s3.stop()
                pg.drop()

        # Download throughput, local files against S3.
        package = upack("big", "1.0.0", args.download_mib << 20)
        proc, addr = start(binary, os.path.join(work, "dl-local"), {})
        try:
            call(addr, "POST", "/api/management/feeds/create", json.dumps({"name": "dl", "feedType": "universal"}))
            local = download_speed(addr, "dl", package, 5)
        finally:
            stop(proc)
        s3_root = os.path.join(work, "dl-s3-root")
        s3 = S3(s3_root)
        proc, addr = start(binary, os.path.join(work, "dl-s3"), s3.env)
        try:
            call(addr, "POST", "/api/management/feeds/create", json.dumps({"name": "dl", "feedType": "universal"}))
            remote = download_speed(addr, "dl", package, 5)
        finally:
            stop(proc)
            s3.stop()
        # The S3 server's own ceiling: the same object fetched straight from
        # an unauthenticated s3s-fs over the same folder.
        ceiling = raw_s3_speed(s3_root, package, 5)
        os.remove(package)

    print(json.dumps({"promotion": rows, "download_mib_per_s": {
        "local_files": round(local, 1), "s3_through_gantry": round(remote, 1), "s3_server_alone": round(ceiling, 1)}}, indent=2))
    print()
    sqlite_p50 = rows[0]["p50_ms"]
    pg_p50 = rows[1]["p50_ms"]
    checks = [
        ("errors under %d concurrent clients, all setups" % args.clients, sum(r["errors"] for r in rows), "", "==", 0),
        ("PostgreSQL p50 / SQLite p50", round(pg_p50 / sqlite_p50, 2), "x", "<=", 2.0),
        (f"S3 download throughput / local ({args.download_mib} MiB)", round(remote / local, 2), "x", ">=", 0.8),
        ("S3 through Gantry / the S3 server alone", round(remote / ceiling, 2), "x", ">=", 0.8),
    ]
    for label, value, unit, op, target in checks:
        ok = {"==": value == target, "<=": value <= target, ">=": value >= target}[op]
        print(f"{'PASS' if ok else 'MISS'}  {label}: {value}{unit} (target {op} {target}{unit})")


if __name__ == "__main__":
    main()
