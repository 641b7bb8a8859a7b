#!/usr/bin/env python3
"""Docker/OCI benchmark: prints how fast skopeo pulls a large single-layer
image from a Gantry docker feed against Debian's docker-registry 2.8 (the
reference registry) serving the same image in the same run, and how long
promoting a tag of a 2 GiB, 20-layer image takes, with the blob store's
size before and after.

Targets (issue "Docker/OCI registry feeds"): a pull of a 500 MiB
single-layer image with skopeo at least 0.9x docker-registry's throughput
in the same run; promoting a tag whose image has 20 layers totalling
2 GiB, p50 < 10 ms, with no byte copied. Printed, never asserted.

The images are OCI image layouts written here: each layer an uncompressed
tar (`application/vnd.oci.image.layer.v1.tar`) holding one file of
os.urandom bytes, so nothing compresses and the layer's digest is its
diff_id. skopeo copies with `--preserve-digests` throughout (otherwise it
gzips an uncompressed layer on its way to a registry or a layout, and the
figures would be gzip's). It pushes the images to Gantry with
`--dest-creds api:KEY`, and to a docker-registry with Debian's default
storage settings (filesystem, in-memory blob descriptor cache) and no
authentication. Then:

- **Pull.** `skopeo copy docker://... oci:OUT:1` from each registry, the
  order swapping each round, after one untimed pull each; OUT is on a tmpfs
  (/dev/shm, --pull-dir) so that the disk's fsync does not hide the
  servers, and is deleted after every pull. The CPU time each server
  spends on a pull (utime + stime from /proc) is printed too: it moves
  less with the load of the machine than wall time does. A copy between
  two local layouts (`oci:` to `oci:`, no registry) shows what skopeo
  costs on its own: reading, verifying the digest, writing the file. One
  plain GET of the layer blob (urllib, bytes discarded) from each registry,
  alternating as well, shows the servers' own rate without skopeo.
- **Promotion.** The 20-layer image is pushed to feed `unapproved` and its
  tag promoted (`POST /api/promotions/promote`, one keep-alive connection)
  into fresh docker feeds `target-1`..`target-K`, each request timed. The
  sizes of the files under the data folder's `blobs/` are summed before
  and after; then skopeo inspects the last target (the manifest digest
  must be the pushed one) and pulls the whole image from it.

Usage: bench/docker.py [--binary target/release/gantry] [--big-mib 500]
       [--layers 20 --layer-mib 102] [--rounds 5] [--promotions 30]
       [--pull-dir /dev/shm] [--quick]
Builds the release binary first unless --binary is given; installs skopeo
and docker-registry (scripts/install-oci-clients) if missing. Everything
runs on 127.0.0.1 in temporary folders (under $BENCH_TMP if set) and stops
by itself; the default sizes need about 5 GiB of disk there at the peak
(and 0.5 GiB of /dev/shm).
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gantry_bench import KEY, Client, check, start, stop  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MIB = 1024 * 1024
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
REF_NAME = "org.opencontainers.image.ref.name"
TAG = "1"
BIG_FEED, BIG_REPO = "bench", "big/image"
PROMOTE_FROM, PROMOTE_REPO = "unapproved", "acme/big"

# Debian's /etc/docker/registry/config.yml, less its htpasswd and health
# check, on a free loopback port.
REGISTRY_CONF = """version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: true
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: {storage}
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:0
  secret: gantry-bench-secret
  headers:
    X-Content-Type-Options: [nosniff]
"""


# --- OCI image layouts ---------------------------------------------------------


def write_blob(blobs, data):
    """Writes `data` as a blob of the layout; returns its digest."""
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, digest.split(":")[1]), "wb") as out:
        out.write(data)
    return digest


def write_layer(blobs, index, size, chunk=8 * MIB):
    """A layer blob: an uncompressed tar holding `bench/layer-{index}.bin`
    of `size` random bytes, written and hashed in chunks; its descriptor."""
    info = tarfile.TarInfo(f"bench/layer-{index}.bin")
    info.size, info.mode, info.mtime = size, 0o644, 0
    hasher = hashlib.sha256()
    temporary = os.path.join(blobs, f".layer-{index}.partial")
    total = 0
    with open(temporary, "wb") as out:
        def put(data):
            nonlocal total
            out.write(data)
            hasher.update(data)
            total += len(data)
        put(info.tobuf(format=tarfile.PAX_FORMAT))
        left = size
        while left:
            data = os.urandom(min(left, chunk))
            put(data)
            left -= len(data)
        # Padding to a 512-byte block, then the two zero blocks that end a tar.
        put(b"\0" * ((-size) % 512 + 1024))
    digest = hasher.hexdigest()
    os.rename(temporary, os.path.join(blobs, digest))
    return {"mediaType": OCI_LAYER_TAR, "digest": f"sha256:{digest}", "size": total}


def compact(document):
    """JSON as registries and skopeo write it: no spaces."""
    return json.dumps(document, separators=(",", ":")).encode()


def write_layout(folder, layer_sizes):
    """An OCI image layout at `folder` whose index tags TAG: an image of one
    layer per size. Returns (manifest digest, total bytes of the layers)."""
    blobs = os.path.join(folder, "blobs", "sha256")
    os.makedirs(blobs)
    layers = [write_layer(blobs, i, size) for i, size in enumerate(layer_sizes)]
    config = compact({
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        # Uncompressed layers: each diff_id is the layer's own digest.
        "rootfs": {"type": "layers", "diff_ids": [layer["digest"] for layer in layers]},
    })
    manifest = compact({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": write_blob(blobs, config), "size": len(config)},
        "layers": layers,
    })
    digest = write_blob(blobs, manifest)
    with open(os.path.join(folder, "index.json"), "w") as out:
        json.dump({"schemaVersion": 2, "manifests": [{
            "mediaType": OCI_MANIFEST, "digest": digest, "size": len(manifest),
            "annotations": {REF_NAME: TAG},
        }]}, out)
    with open(os.path.join(folder, "oci-layout"), "w") as out:
        out.write('{"imageLayoutVersion":"1.0.0"}')
    return digest, layers


def layout_digest(folder):
    """The manifest digest the layout at `folder` tags TAG."""
    with open(os.path.join(folder, "index.json")) as index:
        for manifest in json.load(index)["manifests"]:
            if manifest.get("annotations", {}).get(REF_NAME) == TAG:
                return manifest["digest"]
    raise RuntimeError(f"{folder} tags no {TAG}")


def tree_bytes(folder):
    """(number of files, their total size) under `folder`."""
    count = size = 0
    for root, _, files in os.walk(folder):
        for name in files:
            count += 1
            size += os.path.getsize(os.path.join(root, name))
    return count, size


# --- The clients and the peer --------------------------------------------------


def install_oci_clients():
    """skopeo and docker-registry, installed by scripts/install-oci-clients
    when either is missing."""
    skopeo, registry = shutil.which("skopeo"), shutil.which("docker-registry")
    if registry is None and os.path.exists("/usr/bin/docker-registry"):
        registry = "/usr/bin/docker-registry"
    if skopeo and registry:
        return skopeo, registry
    run = subprocess.run([os.path.join(HERE, "..", "scripts", "install-oci-clients")],
                         stdout=subprocess.PIPE, text=True, check=True)
    found = dict(line.split("=", 1) for line in run.stdout.split())
    return found["GANTRY_TEST_SKOPEO"], found["GANTRY_TEST_DOCKER_REGISTRY"]


class Skopeo:
    """skopeo with a work folder of its own (policy accepting anything, no
    registries.conf or credentials of the machine), as the tests run it."""

    def __init__(self, binary, work):
        self.binary, self.root = binary, work
        for folder in ("home", "docker", "registries.d", "tmp"):
            os.makedirs(os.path.join(work, folder))
        os.makedirs(os.path.join(work, "run"), mode=0o700)
        for name, text in (("policy.json", '{"default":[{"type":"insecureAcceptAnything"}]}'),
                           ("registries.conf", ""), ("containers.conf", ""),
                           ("auth.json", '{"auths":{}}')):
            with open(os.path.join(work, name), "w") as out:
                out.write(text)

    def run(self, *args):
        root = self.root
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "HOME": os.path.join(root, "home"),
            "XDG_RUNTIME_DIR": os.path.join(root, "run"),
            "XDG_CONFIG_HOME": os.path.join(root, "home", ".config"),
            "DOCKER_CONFIG": os.path.join(root, "docker"),
            "REGISTRY_AUTH_FILE": os.path.join(root, "auth.json"),
            "CONTAINERS_REGISTRIES_CONF": os.path.join(root, "registries.conf"),
            "CONTAINERS_CONF": os.path.join(root, "containers.conf"),
            "TMPDIR": os.path.join(root, "tmp"),
        }
        command = [self.binary, "--policy", os.path.join(root, "policy.json"),
                   "--registries.d", os.path.join(root, "registries.d"), *args]
        run = subprocess.run(command, env=env, cwd=root, capture_output=True, text=True, timeout=3600)
        if run.returncode != 0:
            raise RuntimeError(f"`{' '.join(command)}` failed ({run.returncode}):\n{run.stdout[-2000:]}\n{run.stderr[-3000:]}")
        return run.stdout

    def copy(self, src, dst, *extra):
        # --preserve-digests: skopeo 1.9 otherwise gzips an uncompressed
        # layer on its way into a registry or an oci: layout, and the
        # figures would be gzip's.
        return self.run("copy", "--quiet", "--preserve-digests", "--src-tls-verify=false",
                        "--dest-tls-verify=false", *extra, src, dst)

    def timed_copy(self, src, dst, *extra):
        began = time.perf_counter()
        self.copy(src, dst, *extra)
        return time.perf_counter() - began


def start_registry(binary, work):
    """Debian's docker-registry on a free loopback port; (process, host:port)."""
    storage = os.path.join(work, "storage")
    os.makedirs(storage)
    conf = os.path.join(work, "config.yml")
    with open(conf, "w") as out:
        out.write(REGISTRY_CONF.format(storage=json.dumps(storage)))
    log_path = os.path.join(work, "registry.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen([binary, "serve", conf], cwd=work, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT,
                                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": work})
    deadline = time.monotonic() + 10
    while True:
        with open(log_path) as log:
            found = re.search(r"listening on (127\.0\.0\.1:\d+)", log.read())
        if found:
            host = found.group(1)
            break
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            with open(log_path) as log:
                raise RuntimeError(f"docker-registry did not start:\n{log.read()[-3000:]}")
        time.sleep(0.05)
    while True:
        try:
            urllib.request.urlopen(f"http://{host}/v2/").read()
            return proc, host
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def cpu_seconds(pid):
    """User + system CPU seconds the process `pid` has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raw_get(url, headers, expected):
    """Seconds to GET `url` whole with urllib, discarding the bytes."""
    buffer = memoryview(bytearray(MIB))
    began = time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as response:
        total = 0
        while True:
            n = response.readinto(buffer)
            if not n:
                break
            total += n
    seconds = time.perf_counter() - began
    if total != expected:
        raise RuntimeError(f"GET {url}: {total} bytes, expected {expected}")
    return seconds


# --- Reporting -----------------------------------------------------------------


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def rate(mib, seconds):
    return f"{mib / seconds:7.0f} MiB/s"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary")
    parser.add_argument("--skopeo", help="skopeo to use (default: scripts/install-oci-clients's)")
    parser.add_argument("--registry", help="docker-registry to use (default: scripts/install-oci-clients's)")
    parser.add_argument("--big-mib", type=int, default=500, help="size of the single-layer image's layer")
    parser.add_argument("--layers", type=int, default=20, help="layers of the promoted image")
    parser.add_argument("--layer-mib", type=int, default=102, help="size of each of its layers")
    parser.add_argument("--rounds", type=int, default=5, help="timed pulls from each registry")
    parser.add_argument("--promotions", type=int, default=30, help="target feeds the tag is promoted into")
    parser.add_argument("--pull-dir", default="/dev/shm" if os.path.isdir("/dev/shm") else None,
                        help="where the timed pulls write (default: /dev/shm, a tmpfs, so that the disk's "
                             "fsync does not hide the servers; else the work folder)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 32 MiB, 4 layers of 8 MiB, 2 rounds, 5 promotions")
    args = parser.parse_args()
    if args.quick:
        args.big_mib, args.layers, args.layer_mib, args.rounds, args.promotions = 32, 4, 8, 2, 5
    skopeo_bin, registry_bin = install_oci_clients()
    skopeo_bin, registry_bin = args.skopeo or skopeo_bin, args.registry or registry_bin
    binary = args.binary
    if binary is None:
        subprocess.run(["cargo", "build", "--release", "--locked", "-p", "gantry"], check=True)
        binary = os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release", "gantry")

    creds = f"api:{KEY}"
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as work:
        data = os.path.join(work, "data")
        proc, base = start(binary, data)
        registry_proc = out_parent = None
        try:
            gantry_host = base.split("://", 1)[1]
            admin = Client(base)

            def create_feed(name):
                check(*admin.call("POST", "/api/management/feeds/create",
                                  json.dumps({"name": name, "feedType": "docker"}),
                                  {"Content-Type": "application/json"}), f"create feed {name}")

            targets = [f"target-{i + 1}" for i in range(args.promotions)]
            for feed in [BIG_FEED, PROMOTE_FROM, *targets]:
                create_feed(feed)
            registry_proc, registry_host = start_registry(registry_bin, os.path.join(work, "registry"))
            skopeo = Skopeo(skopeo_bin, os.path.join(work, "skopeo"))

            # --- 1. Pull of a single-layer image --------------------------------
            big = os.path.join(work, "big")
            began = time.perf_counter()
            big_digest, big_layers = write_layout(big, [args.big_mib * MIB])
            layer = big_layers[0]
            print(f"setup: a {args.big_mib} MiB single-layer image written in {time.perf_counter() - began:.1f} s",
                  flush=True)
            refs = {
                "gantry": f"docker://{gantry_host}/{BIG_FEED}/{BIG_REPO}:{TAG}",
                "registry": f"docker://{registry_host}/{BIG_FEED}/{BIG_REPO}:{TAG}",
            }
            pull_creds = {"gantry": ["--src-creds", creds], "registry": []}
            push_s = {}
            for label, push_extra in (("gantry", ["--dest-creds", creds]), ("registry", [])):
                push_s[label] = skopeo.timed_copy(f"oci:{big}:{TAG}", refs[label], *push_extra)
            print(f"setup: pushed with skopeo in {push_s['gantry']:.1f} s (Gantry), "
                  f"{push_s['registry']:.1f} s (docker-registry)", flush=True)
            blob_urls = {
                "gantry": (f"{base}/v2/{BIG_FEED}/{BIG_REPO}/blobs/{layer['digest']}", {"X-ApiKey": KEY}),
                "registry": (f"http://{registry_host}/v2/{BIG_FEED}/{BIG_REPO}/blobs/{layer['digest']}", {}),
            }
            pids = {"gantry": proc.pid, "registry": registry_proc.pid}
            out_parent = tempfile.mkdtemp(prefix="gantry-bench-", dir=args.pull_dir or work)
            out = os.path.join(out_parent, "out")

            def pull(label):
                """Seconds of one skopeo pull, and the CPU seconds the
                server spent on it."""
                shutil.rmtree(out, ignore_errors=True)
                cpu = cpu_seconds(pids[label]) if label in pids else 0.0
                if label == "floor":
                    seconds = skopeo.timed_copy(f"oci:{big}:{TAG}", f"oci:{out}:{TAG}")
                else:
                    seconds = skopeo.timed_copy(refs[label], f"oci:{out}:{TAG}", *pull_creds[label])
                cpu = (cpu_seconds(pids[label]) - cpu) if label in pids else 0.0
                got = layout_digest(out)
                if got != big_digest:
                    raise RuntimeError(f"{label}: pulled {got}, pushed {big_digest}")
                shutil.rmtree(out)
                return seconds, cpu

            def get(label):
                cpu = cpu_seconds(pids[label])
                seconds = raw_get(*blob_urls[label], layer["size"])
                return seconds, cpu_seconds(pids[label]) - cpu

            # One untimed pull and GET each: every file in the page cache.
            for label in ("gantry", "registry"):
                pull(label)
                get(label)
            pulls = {"gantry": [], "registry": [], "floor": []}
            gets = {"gantry": [], "registry": []}
            pull_cpu = {"gantry": [], "registry": []}
            get_cpu = {"gantry": [], "registry": []}
            for round_ in range(args.rounds):
                # Alternate which registry goes first, so that whatever else
                # the machine does falls on both alike.
                order = ["gantry", "registry"] if round_ % 2 == 0 else ["registry", "gantry"]
                for label in order:
                    seconds, cpu = pull(label)
                    pulls[label].append(seconds)
                    pull_cpu[label].append(cpu)
                for label in order:
                    seconds, cpu = get(label)
                    gets[label].append(seconds)
                    get_cpu[label].append(cpu)
                pulls["floor"].append(pull("floor")[0])
                print(f"  round {round_ + 1}: skopeo gantry {pulls['gantry'][-1]:.2f} s, "
                      f"registry {pulls['registry'][-1]:.2f} s, floor {pulls['floor'][-1]:.2f} s; "
                      f"GET gantry {gets['gantry'][-1]:.3f} s, registry {gets['registry'][-1]:.3f} s", flush=True)
            registry_proc.terminate()
            registry_proc.wait(timeout=30)
            registry_proc = None
            shutil.rmtree(os.path.join(work, "registry"))
            shutil.rmtree(big)
            shutil.rmtree(out_parent)
            out_parent = None

            # --- 2. Promotion of a 20-layer image -------------------------------
            many = os.path.join(work, "many")
            began = time.perf_counter()
            many_digest, many_layers = write_layout(many, [args.layer_mib * MIB] * args.layers)
            many_mib = sum(layer["size"] for layer in many_layers) / MIB
            print(f"setup: a {args.layers}-layer image of {many_mib:,.0f} MiB written in "
                  f"{time.perf_counter() - began:.1f} s", flush=True)
            source_ref = f"docker://{gantry_host}/{PROMOTE_FROM}/{PROMOTE_REPO}:{TAG}"
            many_push_s = skopeo.timed_copy(f"oci:{many}:{TAG}", source_ref, "--dest-creds", creds)
            shutil.rmtree(many)
            print(f"setup: pushed to Gantry in {many_push_s:.1f} s ({many_mib / many_push_s:.0f} MiB/s)", flush=True)
            blobs_dir = os.path.join(data, "blobs")
            before = tree_bytes(blobs_dir)
            promote_ms = []
            # A new connection: Gantry closes one left idle for 30 s.
            client = Client(base)
            for target in targets:
                body = json.dumps({"packageType": "docker", "name": PROMOTE_REPO, "version": TAG,
                                   "fromFeed": PROMOTE_FROM, "toFeed": target})
                began = time.perf_counter()
                status, answer = client.call("POST", "/api/promotions/promote", body,
                                             {"Content-Type": "application/json"})
                promote_ms.append((time.perf_counter() - began) * 1000)
                check(status, answer, f"promote to {target}")
            after = tree_bytes(blobs_dir)
            last_ref = f"docker://{gantry_host}/{targets[-1]}/{PROMOTE_REPO}:{TAG}"
            inspected = json.loads(skopeo.run("inspect", "--tls-verify=false", "--creds", creds, last_ref))
            if inspected["Digest"] != many_digest:
                raise RuntimeError(f"{targets[-1]} serves {inspected['Digest']}, pushed {many_digest}")
            out = os.path.join(work, "out")
            target_pull_s = skopeo.timed_copy(last_ref, f"oci:{out}:{TAG}", "--src-creds", creds)
            if layout_digest(out) != many_digest:
                raise RuntimeError(f"the pull from {targets[-1]} wrote another image")
            shutil.rmtree(out)
            after_pull = tree_bytes(blobs_dir)
        finally:
            if out_parent:
                shutil.rmtree(out_parent, ignore_errors=True)
            if registry_proc:
                registry_proc.terminate()
                registry_proc.wait(timeout=30)
            stop(proc)

    mib = layer["size"] / MIB
    print(f"skopeo copy docker://... oci:... of a {args.big_mib} MiB single-layer image "
          f"({layer['size']:,} bytes), median of {args.rounds}:")
    medians = {label: statistics.median(values) for label, values in pulls.items()}
    names = {"gantry": "Gantry", "registry": "docker-registry", "floor": "oci: to oci:, no registry"}
    for label in ("gantry", "registry", "floor"):
        runs = " ".join(f"{t:.2f}" for t in pulls[label])
        cpu = f"; server CPU {statistics.median(pull_cpu[label]):.2f} s" if label in pull_cpu else ""
        print(f"  {names[label]:26} {medians[label]:6.2f} s  {rate(mib, medians[label])}   ({runs}){cpu}")
    ratio = medians["registry"] / medians["gantry"]
    print(f"  Gantry / docker-registry throughput: {ratio:.2f}x  (target >= 0.9x) {'PASS' if ratio >= 0.9 else 'FAIL'}")
    print(f"one GET of the layer blob (urllib, bytes discarded), median of {args.rounds}:")
    get_medians = {label: statistics.median(values) for label, values in gets.items()}
    for label in ("gantry", "registry"):
        runs = " ".join(f"{t:.3f}" for t in gets[label])
        print(f"  {names[label]:26} {get_medians[label]:6.3f} s  {rate(mib, get_medians[label])}   ({runs}); "
              f"server CPU {statistics.median(get_cpu[label]):.2f} s")
    print(f"  Gantry / docker-registry throughput: {get_medians['registry'] / get_medians['gantry']:.2f}x")
    print(f"promotion of tag {TAG} of {PROMOTE_REPO} ({args.layers} layers, {many_mib:,.0f} MiB) "
          f"into {args.promotions} docker feeds, one keep-alive connection:")
    p50 = statistics.median(promote_ms)
    print(f"  p50 {p50:.2f} ms, p95 {percentile(promote_ms, 0.95):.2f} ms, max {max(promote_ms):.2f} ms "
          f"(target p50 < 10 ms) {'PASS' if p50 < 10 else 'FAIL'}")
    print("  each, in order (ms): " + " ".join(f"{ms:.1f}" for ms in promote_ms))
    copied = after[1] - before[1]
    print(f"  blob store: {before[0]} files, {before[1]:,} bytes before; {after[0]} files, {after[1]:,} bytes after; "
          f"bytes copied: {copied:,} {'PASS' if copied == 0 and after[0] == before[0] else 'FAIL'}")
    print(f"  {targets[-1]} serves {many_digest} (skopeo inspect); a skopeo pull of it took {target_pull_s:.1f} s "
          f"({many_mib / target_pull_s:.0f} MiB/s); blob store after the pull: {after_pull[0]} files, "
          f"{after_pull[1]:,} bytes")


if __name__ == "__main__":
    main()
