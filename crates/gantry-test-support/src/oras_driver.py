"""Drives oras-py (a library, not a command) for Gantry's tests.

Run by the oras-py virtualenv's python (GANTRY_TEST_ORAS_PYTHON) with one
argument, a JSON command; prints one JSON object on stdout (everything oras-py
logs goes to stderr) and exits with 0 when the command worked, 1 otherwise.

Common fields of a command:
  op           "push", "pull", "manifest" or "referrers"
  registry     "127.0.0.1:PORT"
  target       "feed/repo:tag" or "feed/repo@sha256:..."
  auth         {"backend": "token" | "basic", "username": ..., "password": ...}
               (no username: no credentials; the token backend then asks the
               realm for an anonymous token)
  insecure     plain http (default true)
  retries      how often oras-py retries a failed request (default 0; oras-py
               itself retries 5 times, sleeping 2 + 3**n seconds)
push:
  files        [{"path": "/abs/file", "media_type": "..."}]; each file's name
               (its title annotation) is its base name
  artifact_type       the manifest's artifactType (OCI 1.1); oras-py 0.2 has
                      no parameter for it, so it is added to the manifest
                      oras-py builds, just before oras-py uploads it
  config_media_type   the config's media type; the config is always `{}`.
                      Default: application/vnd.oci.empty.v1+json when
                      artifact_type is given, else oras-py's own default
                      (application/vnd.unknown.config.v1+json)
  subject      the digest of a manifest in the same repository (fetched
               through oras-py to learn its size and media type), or a
               descriptor {"mediaType", "digest", "size"}; oras-py's push
               puts it in the manifest's `subject`
  annotations  the manifest's annotations
  chunked      POST + PATCH + PUT instead of POST + PUT (default false)
pull:
  outdir       where the layers go, each under its title annotation
referrers:
  artifact_type  the artifactType filter (query parameter), optional

The result always holds "ok" and "requests": every HTTP request the session
made, as [method, url, status, auth scheme sent ("Basic", "Bearer" or "")].
"""

import hashlib
import json
import os
import sys
import tempfile
import traceback

EMPTY_MEDIA_TYPE = "application/vnd.oci.empty.v1+json"
MANIFEST_ACCEPT = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
]


def main():
    command = json.loads(sys.argv[1])
    real_stdout = sys.stdout
    # oras-py prints progress; only the result goes to stdout.
    sys.stdout = sys.stderr
    requests_seen = []
    try:
        result = run(command, requests_seen)
        result["ok"] = True
        code = 0
    except Exception as error:  # noqa: BLE001 - reported to the test
        traceback.print_exc(file=sys.stderr)
        result = {"ok": False, "error": str(error), "error_type": type(error).__name__}
        code = 1
    result["requests"] = requests_seen
    sys.stdout = real_stdout
    print(json.dumps(result))
    sys.exit(code)


def make_registry(command, requests_seen):
    # oras.provider first: importing oras.decorator alone is circular.
    import oras.provider
    import oras.decorator

    retries = int(command.get("retries", 0))
    unwrapped = oras.provider.Registry.do_request.__wrapped__
    # retry(attempts=0) makes exactly one attempt.
    do_request = oras.decorator.retry(attempts=retries, timeout=0)(unwrapped)

    class DriverRegistry(oras.provider.Registry):
        artifact_type = None
        sent_manifest = None
        fetched_manifest = None

        def do_request(self, *args, **kwargs):
            return do_request(self, *args, **kwargs)

        def upload_manifest(self, manifest, container):
            if self.artifact_type:
                manifest["artifactType"] = self.artifact_type
            response = super().upload_manifest(manifest, container)
            self.sent_manifest = response.request.body
            return response

        def get_manifest(self, container, allowed_media_type=None, validation_schema=None):
            manifest = super().get_manifest(container, allowed_media_type, validation_schema)
            self.fetched_manifest = manifest
            return manifest

    auth = command.get("auth") or {}
    registry = DriverRegistry(
        hostname=command["registry"],
        insecure=command.get("insecure", True),
        auth_backend=auth.get("backend", "token"),
    )
    # No proxies, netrc or CA bundles from the environment.
    registry.session.trust_env = False

    def record(response, *args, **kwargs):
        sent = response.request.headers.get("Authorization", "")
        requests_seen.append(
            [response.request.method, response.request.url, response.status_code, sent.split(" ")[0]]
        )

    registry.session.hooks["response"].append(record)
    if auth.get("username") is not None:
        registry.auth.set_basic_auth(auth["username"], auth.get("password", ""))
    return registry


def full_name(command, target=None):
    return "%s/%s" % (command["registry"], target or command["target"])


def run(command, requests_seen):
    registry = make_registry(command, requests_seen)
    op = command["op"]
    if op == "push":
        return push(registry, command)
    if op == "pull":
        return pull(registry, command)
    if op == "manifest":
        return manifest(registry, command)
    if op == "referrers":
        return referrers(registry, command)
    raise ValueError("unknown op %r" % op)


def fetch(registry, url, accept):
    response = registry.do_request(url, "GET", headers={"Accept": ", ".join(accept)})
    if response.status_code != 200:
        raise ValueError("GET %s: %s %s" % (url, response.status_code, response.text))
    return response


def subject_descriptor(registry, command):
    import oras.oci

    subject = command.get("subject")
    if not subject:
        return None
    if isinstance(subject, dict):
        return oras.oci.Subject(subject["mediaType"], subject["digest"], int(subject["size"]))
    container = registry.get_container(full_name(command))
    url = "%s://%s" % (registry.prefix, container.manifest_url(subject))
    response = fetch(registry, url, MANIFEST_ACCEPT)
    body = response.content
    media_type = json.loads(body).get("mediaType") or response.headers.get("Content-Type")
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    if digest != subject:
        raise ValueError("the subject %s came back as %s" % (subject, digest))
    return oras.oci.Subject(media_type, digest, len(body))


def push(registry, command):
    registry.artifact_type = command.get("artifact_type")
    files = []
    for spec in command.get("files", []):
        path = spec["path"]
        files.append("%s:%s" % (path, spec["media_type"]) if spec.get("media_type") else path)
    config_media_type = command.get("config_media_type")
    if config_media_type is None and registry.artifact_type:
        config_media_type = EMPTY_MEDIA_TYPE
    subject = subject_descriptor(registry, command)
    with tempfile.TemporaryDirectory() as scratch:
        manifest_config = None
        if config_media_type:
            config = os.path.join(scratch, "config.json")
            with open(config, "w") as out:
                out.write("{}")
            manifest_config = "%s:%s" % (config, config_media_type)
        response = registry.push(
            target=full_name(command),
            files=files,
            disable_path_validation=True,
            manifest_config=manifest_config,
            manifest_annotations=command.get("annotations") or None,
            subject=subject,
            do_chunked=bool(command.get("chunked", False)),
            quiet=True,
        )
    sent = registry.sent_manifest or b""
    if isinstance(sent, str):
        sent = sent.encode()
    return {
        "status": response.status_code,
        "digest": "sha256:" + hashlib.sha256(sent).hexdigest(),
        "docker_content_digest": response.headers.get("Docker-Content-Digest"),
        "location": response.headers.get("Location"),
        "manifest": sent.decode(),
    }


def pull(registry, command):
    outdir = command["outdir"]
    files = registry.pull(target=full_name(command), outdir=outdir)
    return {
        "files": [os.path.relpath(path, outdir) for path in files],
        "manifest": registry.fetched_manifest,
    }


def manifest(registry, command):
    container = registry.get_container(full_name(command))
    url = "%s://%s" % (registry.prefix, container.manifest_url())
    response = fetch(registry, url, MANIFEST_ACCEPT)
    return {
        "content_type": response.headers.get("Content-Type"),
        "digest": "sha256:" + hashlib.sha256(response.content).hexdigest(),
        "docker_content_digest": response.headers.get("Docker-Content-Digest"),
        "manifest": response.content.decode(),
    }


def referrers(registry, command):
    import oras.utils

    container = registry.get_container(full_name(command))
    if not container.digest:
        raise ValueError("referrers needs a target by digest (repo@sha256:...)")
    url = "%s://%s/v2/%s/referrers/%s" % (
        registry.prefix,
        container.registry,
        container.api_prefix,
        container.digest,
    )
    if command.get("artifact_type"):
        url = oras.utils.append_url_params(url, {"artifactType": command["artifact_type"]})
    response = fetch(registry, url, ["application/vnd.oci.image.index.v1+json"])
    return {
        "content_type": response.headers.get("Content-Type"),
        "filters_applied": response.headers.get("OCI-Filters-Applied"),
        "index": response.json(),
    }


if __name__ == "__main__":
    main()
