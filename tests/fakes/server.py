"""A real HTTP server on loopback for fake trackers: routing, OpenAPI validation of every
request and response, a request log, and fault injection.

    with FakeServer(SPEC) as server:
        server.route("GET", "/repos/{owner}/{repo}", handler)
        server.inject("POST", r"^/repos/[^/]+/[^/]+/issues$", DropAfterCommit())
        ...
        assert server.validation_errors == []

Subclasses (FakeGitHub, FakeJira) register routes and hold state; every handler runs
under `self.lock`, so state changes are serialised even though the server is threaded.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

# --- requests and responses ----------------------------------------------------------


@dataclass
class FakeRequest:
    method: str
    path: str  # without the server prefix (e.g. "/api/v3"), percent-decoded per segment
    params: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    path_params: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)


@dataclass
class FakeResponse:
    status: int
    body: Any = None  # JSON-serialised; bytes are sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    # False for answers the vendor description does not declare but the real service
    # gives (e.g. GitHub's 401, 429, 304 on list endpoints): they are not validated.
    validate: bool = True

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


@dataclass
class LoggedRequest:
    method: str
    path: str
    params: dict[str, str]
    status: int | None  # None: the connection was dropped without an answer
    headers: dict[str, str]  # lower-case names; Authorization reduced to its scheme
    body: bytes = b""
    raw_path: str = ""

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


Handler = Callable[[FakeRequest], FakeResponse]

# --- faults -------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """Answer with this status without running the handler (502, 403/429 rate limit).
    `commit=True` runs the handler first (its change lands), as a gateway that times out
    after the backend committed: the client sees the error, the write happened anyway."""

    code: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    commit: bool = False


@dataclass(frozen=True)
class DropAfterCommit:
    """Run the handler (its state change is committed), then close the connection
    without answering: the client cannot know whether its write landed."""


@dataclass(frozen=True)
class DropBefore:
    """Close the connection without handling the request."""


@dataclass(frozen=True)
class Latency:
    seconds: float


Fault = Status | DropAfterCommit | DropBefore | Latency


@dataclass
class _Injection:
    method: str | None
    path_re: re.Pattern[str]
    fault: Fault
    times: int | None


@dataclass
class _Route:
    method: str
    pattern: str
    regex: re.Pattern[str]
    handler: Handler
    validate: bool


def _compile(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\w+\})", pattern)
    regex = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}$")


# --- OpenAPI validation (spec parsed once per process) ---------------------------------


@cache
def _load_spec(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


@cache
def _spec_checked(path: str) -> bool:
    """Validate the description itself once per process; later servers skip it."""
    from openapi_spec_validator import validate

    validate(json.loads(_load_spec(path)))
    return True


# openapi-core matches request URLs against `servers`: every fake validates as if it
# were served from this host, so one parsed description serves all ports.
_VALIDATION_HOST = "http://127.0.0.1"


@cache
def _openapi(path: str, prefix: str, relax_formats: tuple[str, ...]) -> Any:
    from openapi_core import Config, OpenAPI

    _spec_checked(path)
    spec = json.loads(_load_spec(path))
    spec["servers"] = [{"url": _VALIDATION_HOST + prefix}]
    relaxed = {name: (lambda value: True) for name in relax_formats}
    config = Config(spec_validator_cls=None, extra_format_validators=relaxed)
    return OpenAPI.from_dict(spec, config=config)


class _CoreRequest:
    """FakeRequest in the shape openapi-core's Request protocol expects."""

    def __init__(self, host_url: str, raw_path: str, req: FakeRequest) -> None:
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        self.host_url = host_url
        self.path = raw_path
        self.method = req.method.lower()
        self.body = req.body or None
        self.content_type = req.header("content-type", "application/json").lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(req.params), header=Headers(list(req.headers.items()))
        )


class _CoreResponse:
    def __init__(self, resp: FakeResponse, data: bytes) -> None:
        from werkzeug.datastructures import Headers

        self.status_code = resp.status
        self.data = data or None
        self.headers = Headers(list(resp.headers.items()))
        self.content_type = resp.headers.get("Content-Type", "application/json").lower()


# --- the server ---------------------------------------------------------------------


class FakeServer:
    """A threaded HTTP server on 127.0.0.1 with a random port. `prefix` is a path prefix
    every route lives under (GitHub Enterprise Server: "/api/v3")."""

    def __init__(
        self,
        spec_path: Path | None = None,
        *,
        prefix: str = "",
        relax_formats: Iterable[str] = (),
    ) -> None:
        self.spec_path = spec_path
        self.prefix = prefix.rstrip("/")
        self.relax_formats = tuple(relax_formats)
        self.lock = threading.RLock()
        self.routes: list[_Route] = []
        self.requests: list[LoggedRequest] = []
        self.validation_errors: list[str] = []
        self.latency = 0.0
        self._injections: list[_Injection] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._openapi: Any = None
        self._validation_lock = threading.Lock()  # openapi-core is not known thread-safe

    # lifecycle
    def start(self) -> FakeServer:
        handler = type("_BoundHandler", (_RequestHandler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.block_on_close = False  # keep-alive threads must not block stop()
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        if self.spec_path is not None:
            self._openapi = _openapi(str(self.spec_path), self.prefix, self.relax_formats)
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """Scheme, host and port: "http://127.0.0.1:PORT"."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """`url` plus the prefix: what a client uses as its base URL."""
        return self.url + self.prefix

    # routing
    def route(self, method: str, pattern: str, handler: Handler, *, validate: bool = True) -> None:
        self.routes.append(_Route(method.upper(), pattern, _compile(pattern), handler, validate))

    def match(self, method: str, path: str) -> tuple[_Route, dict[str, str]] | None:
        for route in self.routes:
            found = route.regex.match(path)
            if found and route.method == method:
                return route, {k: unquote(v) for k, v in found.groupdict().items()}
        return None

    def not_found(self, req: FakeRequest) -> FakeResponse:
        """Answer for a path no route serves; subclasses give the vendor's error body."""
        return FakeResponse(404, {"message": "Not Found"}, validate=False)

    # log
    def count(self, method: str | None = None, path_prefix: str | None = None) -> int:
        with self.lock:
            return sum(
                1
                for r in self.requests
                if (method is None or r.method == method.upper())
                and (path_prefix is None or r.path.startswith(path_prefix))
            )

    def reset_log(self) -> None:
        with self.lock:
            self.requests.clear()

    # faults
    def inject(
        self, method: str | None, path_regex: str, fault: Fault, times: int | None = 1
    ) -> None:
        """Apply `fault` to the next `times` requests (None: forever) whose method and
        path (without prefix, with query string) match; `re.search` semantics."""
        with self.lock:
            upper = method.upper() if method and method != "*" else None
            self._injections.append(_Injection(upper, re.compile(path_regex), fault, times))

    def fault_target(self, req: FakeRequest, target: str) -> str:
        """The string `inject` patterns are matched against: the path and query; a fake
        with one endpoint (GraphQL) appends the operation, so faults can aim at it."""
        return target

    def clear_faults(self) -> None:
        with self.lock:
            self._injections.clear()
            self.latency = 0.0

    def take_fault(self, method: str, target: str) -> Fault | None:
        with self.lock:
            for inj in self._injections:
                if (inj.method is None or inj.method == method) and inj.path_re.search(target):
                    if inj.times is not None:
                        inj.times -= 1
                        if inj.times <= 0:
                            self._injections.remove(inj)
                    return inj.fault
        return None

    # validation
    def validate_request(self, raw_path: str, req: FakeRequest) -> str | None:
        if self._openapi is None:
            return None
        try:
            with self._validation_lock:
                self._openapi.validate_request(_CoreRequest(_VALIDATION_HOST, raw_path, req))
        except Exception as exc:
            return _describe("request", req.method, raw_path, exc)
        return None

    def validate_response(
        self, raw_path: str, req: FakeRequest, resp: FakeResponse, data: bytes
    ) -> str | None:
        if self._openapi is None or not resp.validate:
            return None
        try:
            with self._validation_lock:
                self._openapi.validate_response(
                    _CoreRequest(_VALIDATION_HOST, raw_path, req), _CoreResponse(resp, data)
                )
        except Exception as exc:
            return _describe(f"response {resp.status}", req.method, raw_path, exc)
        return None

    def record_error(self, message: str) -> None:
        with self.lock:
            self.validation_errors.append(message)


def _describe(what: str, method: str, path: str, exc: Exception) -> str:
    """One readable line: the leaf schema errors, not the whole offending document."""
    causes: list[str] = []
    inner: BaseException | None = exc
    while inner is not None:
        details = getattr(inner, "schema_errors", None)
        if details:
            causes.extend(f"{'/'.join(map(str, e.path))}: {e.message}"[:300] for e in details)
        elif not causes:
            causes.append(str(inner)[:300])
        inner = inner.__cause__
    unique = list(dict.fromkeys(causes))
    return f"{what} {method} {path}: " + " | ".join(unique[:10])


# --- the per-connection handler ------------------------------------------------------


class _Dropped(Exception):
    """The fault asked to close the connection without an answer."""


class _RequestHandler(BaseHTTPRequestHandler):
    fake: FakeServer
    protocol_version = "HTTP/1.1"  # keep-alive: benchmarks make thousands of requests
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_GET

    def _serve(self) -> None:
        fake = self.fake
        req, raw_path, target = self._read()
        entry = LoggedRequest(
            req.method, req.path, req.params, None, _loggable(req.headers), req.body, raw_path
        )
        with fake.lock:
            fake.requests.append(entry)
        if fake.latency:
            time.sleep(fake.latency)
        try:
            resp = self._answer(req, raw_path, target)
        except _Dropped:
            self.close_connection = True
            return
        entry.status = resp.status
        self._send(resp, req, raw_path)

    def _read(self) -> tuple[FakeRequest, str, str]:
        split = urlsplit(self.path)
        raw_path = split.path
        prefix = self.fake.prefix
        path = raw_path[len(prefix) :] if prefix and raw_path.startswith(prefix + "/") else raw_path
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        length = int(headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        target = path + (f"?{split.query}" if split.query else "")
        return FakeRequest(self.command, path, params, headers, body), raw_path, target

    def _answer(self, req: FakeRequest, raw_path: str, target: str) -> FakeResponse:
        fake = self.fake
        fault = fake.take_fault(req.method, fake.fault_target(req, target))
        if isinstance(fault, Latency):
            time.sleep(fault.seconds)
        elif isinstance(fault, DropBefore):
            raise _Dropped
        elif isinstance(fault, Status) and not fault.commit:
            return FakeResponse(fault.code, fault.body, dict(fault.headers), validate=False)
        resp = self._dispatch(req, raw_path)
        if isinstance(fault, Status):
            return FakeResponse(fault.code, fault.body, dict(fault.headers), validate=False)
        if isinstance(fault, DropAfterCommit):
            raise _Dropped
        return resp

    def _dispatch(self, req: FakeRequest, raw_path: str) -> FakeResponse:
        fake = self.fake
        found = fake.match(req.method, req.path) if raw_path.startswith(fake.prefix) else None
        if found is None:
            return fake.not_found(req)
        route, req.path_params = found
        if route.validate:
            error = fake.validate_request(raw_path, req)
            if error:
                fake.record_error(error)
                return FakeResponse(500, {"message": error}, validate=False)
        try:
            with fake.lock:
                resp = route.handler(req)
        except Exception as exc:  # a bug in the fake: make the test fail loudly
            fake.record_error(f"handler {req.method} {req.path} crashed: {exc!r}")
            return FakeResponse(500, {"message": repr(exc)}, validate=False)
        resp.validate = resp.validate and route.validate
        return resp

    def _send(self, resp: FakeResponse, req: FakeRequest, raw_path: str) -> None:
        data = b"" if resp.status in (204, 304) else resp.encoded()
        headers = dict(resp.headers)
        if data:
            headers.setdefault("Content-Type", "application/json; charset=utf-8")
        error = self.fake.validate_response(
            raw_path, req, FakeResponse(resp.status, resp.body, headers, resp.validate), data
        )
        if error:
            self.fake.record_error(error)
        self.send_response(resp.status)
        for name, value in headers.items():
            self.send_header(name, value)
        if resp.status not in (204, 304):
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data and req.method != "HEAD":
            self.wfile.write(data)


def _loggable(headers: dict[str, str]) -> dict[str, str]:
    """Headers for the log: the credential is never kept, only its scheme."""
    out = dict(headers)
    if "authorization" in out:
        scheme, _, secret = out["authorization"].partition(" ")
        out["authorization"] = f"{scheme} ***" if secret else "***"  # a bare key: all of it
    if "private-token" in out:  # GitLab's token header
        out["private-token"] = "***"
    return out
