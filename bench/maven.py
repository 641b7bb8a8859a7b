#!/usr/bin/env python3
"""Maven benchmark: prints the wall time of a cold `mvn` resolution of 100
artifacts from a Gantry feed against the same maven2 layout served by a
static nginx in the same run, and the latency of `maven-metadata.xml` for
an artifact with 1,000 versions.

Targets (issue #20, "Maven feeds"): resolving 100 artifacts cold from
Gantry within 1.2x of static nginx; `maven-metadata.xml` for an artifact
with 1,000 versions p50 < 5 ms. Printed, never asserted.

The 100 artifacts (a small jar and a pom each, in four groups) are PUT to a
Gantry feed over HTTP, and written with their .sha1/.md5 files and each
artifact's maven-metadata.xml (Gantry's own answer) to a folder nginx
serves. One mvn process resolves all 100 (`dependency:resolve` of a pom
that depends on them: one `dependency:get` per artifact would time 100 JVM
start-ups, not the server), into a fresh local repository each time that
holds only the plugin. The runs alternate between the servers; a no-op run
(a pom without dependencies, same goal) gives mvn's own floor; one GET
of each file mvn asks for (pom, jar, their .sha1), one at a time, shows
the servers' own share. The metadata of 1,000 versions is timed on one
keep-alive connection and with wrk, on both servers.

Usage: bench/maven.py [--binary target/release/gantry] [--runs 5] [--versions 1000]
Builds the release binary first unless --binary is given; installs mvn and
its plugins (scripts/install-maven-client), nginx and wrk from Debian's
packages if missing. Everything runs on 127.0.0.1 in temporary folders and
stops by itself.
"""

import argparse
import concurrent.futures
import hashlib
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gantry_bench import Client, check, ensure_wrk, latencies, start, stop, wrk_rate  # noqa: E402
from npm_fixture import free_port  # noqa: E402
from npm_floor import ensure_nginx  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# The plugin Debian ships (libmaven-dependency-plugin-java), as in the tests.
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.5.0"
GROUPS = ["org.gantry.bench.core", "org.gantry.bench.io", "org.gantry.bench.net", "org.gantry.bench.util"]
MANY = ("org.gantry.bench", "many-versions")
FEED = "bench"

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
    tcp_nodelay on;
    keepalive_requests 100000;
    types {{ application/java-archive jar; text/xml pom xml; text/plain sha1 md5; }}
    default_type application/octet-stream;
    client_body_temp_path {dir}/tmp;
    proxy_temp_path {dir}/tmp;
    fastcgi_temp_path {dir}/tmp;
    uwsgi_temp_path {dir}/tmp;
    scgi_temp_path {dir}/tmp;
    server {{
        listen 127.0.0.1:{port};
        root {dir}/site;
    }}
}}
"""

SETTINGS = """<settings>
  <mirrors>
    <!-- Everything but the repository under test (plugins) from Debian's
         local repository: mvn never leaves the machine. -->
    <mirror>
      <id>debian</id>
      <mirrorOf>*,!{feed}</mirrorOf>
      <url>file:///usr/share/maven-repo</url>
    </mirror>
  </mirrors>
</settings>
"""


# --- The artifacts -------------------------------------------------------------


def artifacts(count):
    """(groupId, artifactId, version) of the resolution benchmark's artifacts."""
    return [(GROUPS[i % len(GROUPS)], f"bench-lib-{i:03d}", f"1.{i % 7}.0") for i in range(count)]


def file_path(group, artifact, version, extension):
    return f"{group.replace('.', '/')}/{artifact}/{version}/{artifact}-{version}.{extension}"


def pom(group, artifact, version):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<project xmlns="http://maven.apache.org/POM/4.0.0">\n'
        "  <modelVersion>4.0.0</modelVersion>\n"
        f"  <groupId>{group}</groupId>\n  <artifactId>{artifact}</artifactId>\n  <version>{version}</version>\n"
        "  <packaging>jar</packaging>\n"
        f"  <description>{artifact}, a benchmark library with a description of ordinary length.</description>\n"
        "  <licenses><license><name>MIT</name></license></licenses>\n"
        "</project>\n"
    ).encode()


def jar(group, artifact, version, payload_kib):
    """A real (if useless) jar: a manifest, Maven's pom.properties and a
    resource of `payload_kib` KiB; the same bytes on every run."""
    buffer = io.BytesIO()
    noise = random.Random(f"{group}:{artifact}:{version}").randbytes(payload_kib * 1024)
    with zipfile.ZipFile(buffer, "w") as archive:
        def add(name, data, compress=zipfile.ZIP_DEFLATED):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 6, 1, 0, 0, 0)), data, compress_type=compress)
        add("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nCreated-By: gantry bench\r\n\r\n")
        add(f"META-INF/maven/{group}/{artifact}/pom.properties",
            f"groupId={group}\nartifactId={artifact}\nversion={version}\n")
        add(f"{group.replace('.', '/')}/{artifact.replace('-', '_')}/data.bin", noise, zipfile.ZIP_STORED)
    return buffer.getvalue()


def write_static(site, path, body):
    """A file of the static repository, with the .sha1 and .md5 mvn asks for."""
    target = os.path.join(site, path)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as out:
        out.write(body)
    for algorithm in ("sha1", "md5"):
        with open(f"{target}.{algorithm}", "w") as out:
            out.write(hashlib.new(algorithm, body).hexdigest())


def put_all(base, files, jobs=4):
    """PUTs (path, bytes) pairs to the feed, `jobs` keep-alive connections at a time."""
    local = threading.local()

    def put(item):
        if not hasattr(local, "client"):
            local.client = Client(base)
        path, body = item
        check(*local.client.call("PUT", f"/maven2/{FEED}/{path}", body), f"PUT {path}")

    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        list(pool.map(put, files))


# --- mvn -----------------------------------------------------------------------


def install_mvn():
    run = subprocess.run([os.path.join(HERE, "..", "scripts", "install-maven-client")],
                         stdout=subprocess.PIPE, text=True, check=True)
    return run.stdout.strip()


def project_pom(url, dependencies):
    deps = "".join(
        f"    <dependency><groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version></dependency>\n"
        for g, a, v in dependencies
    )
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0">\n'
        "  <modelVersion>4.0.0</modelVersion>\n"
        "  <groupId>bench</groupId><artifactId>consumer</artifactId><version>1</version><packaging>pom</packaging>\n"
        f"  <repositories><repository><id>{FEED}</id><url>{url}</url></repository></repositories>\n"
        f"  <dependencies>\n{deps}  </dependencies>\n"
        "</project>\n"
    )


class Mvn:
    """mvn with a settings.xml and HOME of its own; each run resolves a
    project's dependencies into a fresh copy of a local repository that
    holds only the dependency plugin (so a run downloads exactly the
    project's artifacts, and copying Debian's plugin jars is not timed)."""

    def __init__(self, mvn, work):
        self.mvn, self.work = mvn, work
        self.home = os.path.join(work, "home")
        os.makedirs(self.home)
        self.settings = os.path.join(work, "settings.xml")
        with open(self.settings, "w") as out:
            out.write(SETTINGS.format(feed=FEED))
        self.template = os.path.join(work, "plugin-repo")
        self.runs = 0
        self.resolve(project_pom("http://127.0.0.1:9/", []), local_repo=self.template)

    def resolve(self, pom_text, local_repo=None):
        """Seconds of one `dependency:resolve` of the project `pom_text`,
        and the local repository it filled."""
        self.runs += 1
        folder = os.path.join(self.work, f"run-{self.runs}")
        os.makedirs(folder)
        with open(os.path.join(folder, "pom.xml"), "w") as out:
            out.write(pom_text)
        if local_repo is None:
            local_repo = os.path.join(folder, "repo")
            shutil.copytree(self.template, local_repo)
        command = [self.mvn, "-B", "-q", "-Dstyle.color=never", "-s", self.settings,
                   f"-Dmaven.repo.local={local_repo}", "-f", os.path.join(folder, "pom.xml"),
                   f"{DEPENDENCY_PLUGIN}:resolve"]
        env = {**os.environ, "HOME": self.home, "MAVEN_OPTS": "", "MAVEN_ARGS": ""}
        began = time.perf_counter()
        run = subprocess.run(command, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - began
        if run.returncode != 0:
            raise RuntimeError(f"mvn failed ({run.returncode}):\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
        return seconds, local_repo


def count_jars(local_repo, wanted):
    return sum(os.path.isfile(os.path.join(local_repo, file_path(g, a, v, "jar"))) for g, a, v in wanted)


# --- Reporting -----------------------------------------------------------------


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary")
    parser.add_argument("--mvn", help="mvn to use (default: scripts/install-maven-client's)")
    parser.add_argument("--artifacts", type=int, default=100)
    parser.add_argument("--jar-kib", type=int, default=16)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    nginx = ensure_nginx()
    ensure_wrk()
    mvn = args.mvn or install_mvn()
    binary = args.binary
    if binary is None:
        subprocess.run(["cargo", "build", "--release", "--locked", "-p", "gantry"], check=True)
        binary = "target/release/gantry"

    wanted = artifacts(args.artifacts)
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as work:
        proc, base = start(binary, os.path.join(work, "data"))
        nginx_proc = None
        try:
            admin = Client(base)
            check(*admin.call("POST", "/api/management/feeds/create",
                              json.dumps({"name": FEED, "feedType": "maven"}), {"Content-Type": "application/json"}),
                  "create feed")
            # mvn reads anonymously (it sends credentials only after a 401),
            # and the feed is readable by anyone; so are these requests.
            reader = Client(base, {})

            # The 100 artifacts, in Gantry and on disk.
            site = os.path.join(work, "nginx", "site")
            os.makedirs(os.path.join(work, "nginx", "tmp"))
            files = []
            for g, a, v in wanted:
                files.append((file_path(g, a, v, "jar"), jar(g, a, v, args.jar_kib)))
                files.append((file_path(g, a, v, "pom"), pom(g, a, v)))
            began = time.perf_counter()
            put_all(base, files)
            put_s = time.perf_counter() - began
            for path, body in files:
                write_static(site, path, body)
            for g, a, _ in wanted:
                path = f"{g.replace('.', '/')}/{a}/maven-metadata.xml"
                status, body = reader.call("GET", f"/maven2/{FEED}/{path}")
                check(status, body, path)
                write_static(site, path, body)

            # The artifact with many versions (a pom and a jar each).
            group, artifact = MANY
            many = []
            for i in range(args.versions):
                version = f"{i // 100}.{i % 100}.0"
                many.append((file_path(group, artifact, version, "pom"), pom(group, artifact, version)))
                many.append((file_path(group, artifact, version, "jar"), jar(group, artifact, version, 1)))
            began = time.perf_counter()
            put_all(base, many)
            many_put_s = time.perf_counter() - began
            print(f"setup: {len(files)} PUTs of {args.artifacts} artifacts in {put_s:.1f} s; "
                  f"{len(many)} PUTs of {args.versions} versions in {many_put_s:.1f} s", flush=True)
            # A new connection whenever one may have been left idle: servers
            # close idle keep-alive connections (Gantry after 30 s, nginx 75 s).
            reader = Client(base, {})
            metadata_path = f"{group.replace('.', '/')}/{artifact}/maven-metadata.xml"
            # The first request after a deploy: nothing rendered yet.
            began = time.perf_counter()
            status, metadata = reader.call("GET", f"/maven2/{FEED}/{metadata_path}")
            first_ms = (time.perf_counter() - began) * 1000
            check(status, metadata, metadata_path)
            assert metadata.count(b"<version>") == args.versions, "the metadata lists other versions"
            write_static(site, metadata_path, metadata)

            port = free_port()
            static = f"http://127.0.0.1:{port}"
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
                    status, body = Client(static, {}).call("GET", "/" + metadata_path)
                    break
                except OSError:
                    if attempt == 99:
                        raise
                    time.sleep(0.05)
            assert body == metadata, "nginx serves other bytes"

            # maven-metadata.xml of 1,000 versions: one keep-alive connection,
            # then wrk; Gantry and nginx alike.
            servers = (("gantry", base, f"/maven2/{FEED}/"), ("nginx", static, "/"))
            metadata_ms = {}
            for label, url, prefix in servers:
                client = Client(url, {})
                latencies(client, prefix + metadata_path, 20)
                metadata_ms[label] = latencies(client, prefix + metadata_path, args.samples)
                metadata_ms[label + " .sha1"] = latencies(client, prefix + metadata_path + ".sha1", args.samples // 5)
            # What mvn asks for per artifact, one request at a time: where
            # a difference in the mvn runs comes from.
            per_file = {}
            for label, url, prefix in servers:
                client = Client(url, {})
                for kind in ("pom", "pom.sha1", "jar", "jar.sha1"):
                    per_file[label, kind] = [latencies(client, prefix + file_path(g, a, v, kind), 1)[0]
                                             for g, a, v in wanted]
            rates = {}
            for label, url in (("gantry", f"{base}/maven2/{FEED}/{metadata_path}"), ("nginx", f"{static}/{metadata_path}")):
                rates[label] = wrk_rate(url, args.seconds, args.connections)

            # Cold resolution of the 100 artifacts by one mvn each time.
            cli = Mvn(mvn, os.path.join(work, "mvn"))
            projects = {
                "gantry": project_pom(f"{base}/maven2/{FEED}/", wanted),
                "nginx": project_pom(f"{static}/", wanted),
                "no-op": project_pom(f"{static}/", []),
            }
            # One untimed run each: the servers' files in the page cache,
            # the JVM's classes in the OS's.
            for label in ("gantry", "nginx"):
                _, repo = cli.resolve(projects[label])
                assert count_jars(repo, wanted) == len(wanted), f"{label}: not every jar resolved"
            times = {label: [] for label in projects}
            for run in range(args.runs):
                # Alternate which server goes first, so that whatever else
                # the machine does falls on both alike.
                order = ["gantry", "nginx"] if run % 2 == 0 else ["nginx", "gantry"]
                for label in order + ["no-op"]:
                    seconds, repo = cli.resolve(projects[label])
                    if label != "no-op":
                        found = count_jars(repo, wanted)
                        assert found == len(wanted), f"{label}: {found} of {len(wanted)} jars resolved"
                    times[label].append(seconds)
                    shutil.rmtree(os.path.dirname(repo))
        finally:
            if nginx_proc:
                nginx_proc.terminate()
                nginx_proc.wait(timeout=10)
            stop(proc)

    medians = {label: statistics.median(values) for label, values in times.items()}
    print(f"mvn dependency:resolve of {args.artifacts} artifacts, cold local repository, median of {args.runs}:")
    for label in ("gantry", "nginx", "no-op"):
        runs = " ".join(f"{t:.2f}" for t in times[label])
        print(f"  {label:8} {medians[label]:6.2f} s   ({runs})")
    ratio = medians["gantry"] / medians["nginx"]
    print(f"  gantry / nginx: {ratio:.2f}x  (target <= 1.2x) {'MET' if ratio <= 1.2 else 'MISSED'}")
    gantry_share, nginx_share = medians["gantry"] - medians["no-op"], medians["nginx"] - medians["no-op"]
    print(f"  above mvn's no-op floor: gantry {gantry_share:.2f} s, nginx {nginx_share:.2f} s "
          f"({gantry_share / max(nginx_share, 0.01):.2f}x)")
    print("one GET of each artifact's files, sequential on one connection, p50 ms:")
    for label in ("gantry", "nginx"):
        print(f"  {label:8} " + ", ".join(f"{kind} {statistics.median(per_file[label, kind]):.2f}"
                                           for kind in ("pom", "pom.sha1", "jar", "jar.sha1")))
    print(f"maven-metadata.xml of {args.versions} versions ({len(metadata):,} bytes), {args.samples} sequential requests:")
    for label in ("gantry", "nginx"):
        values = metadata_ms[label]
        sha1 = metadata_ms[label + " .sha1"]
        rate, errors, p50 = rates[label]
        print(f"  {label:8} p50 {statistics.median(values):.2f} ms, p90 {percentile(values, 0.9):.2f} ms, "
              f"p99 {percentile(values, 0.99):.2f} ms; .sha1 p50 {statistics.median(sha1):.2f} ms; "
              f"wrk -c{args.connections}: {rate:,.0f} req/s (p50 {p50}, {errors} errors)")
    print(f"  gantry's first request after the last deploy: {first_ms:.2f} ms")
    p50 = statistics.median(metadata_ms["gantry"])
    print(f"  gantry p50 {p50:.2f} ms (target < 5 ms) {'MET' if p50 < 5 else 'MISSED'}; "
          f"gantry / nginx p50: {p50 / statistics.median(metadata_ms['nginx']):.1f}x")


if __name__ == "__main__":
    main()
