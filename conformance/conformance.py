#!/usr/bin/env python3
"""Runs traceport against GS1's EPCIS 2.0 JSON-LD examples.

For every example document: a fresh `traceport serve` over an empty data directory (so that GS1's
examples, which repeat events across files, are each checked on their own), `POST /capture`, poll the
job to success, read every event back through `GET /events` (following `Link: rel="next"`) and
`GET /events/{eventID}`, check the counts, and validate every `GET /events` response against GS1's
EPCIS-Document JSON Schema.

Usage: conformance.py BINARY SHARED_DIR WORK_DIR
Exit status 0 when every check passed.
"""

import json
import pathlib
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import jsonschema
import referencing
import referencing.jsonschema


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The bearer token of the organisation capturing into the current server (set by Server).
CREDENTIALS = {}


def register_capturer(binary, data_dir):
    """Registers a verified organisation in a fresh store and returns an API token of it:
    capture needs a member of an organisation."""
    subprocess.run(
        [binary, "org", "--data-dir", str(data_dir), "--id", "conformance", "--name", "Conformance",
         "--tax-code", "0100000009", "--prefix", "8930000", "--province", "01"],
        check=True, stdout=subprocess.DEVNULL,
    )
    out = subprocess.run(
        [binary, "token", "create", "--data-dir", str(data_dir), "--org", "conformance",
         "--scopes", "read,capture"],
        check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    return out.stdout.decode().strip()


def http(method, url, body=None, headers=None):
    """Returns (status, headers, body bytes); HTTP errors are answers, not exceptions."""
    headers = dict(headers or {})
    if CREDENTIALS.get("token"):
        headers.setdefault("Authorization", "Bearer " + CREDENTIALS["token"])
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


class Server:
    """`traceport serve` on a free port over its own data directory."""

    def __init__(self, binary, data_dir, log_path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(log_path, "wb")
        # GS1's examples use prefixes nobody here holds: store such events flagged, not refused.
        CREDENTIALS["token"] = register_capturer(binary, data_dir)
        self.proc = subprocess.Popen(
            [binary, "serve", "--data-dir", str(data_dir), "--listen", f"127.0.0.1:{self.port}",
             "--ownership-rule", "flag"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"traceport serve exited with {self.proc.returncode}; see {log_path}")
            try:
                if http("GET", self.base + "/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"traceport serve not ready after 30 s; see {log_path}")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
            raise RuntimeError("traceport serve did not stop on SIGTERM")
        finally:
            self.log.close()
        if code != 0:
            raise RuntimeError(f"traceport serve exited with {code} after SIGTERM")


def schema_validator(shared):
    """A validator for EPCIS-Document-JSON-Schema.json with every local schema file registered by its $id."""
    root = pathlib.Path(shared) / "gs1/epcis/JSON-Schema"
    resources = []
    for path in root.rglob("*.json"):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if isinstance(doc, dict) and "$id" in doc:
            resources.append((doc["$id"], referencing.Resource.from_contents(doc, default_specification=referencing.jsonschema.DRAFT7)))
    registry = referencing.Registry().with_resources(resources)
    main = json.loads((root / "EPCIS-Document-JSON-Schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(main, registry=registry)


def events_of(doc):
    body = doc.get("epcisBody", {})
    if "eventList" in body:
        return body["eventList"]
    return body.get("queryResults", {}).get("resultsBody", {}).get("eventList", [])


def next_link(headers):
    for link in headers.get_all("Link") or []:
        for part in link.split(","):
            if 'rel="next"' in part or "rel=next" in part:
                start, end = part.find("<"), part.find(">")
                if start >= 0 and end > start:
                    return part[start + 1 : end]
    return None


def capture(base, raw):
    status, headers, body = http(
        "POST", base + "/capture", raw, {"Content-Type": "application/ld+json"}
    )
    if status != 202:
        raise AssertionError(f"POST /capture answered {status}: {body[:500]!r}")
    location = headers.get("Location")
    if not location:
        raise AssertionError("POST /capture answered 202 without Location")
    job_url = urllib.parse.urljoin(base + "/", location)
    deadline = time.time() + 60
    while time.time() < deadline:
        status, _, body = http("GET", job_url)
        if status != 200:
            raise AssertionError(f"GET {location} answered {status}: {body[:300]!r}")
        job = json.loads(body)
        if not job.get("running") and (job.get("success") or job.get("finishedAt")):
            if not job.get("success"):
                raise AssertionError(f"capture job failed: {json.dumps(job.get('errors'))[:800]}")
            return
        time.sleep(0.02)
    raise AssertionError("capture job did not finish within 60 s")


def read_all(base, validator):
    """Every event through GET /events, following the next links; validates each page."""
    url = base + "/events?perPage=50"
    events, pages = [], 0
    while url:
        status, headers, body = http("GET", url, headers={"Accept": "application/ld+json"})
        if status != 200:
            raise AssertionError(f"GET {url} answered {status}: {body[:300]!r}")
        page = json.loads(body)
        errors = sorted(validator.iter_errors(page), key=lambda e: list(e.path))
        if errors:
            e = errors[0]
            raise AssertionError(
                f"GET /events response fails the JSON Schema at /{'/'.join(map(str, e.path))}: {e.message[:300]}"
                f" ({len(errors)} error(s))"
            )
        events.extend(events_of(page))
        pages += 1
        link = next_link(headers)
        url = urllib.parse.urljoin(base + "/", link) if link else None
        if pages > 1000:
            raise AssertionError("more than 1000 pages: the next links loop")
    return events


def check_document(binary, path, work, validator):
    raw = path.read_bytes()
    doc = json.loads(raw)
    expected = events_of(doc)
    name = path.stem
    server = Server(binary, work / name / "data", work / f"{name}.log")
    try:
        capture(server.base, raw)
        got = read_all(server.base, validator)
        if len(got) != len(expected):
            raise AssertionError(f"captured {len(expected)} events, GET /events returned {len(got)}")
        for event in expected:
            event_id = event.get("eventID")
            if event_id:
                status, _, body = http("GET", server.base + "/events/" + urllib.parse.quote(event_id, safe=""))
                if status != 200:
                    raise AssertionError(f"GET /events/{event_id} answered {status}: {body[:200]!r}")
        return len(expected)
    finally:
        server.stop()


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    binary, shared, work = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
    work.mkdir(parents=True, exist_ok=True)
    validator = schema_validator(shared)
    examples = sorted((shared / "gs1/epcis/JSON").rglob("*.jsonld"))
    if not examples:
        print(f"no examples under {shared}/gs1/epcis/JSON", file=sys.stderr)
        return 1
    failed, events = [], 0
    for path in examples:
        rel = path.relative_to(shared / "gs1/epcis/JSON")
        try:
            n = check_document(binary, path, work, validator)
            events += n
            print(f"  ok    {rel} ({n} events)")
        except (AssertionError, RuntimeError, OSError, ValueError) as e:
            failed.append(rel)
            print(f"  FAIL  {rel}: {e}")
    print(f"examples: {len(examples) - len(failed)}/{len(examples)} passed ({events} events captured and read back)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
