"""What the format benchmarks share: starting and stopping a release
`gantry serve` on 127.0.0.1, a keep-alive client, reading the server's
memory, and wrk (installed from Debian's packages when missing)."""

import http.client
import os
import re
import shutil
import subprocess
import time
import urllib.parse

KEY = "bench-admin-key-0123456789"


def rss_kib(pid, field):
    """A memory figure of /proc/PID/status (VmRSS, VmHWM), in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not found")


def start(binary, data_dir):
    """Starts the server with KEY as its bootstrap key; returns (process, base URL)."""
    proc = subprocess.Popen(
        [binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "GANTRY_BOOTSTRAP_API_KEY": KEY, "GANTRY_LOG": "warn"},
        text=True,
    )
    line = proc.stdout.readline()
    prefix = "gantry listening on "
    if not line.startswith(prefix):
        proc.kill()
        raise RuntimeError(f"unexpected first line: {line!r}")
    return proc, line[len(prefix):].strip()


def stop(proc):
    proc.terminate()
    proc.wait(timeout=30)


class Client:
    """One keep-alive connection to the server, sending `auth` headers
    (the key in X-ApiKey unless told otherwise) with every request."""

    def __init__(self, base, auth=None):
        url = urllib.parse.urlparse(base)
        self.conn = http.client.HTTPConnection(url.hostname, url.port)
        self.auth = auth if auth is not None else {"X-ApiKey": KEY}

    def call(self, method, path, body=None, headers=None):
        self.conn.request(method, path, body=body, headers={**self.auth, **(headers or {})})
        response = self.conn.getresponse()
        return response.status, response.read()


def check(status, body, what):
    """Raises when an answer is not a success."""
    if status >= 300:
        raise RuntimeError(f"{what}: {status} {body[:300]!r}")


def latencies(client, path, samples):
    """Milliseconds per GET of `path`, one request at a time."""
    timings = []
    for _ in range(samples):
        began = time.perf_counter()
        status, body = client.call("GET", path)
        timings.append((time.perf_counter() - began) * 1000)
        check(status, body, path)
    return timings


def ensure_wrk():
    if shutil.which("wrk"):
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"], check=True)


def wrk_rate(url, seconds, connections, headers=()):
    """Runs wrk with 2 threads; returns (requests/s, non-2xx/3xx answers, p50 latency as printed)."""
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header in headers:
        args += ["-H", header]
    out = subprocess.run(args + [url], check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(\w+)", out)
    return rate, int(errors.group(1)) if errors else 0, f"{p50.group(1)}{p50.group(2)}" if p50 else "?"
