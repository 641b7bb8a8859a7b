#!/usr/bin/env python3
"""The floor under `bench/npm.py`'s install figure: how long `npm install`
of the same 200 packages takes when a static nginx serves them (packuments
and tarballs pre-rendered on disk, no application code at all), next to
Gantry and Verdaccio in the same run.

The npm issue's target asks Gantry to install 1.5x faster than Verdaccio.
If even a static file server cannot reach that ratio on this machine, the
limit is npm's own work on the client, not the registry; this script
prints the figures that show it.

Usage: bench/npm_floor.py [--binary target/release/gantry] [--runs 5]
Installs nginx from Debian's packages if it is missing; everything runs on
127.0.0.1 in temporary folders and stops by itself.
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import npm_fixture  # noqa: E402
from gantry_bench import KEY, start, stop  # noqa: E402
from npm import timed_installs  # noqa: E402

CORGI = "application/vnd.npm.install-v1+json"

NGINX_CONF = """
{user}
worker_processes 2;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {dir}/tmp;
    proxy_temp_path {dir}/tmp;
    fastcgi_temp_path {dir}/tmp;
    uwsgi_temp_path {dir}/tmp;
    scgi_temp_path {dir}/tmp;
    server {{
        listen 127.0.0.1:{port};
        root {dir}/site;
        location ~ ^/([^/]+)/-/([^/]+\\.tgz)$ {{
            default_type application/octet-stream;
            try_files /tarballs/$2 =404;
        }}
        location / {{
            default_type application/json;
            try_files /packuments$uri.json =404;
        }}
    }}
}}
"""


def ensure_nginx():
    if shutil.which("nginx") or os.path.exists("/usr/sbin/nginx"):
        return "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else shutil.which("nginx")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "nginx-light"], check=True)
    return "/usr/sbin/nginx"


def fetch(url, headers=None):
    request = urllib.request.Request(url, headers={"X-ApiKey": KEY, **(headers or {})})
    with urllib.request.urlopen(request) as response:
        return response.read()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    nginx = ensure_nginx()
    binary = args.binary
    if binary is None:
        subprocess.run(["cargo", "build", "--release", "--locked", "-p", "gantry"], check=True)
        binary = "target/release/gantry"

    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as work:
        proc, base = start(binary, os.path.join(work, "data"))
        nginx_proc = verdaccio = None
        try:
            feed = base + "/npm/bench"
            request = urllib.request.Request(
                base + "/api/management/feeds/create",
                data=json.dumps({"name": "bench", "feedType": "npm"}).encode(),
                headers={"X-ApiKey": KEY, "Content-Type": "application/json"},
            )
            urllib.request.urlopen(request).read()
            packages = os.path.join(work, "packages")
            project = os.path.join(work, "project")
            npm_fixture.make_packages(packages, 200)
            npm_fixture.make_project(project, 200)
            npm_fixture.publish_all(packages, feed + "/", KEY)

            # The same documents and files, on disk for nginx.
            port = npm_fixture.free_port()
            static = f"http://127.0.0.1:{port}"
            site = os.path.join(work, "nginx", "site")
            os.makedirs(os.path.join(site, "packuments"))
            os.makedirs(os.path.join(site, "tarballs"))
            os.makedirs(os.path.join(work, "nginx", "tmp"))
            for name in sorted(os.listdir(packages)):
                packument = json.loads(fetch(f"{feed}/{name}", {"Accept": CORGI}))
                for version in packument["versions"].values():
                    tarball = version["dist"]["tarball"]
                    file = tarball.rsplit("/", 1)[1]
                    with open(os.path.join(site, "tarballs", file), "wb") as out:
                        out.write(fetch(tarball))
                    version["dist"]["tarball"] = f"{static}/{name}/-/{file}"
                with open(os.path.join(site, "packuments", name + ".json"), "w") as out:
                    json.dump(packument, out)
            conf = os.path.join(work, "nginx", "nginx.conf")
            with open(conf, "w") as out:
                # Workers run as nobody when started by root, and could not
                # read the private temporary folder.
                user = "user root;" if os.geteuid() == 0 else ""
                out.write(NGINX_CONF.format(dir=os.path.join(work, "nginx"), port=port, user=user))
            nginx_proc = subprocess.Popen([nginx, "-c", conf, "-p", os.path.join(work, "nginx")],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for attempt in range(100):
                try:
                    fetch(f"{static}/{npm_fixture.package_name(0)}")
                    break
                except OSError:
                    if attempt == 99:
                        raise
                    time.sleep(0.05)

            verdaccio, verdaccio_url = npm_fixture.start_verdaccio(npm_fixture.install_verdaccio(), os.path.join(work, "verdaccio"))
            token = npm_fixture.verdaccio_token(verdaccio_url)
            npm_fixture.publish_all(packages, verdaccio_url, token)

            registries = [("gantry", feed + "/", KEY), ("nginx", static + "/", None), ("verdaccio", verdaccio_url, token)]
            for label, registry, key in registries:
                try:
                    timed_installs(project, registry, key, 1, os.path.join(work, "warm"))
                except subprocess.CalledProcessError:
                    target = os.path.join(work, "debug-" + label)
                    shutil.copytree(project, target)
                    npm_fixture.write_npmrc(target, registry, key)
                    failed = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--cache", target + "-cache",
                                             "--userconfig", os.path.join(target, ".npmrc")],
                                            cwd=target, capture_output=True, text=True)
                    raise RuntimeError(f"npm install from {label} failed:\n{failed.stderr[-3000:]}") from None
            times = {label: [] for label, _, _ in registries}
            for run in range(args.runs):
                for label, registry, key in registries:
                    times[label] += timed_installs(project, registry, key, 1, os.path.join(work, f"{label}{run}"))[1]
        finally:
            if verdaccio:
                npm_fixture.stop(verdaccio)
            if nginx_proc:
                nginx_proc.terminate()
                nginx_proc.wait(timeout=10)
            stop(proc)

    medians = {label: statistics.median(values) for label, values in times.items()}
    print(json.dumps({label: [round(t, 2) for t in values] for label, values in times.items()}))
    print(f"npm install of 200 packages, median of {args.runs}, cold npm cache:")
    for label in ("nginx", "gantry", "verdaccio"):
        print(f"  {label:10} {medians[label]:.2f} s   (Verdaccio / this: {medians['verdaccio'] / medians[label]:.2f}x)")
    print(f"  a 1.5x target needs <= {medians['verdaccio'] / 1.5:.2f} s; static nginx, with no application code, "
          f"{'reaches' if medians['verdaccio'] / medians['nginx'] >= 1.5 else 'does not reach'} it")


if __name__ == "__main__":
    main()
