#!/usr/bin/env python3
"""The npm install benchmark's fixture: 200 packages with a dependency tree,
a root project that pulls all of them, and a fast publisher.

Library (stdlib only; imported by bench/npm.py):
  make_packages(out_dir, count=200)   publishable folders bench-pkg-000..199
  make_project(dir, registry=None, token=None, count=200)
                                      package.json (+ .npmrc) of the root project
  write_npmrc(dir, registry, token=None)
                                      dir/.npmrc: registry= and the token line
  publish_all(packages_dir, registry, token, jobs=8, use_npm=False,
              allow_existing=False)
                                      publish every folder (HTTP PUTs of the
                                      document `npm publish` sends, or npm)
  pack(folder) / publish_document(...) the .tgz `npm pack` makes and the JSON
                                      `npm publish` sends
  npm_env(home) / timed_install(project_dir, registry, token=None)
                                      an isolated npm, and one timed
                                      `npm install` in a fresh copy with an
                                      empty cache
  verdaccio_config(storage, work, port=None)
                                      a Verdaccio config without uplinks,
                                      open to anyone
  start_verdaccio(bin, work_dir)      Verdaccio on 127.0.0.1 with that
                                      config, once it answers
  verdaccio_token(registry)           a real token (adds a user, as
                                      `npm adduser` does)

Self-test against Verdaccio (bench/install-verdaccio installs it):
  bench/npm_fixture.py [--runs 3] [--count 200] [--verdaccio BIN]
publishes the packages into a fresh Verdaccio, installs the root project
--runs times (fresh folder and cache each time), and prints the times.
"""

import argparse
import base64
import concurrent.futures
import gzip
import hashlib
import http.client
import io
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

PREFIX = "bench-pkg-"
VERSION = "1.0.0"
TOP_LEVEL = 20  # bench-pkg-000..019: what the root project depends on
MAX_DEPENDENCIES = 3
SEED = 20240601

# What `npm pack` (npm 11, node-tar in portable mode) puts in every header.
NPM_PACK_MTIME = 499162500  # 1985-10-26T08:15:00Z
# What `npm publish` adds to each version (npm 11.19.1 on node 20.20.2).
NO_README = "ERROR: No README data found!"
NODE_VERSION = "20.20.2"
NPM_VERSION = "11.19.1"


def package_name(index):
    return f"{PREFIX}{index:03d}"


# --- the packages ---------------------------------------------------------------


def dependency_tree(count=200, top_level=TOP_LEVEL, seed=SEED):
    """{index: [dependency indexes]}: each package depends on 0-3 packages of
    a higher index (so no cycle), every package below `top_level` is a root,
    and every other one is a dependency of at least one package with a lower
    index, so the roots pull all `count`. About a fifth of the packages get
    an extra, shared dependency (diamonds, as real trees have). Deterministic."""
    top_level = min(top_level, count)
    rng = random.Random(seed)
    deps = {i: [] for i in range(count)}
    # Every non-root gets one parent among the packages before it that still
    # have room; preferring recent ones makes the tree deep, not a star.
    for child in range(top_level, count):
        window = [p for p in range(max(0, child - 40), child) if len(deps[p]) < MAX_DEPENDENCIES]
        if not window:
            window = [p for p in range(child) if len(deps[p]) < MAX_DEPENDENCIES]
        deps[rng.choice(window)].append(child)
    # Shared dependencies: a few extra edges towards higher indexes.
    for parent in range(count - 1):
        if len(deps[parent]) < MAX_DEPENDENCIES and rng.random() < 0.2:
            candidates = [c for c in range(parent + 1, count) if c not in deps[parent]]
            if candidates:
                deps[parent].append(rng.choice(candidates))
    for parent in deps:
        deps[parent].sort()
    return deps


def package_json_text(name, version, description, dependencies):
    manifest = {
        "name": name,
        "version": version,
        "description": description,
        "main": "index.js",
        "license": "MIT",
        "dependencies": dict(dependencies),
    }
    return json.dumps(manifest, indent=2) + "\n"


def index_js_text(name, index, dependencies):
    """A small module (1-5 KiB, so that tarballs are not all headers) that
    requires its dependencies."""
    lines = [f"// {name}: a package of Gantry's npm benchmark.", "'use strict';", ""]
    for dependency in dependencies:
        lines.append(f"const dep_{dependency.replace('-', '_')} = require({json.dumps(dependency)});")
    lines.append("")
    rng = random.Random(index)
    for n in range(20 + index % 60):
        a, b = rng.randrange(1000), rng.randrange(1000)
        lines.append(f"function helper{n}(x) {{ return (x * {a} + {b}) % {1000 + n}; }}")
    lines.append("")
    lines.append(f"module.exports = {{ name: {json.dumps(name)}, version: {json.dumps(VERSION)},")
    lines.append("  dependencies: [" + ", ".join(f"dep_{d.replace('-', '_')}" for d in dependencies) + "] };")
    return "\n".join(lines) + "\n"


def make_packages(out_dir, count=200):
    """Writes `count` publishable package folders bench-pkg-000.. into
    out_dir (each a package.json and an index.js) and returns their paths
    in index order. Rewrites them when they exist (idempotent)."""
    os.makedirs(out_dir, exist_ok=True)
    tree = dependency_tree(count)
    folders = []
    for index in range(count):
        name = package_name(index)
        dependencies = [(package_name(d), "^" + VERSION) for d in tree[index]]
        folder = os.path.join(out_dir, name)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "package.json"), "w") as f:
            f.write(package_json_text(name, VERSION, f"{name}, a package of Gantry's npm benchmark.", dependencies))
        with open(os.path.join(folder, "index.js"), "w") as f:
            f.write(index_js_text(name, index, [d for d, _ in dependencies]))
        folders.append(folder)
    return folders


def top_level_names(count=200):
    return [package_name(i) for i in range(min(TOP_LEVEL, count))]


def registry_with_slash(registry):
    return registry if registry.endswith("/") else registry + "/"


def npmrc_lines(registry, token=None):
    """registry=<url/> and, with a token, //<host:port/path/>:_authToken=<token>."""
    registry = registry_with_slash(registry)
    lines = [f"registry={registry}"]
    if token:
        lines.append(f"//{registry.split('://', 1)[-1]}:_authToken={token}")
    return lines


def make_project(dir, registry=None, token=None, count=200):
    """Writes the root project into dir: a private package.json depending on
    the top-level packages (bench-pkg-000..019, "^1.0.0"), which pull all
    `count`, and, with a registry, an .npmrc naming it (and the token, if
    any; see write_npmrc). `make_project(dir, 200)` (a count in place of the
    registry) writes the package.json alone."""
    if isinstance(registry, int):
        registry, count = None, registry
    os.makedirs(dir, exist_ok=True)
    project = {
        "name": "bench-npm-project",
        "version": "1.0.0",
        "private": True,
        "description": "The root project of Gantry's npm install benchmark.",
        "dependencies": {name: "^" + VERSION for name in top_level_names(count)},
    }
    with open(os.path.join(dir, "package.json"), "w") as f:
        f.write(json.dumps(project, indent=2) + "\n")
    if registry:
        write_npmrc(dir, registry, token)
    return dir


def write_npmrc(dir, registry, token=None):
    """Writes dir/.npmrc: registry=<registry/> and, with a token, its
    //<host:port/path/>:_authToken line (npmrc_lines)."""
    path = os.path.join(dir, ".npmrc")
    with open(path, "w") as f:
        f.write("\n".join(npmrc_lines(registry, token)) + "\n")
    return path


# --- npm pack and npm publish, without npm ----------------------------------------


def _octal(value, size):
    """A numeric header field as node-tar writes it: octal digits, a space, a NUL."""
    text = f"{value:0{size - 2}o} ".encode()
    if len(text) >= size:
        raise ValueError(f"{value} does not fit a {size}-byte tar field")
    return text + b"\0" * (size - len(text))


def _tar_header(path, size):
    """The ustar header node-tar (npm pack) writes for a regular file of
    mode 0644: no owner, mtime 1985-10-26T08:15:00Z."""
    name = path.encode()
    prefix = b""
    if len(name) > 100:
        cut = name.rindex(b"/", 0, 156)
        prefix, name = name[:cut], name[cut + 1 :]
        if len(name) > 100:
            raise ValueError(f"{path!r} does not fit a ustar header")
    header = bytearray(512)
    header[0 : len(name)] = name
    header[100:108] = _octal(0o644, 8)
    header[124:136] = _octal(size, 12)
    header[136:148] = _octal(NPM_PACK_MTIME, 12)
    header[148:156] = b" " * 8
    header[156:157] = b"0"
    header[257:263] = b"ustar\0"
    header[263:265] = b"00"
    header[329:337] = _octal(0, 8)
    header[337:345] = _octal(0, 8)
    header[345 : 345 + len(prefix)] = prefix
    header[148:156] = _octal(sum(header), 8)
    return bytes(header)


def tarball(entries):
    """A .tgz of `entries` [(path, bytes)] as npm pack lays it out: regular
    files in the order given, node-tar's headers, zlib level 9 gzip with no
    name and no mtime."""
    out = io.BytesIO()
    for path, data in entries:
        out.write(_tar_header(path, len(data)))
        out.write(data)
        out.write(b"\0" * (-len(data) % 512))
    out.write(b"\0" * 1024)
    return gzip.compress(out.getvalue(), compresslevel=9, mtime=0)


def pack(folder):
    """The .tgz `npm pack` makes of a folder of regular files (no
    .npmignore or "files" handling): every file below `folder` as
    package/<relative path>, sorted by path as npm sorts them."""
    entries = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in ("node_modules", ".git")]
        for file in files:
            path = os.path.join(root, file)
            rel = os.path.relpath(path, folder).replace(os.sep, "/")
            with open(path, "rb") as f:
                entries.append(("package/" + rel, f.read()))
    entries.sort(key=lambda entry: entry[0])
    return tarball(entries)


def publish_document(registry, tgz, manifest, tag="latest", access=None):
    """The JSON body `npm publish` (npm 11) PUTs to <registry>/<name>: the
    package.json `manifest` as the version, with readme, _id, _nodeVersion,
    _npmVersion and dist (sha512 integrity, sha1 shasum, tarball URL), the
    dist-tag, and the tarball as a base64 attachment. As npm does, the
    tarball file name keeps a scope (`@scope/pkg-1.0.0.tgz`)."""
    name, version = manifest["name"], manifest["version"]
    file_name = f"{name}-{version}.tgz"
    entry = dict(manifest)
    entry.update(
        {
            "readme": NO_README,
            "_id": f"{name}@{version}",
            "_nodeVersion": NODE_VERSION,
            "_npmVersion": NPM_VERSION,
            "dist": {
                "integrity": "sha512-" + base64.b64encode(hashlib.sha512(tgz).digest()).decode(),
                "shasum": hashlib.sha1(tgz).hexdigest(),
                "tarball": f"{registry.rstrip('/')}/{name}/-/{file_name}",
            },
        }
    )
    return {
        "_id": name,
        "name": name,
        "description": manifest.get("description"),
        "dist-tags": {tag: version},
        "versions": {version: entry},
        "access": access,
        "_attachments": {
            file_name: {
                "content_type": "application/octet-stream",
                "data": base64.b64encode(tgz).decode(),
                "length": len(tgz),
            }
        },
    }


def package_folders(packages_dir):
    return sorted(
        os.path.join(packages_dir, entry)
        for entry in os.listdir(packages_dir)
        if os.path.isfile(os.path.join(packages_dir, entry, "package.json"))
    )


class _Publisher:
    """One keep-alive HTTP connection per thread, PUTting publish documents."""

    def __init__(self, registry, token, allow_existing=False):
        self.registry = registry_with_slash(registry)
        url = urllib.parse.urlsplit(self.registry)
        if url.scheme != "http":
            raise ValueError(f"{registry}: only http:// registries are supported")
        self.host, self.port, self.path = url.hostname, url.port or 80, url.path
        self.token = token
        self.allow_existing = allow_existing
        self.connection = None

    def put(self, folder):
        with open(os.path.join(folder, "package.json")) as f:
            manifest = json.load(f)
        body = json.dumps(publish_document(self.registry, pack(folder), manifest)).encode()
        # As npm: PUT /@scope%2fname (a lower-case %2f), /name unscoped.
        path = self.path + urllib.parse.quote(manifest["name"], safe="@").replace("%2F", "%2f")
        headers = {
            "Content-Type": "application/json",
            "Accept": "*/*",
            "User-Agent": f"npm/{NPM_VERSION} node/v{NODE_VERSION} linux x64 workspaces/false",
            "npm-command": "publish",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.connection.request("PUT", path, body=body, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.HTTPException, ConnectionError):
                # The server closed a kept-alive connection: retry once on a new one.
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
        if response.status == 409 and self.allow_existing:
            return manifest["name"]
        if response.status not in (200, 201):
            raise RuntimeError(f"PUT {path}: {response.status} {text[:500]}")
        return manifest["name"]


def publish_all(packages_dir, registry, token, jobs=8, use_npm=False, allow_existing=False):
    """Publishes every package folder in packages_dir to registry (Verdaccio
    or a Gantry npm feed URL), `jobs` at a time, and returns the seconds it
    took. By default with HTTP PUTs of the document `npm publish` sends
    (`PUT <registry>/<name>`, `Authorization: Bearer <token>`); with
    use_npm=True by running `npm publish` in each folder (slower: 200 take
    ~50 s on 2 cores, against ~1 s). With allow_existing=True a 409 Conflict
    (the version is already there) is not an error (HTTP PUTs only)."""
    folders = package_folders(packages_dir)
    started = time.perf_counter()
    if use_npm:
        home = tempfile.mkdtemp(prefix="npm-publish-home-")
        try:
            env = npm_env(home, registry, token)

            def publish(folder):
                run = subprocess.run(
                    ["npm", "publish", "--registry", registry_with_slash(registry)],
                    cwd=folder, env=env, capture_output=True, text=True, timeout=180,
                )
                if run.returncode != 0:
                    raise RuntimeError(f"npm publish in {folder}: {run.stdout}{run.stderr}")

            with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
                list(pool.map(publish, folders))
        finally:
            shutil.rmtree(home, ignore_errors=True)
    else:
        local = threading.local()

        def publish(folder):
            if not hasattr(local, "publisher"):
                local.publisher = _Publisher(registry, token, allow_existing)
            return local.publisher.put(folder)

        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            list(pool.map(publish, folders))
    return time.perf_counter() - started


# --- the client ------------------------------------------------------------------


def npm_env(home, registry=None, token=None):
    """The environment of an isolated npm: HOME, user and global config,
    cache and global prefix all below `home` (created), nothing of the
    machine's but PATH. With `registry`, the user .npmrc names it (and the
    token)."""
    os.makedirs(home, exist_ok=True)
    userconfig = os.path.join(home, ".npmrc")
    globalconfig = os.path.join(home, ".npmrc-global")
    with open(userconfig, "w") as f:
        f.write("\n".join(npmrc_lines(registry, token)) + "\n" if registry else "")
    open(globalconfig, "w").close()
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "TMPDIR": tempfile.gettempdir(),
        "NO_UPDATE_NOTIFIER": "1",
        "npm_config_userconfig": userconfig,
        "npm_config_globalconfig": globalconfig,
        "npm_config_cache": os.path.join(home, ".npm"),
        "npm_config_prefix": os.path.join(home, ".npm-global"),
        "npm_config_update_notifier": "false",
        "npm_config_fund": "false",
        "npm_config_audit": "false",
        "npm_config_loglevel": "warn",
    }


def timed_install(project_dir, registry=None, token=None, expect=None):
    """Copies the root project (package.json and .npmrc, no lockfile, no
    node_modules) into a fresh folder, runs `npm install` there with an
    empty cache and home, checks that `expect` packages were installed (when
    given), and returns the wall-clock seconds npm took. `registry` and
    `token` go to the user .npmrc (the project's .npmrc already names the
    registry)."""
    scratch = tempfile.mkdtemp(prefix="npm-install-")
    try:
        project = os.path.join(scratch, "project")
        os.makedirs(project)
        for file in ("package.json", ".npmrc"):
            source = os.path.join(project_dir, file)
            if os.path.exists(source):
                shutil.copy(source, project)
        env = npm_env(os.path.join(scratch, "home"), registry, token)
        started = time.perf_counter()
        run = subprocess.run(["npm", "install"], cwd=project, env=env, capture_output=True, text=True, timeout=600)
        elapsed = time.perf_counter() - started
        if run.returncode != 0:
            raise RuntimeError(f"npm install failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")
        if expect is not None:
            installed = [d for d in os.listdir(os.path.join(project, "node_modules")) if d.startswith(PREFIX)]
            if len(installed) != expect:
                raise RuntimeError(f"npm installed {len(installed)} packages, expected {expect}:\n{run.stdout}")
        return elapsed
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# --- Verdaccio -------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def verdaccio_config(storage, work, port=None):
    """The text of a Verdaccio config: packages in `storage`, no uplink
    (nothing is fetched from the internet), everyone may read and publish
    (`$all`; npm still sends a token, any string does, or one of
    verdaccio_token), an htpasswd file in `work` for verdaccio_token's user,
    JWT tokens, warnings-only logging (the default logs every request to
    stdout), and `listen: 127.0.0.1:port` when a port is given (`--listen`
    overrides it).

    JWT matters: Verdaccio's default ("legacy") tokens hold the user's
    credentials, and every request that carries one re-checks the password
    against the htpasswd file with bcrypt: 80 ms a request on this 2-core
    machine (a 200-package install took 34 s instead of 4 s). With
    `security.api.jwt` a token costs ~0.5 ms (a signature check)."""
    text = f"""\
storage: {storage}
uplinks: {{}}
packages:
  '**':
    access: $all
    publish: $all
    unpublish: $all
auth:
  htpasswd:
    file: {os.path.join(work, "htpasswd")}
    max_users: 1000
security:
  api:
    jwt:
      sign:
        expiresIn: 7d
max_body_size: 100mb
log: {{ type: stdout, format: pretty, level: warn }}
"""
    if port:
        text += f"listen: 127.0.0.1:{port}\n"
    return text


def verdaccio_token(registry, user="bench", password="bench-password-0123"):
    """A real token of a running Verdaccio: adds `user` (as `npm adduser`
    does: PUT /-/user/org.couchdb.user:<user>), or logs it in when it
    exists, and returns the token of the answer."""
    url = urllib.parse.urlsplit(registry_with_slash(registry))
    body = json.dumps(
        {
            "_id": f"org.couchdb.user:{user}",
            "name": user,
            "password": password,
            "type": "user",
            "roles": [],
            "date": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
        }
    )
    connection = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=30)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    connection.request("PUT", f"{url.path}-/user/org.couchdb.user:{user}", body=body, headers=headers)
    response = connection.getresponse()
    answer = response.read().decode("utf-8", "replace")
    if response.status == 409:
        # The user exists: log in (Basic credentials on the same request).
        credentials = base64.b64encode(f"{user}:{password}".encode()).decode()
        headers["Authorization"] = f"Basic {credentials}"
        connection.request("PUT", f"{url.path}-/user/org.couchdb.user:{user}", body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read().decode("utf-8", "replace")
    connection.close()
    if response.status not in (200, 201):
        raise RuntimeError(f"Verdaccio adduser {user}: {response.status} {answer[:300]}")
    token = json.loads(answer).get("token")
    if not token:
        raise RuntimeError(f"Verdaccio adduser {user} gave no token: {answer[:300]}")
    return token


def start_verdaccio(bin, work_dir, port=None, timeout=30):
    """Starts Verdaccio (`node <bin> --config ...`) with its storage in
    work_dir, no uplink, and anonymous access and publishing
    ($all; npm still needs some token to publish, any string does). Returns
    (process, registry URL with a trailing /) once /-/ping answers."""
    port = port or free_port()
    os.makedirs(work_dir, exist_ok=True)
    config = os.path.join(work_dir, "verdaccio.yaml")
    with open(config, "w") as f:
        f.write(verdaccio_config(os.path.join(work_dir, "storage"), work_dir, port))
    log = open(os.path.join(work_dir, "verdaccio.log"), "w")
    process = subprocess.Popen(
        ["node", bin, "--config", config, "--listen", f"127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    log.close()
    registry = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Verdaccio exited ({process.returncode}); see {work_dir}/verdaccio.log")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/-/ping")
            if connection.getresponse().status == 200:
                return process, registry
        except OSError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"Verdaccio did not answer on {registry} within {timeout} s")


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def install_verdaccio():
    here = os.path.dirname(os.path.abspath(__file__))
    run = subprocess.run([os.path.join(here, "install-verdaccio")], stdout=subprocess.PIPE, text=True, check=True)
    return run.stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--verdaccio", help="node_modules/verdaccio/bin/verdaccio (default: bench/install-verdaccio)")
    parser.add_argument("--use-npm", action="store_true", help="publish with `npm publish` instead of HTTP PUTs")
    args = parser.parse_args()

    bin = args.verdaccio or install_verdaccio()
    work = tempfile.mkdtemp(prefix="bench-npm-fixture-")
    process = None
    try:
        packages = os.path.join(work, "packages")
        make_packages(packages, args.count)
        process, registry = start_verdaccio(bin, os.path.join(work, "verdaccio"))
        token = verdaccio_token(registry)
        seconds = publish_all(packages, registry, token, jobs=args.jobs, use_npm=args.use_npm)
        print(f"published {args.count} packages to Verdaccio in {seconds:.2f} s "
              f"({'npm publish' if args.use_npm else 'HTTP PUT'}, {args.jobs} at a time)")
        project = make_project(os.path.join(work, "project"), registry, token, count=args.count)
        times = [timed_install(project, expect=args.count) for _ in range(args.runs)]
        print("npm install of the root project, fresh folder and cache: "
              + ", ".join(f"{t:.2f}" for t in times)
              + f" s; median {statistics.median(times):.2f} s")
    finally:
        if process is not None:
            stop(process)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
