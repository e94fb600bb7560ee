"""A stateful local HTTP server that speaks the OpenAI / Azure OpenAI fine-tuning REST API to the real SDK.

    server = ApiServer(style="openai")      # or "azure"
    server.start()
    client = openai.OpenAI(base_url=server.base_url, api_key=server.api_key)
    ...
    server.advance(job_id, steps=5)         # the test moves jobs along
    server.stop()

Every request and every JSON response is checked against shared/specs/openai/openapi.yaml; violations are
kept in `server.violations` (the fixtures fail the test at teardown if any are left).
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import chat, handlers  # noqa: F401 - importing chat registers its routes
from .deployments import ARM_AUDIENCE, Deployment, advance_deployments
from .errors import mask_key, openai_error, status_error
from .faults import FaultPlan
from .protocol import ApiError, Call, ReceivedRequest, Reply
from .spec import SpecValidator
from .state import TERMINAL, World

SECRET_HEADERS = frozenset({"authorization", "api-key"})
AZURE_API_VERSIONS = frozenset(
    {
        "2024-10-21",
        "2024-08-01-preview",
        "2024-12-01-preview",
        "2025-01-01-preview",
        "2025-02-01-preview",
        "2025-03-01-preview",
        "2025-04-01-preview",
    }
)
AZURE_V1_API_VERSIONS = frozenset({"v1", "preview"})
RESOURCE_AUDIENCE = "https://cognitiveservices.azure.com"
PROJECT_AUDIENCE = "https://ai.azure.com"


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], api: ApiServer) -> None:
        self.api = api
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in separate writes; without this, Nagle + delayed ACK add ~40 ms per reply.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.api.verbose:
            super().log_message(format, *args)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        api = self.server.api
        body = self._read_body()
        outcome = api.dispatch(
            self.command,
            self.path,
            dict(self.headers.items()),
            body,
            f"http://{self.headers.get('Host', api.host)}",
        )
        if outcome is None:  # a "drop" fault: close without a response
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        status, headers, payload, cut_after = outcome
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if isinstance(payload, bytes):
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload if cut_after is None else payload[: len(payload) // 2])
            else:  # a stream: chunked transfer so each event leaves as soon as it exists
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for index, piece in enumerate(payload):
                    if cut_after is not None and index >= cut_after:
                        break
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    self.wfile.flush()
                else:
                    self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        if cut_after is not None:  # a "truncate" fault: the connection dies mid-response
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = _handle


class ApiServer:
    """The local fine-tuning API. See the module docstring and tests/apiserver/README in the H3 report."""

    def __init__(
        self,
        style: str = "openai",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        require_training_type: bool = True,
        validate: bool = True,
        verbose: bool = False,
    ) -> None:
        if style not in ("openai", "azure"):
            raise ValueError("style must be 'openai' or 'azure'")
        self.style = style
        self.host = host
        self.port = port
        self.api_key = api_key or (("sk-test-" if style == "openai" else "") + secrets.token_hex(16))
        self.require_training_type = require_training_type
        self.verbose = verbose
        self.lock = threading.RLock()
        self.world = World(style)
        self.faults = FaultPlan()
        self.received: list[ReceivedRequest] = []
        self.violations: list[str] = []
        self.validator = SpecValidator(style) if validate else None
        self.max_file_bytes = 512 * 1024 * 1024
        self.max_part_bytes = 64 * 1024 * 1024
        # Azure's classic examples list events/checkpoints oldest first; OpenAI lists newest first.
        self.azure_classic_list_order = "asc"
        self._tokens: dict[str, str] = {}  # Entra access token -> audience
        self.deployments: dict[str, Deployment] = {}
        self.deployment_ticks = 2  # advance() ticks a new deployment needs before it is Succeeded
        # Chat: override answers with fn(model, messages, choice_index) -> str; pause between streamed chunks.
        self.chat_responder: Callable[[str, list[dict[str, Any]], int], str] | None = None
        self.stream_delay = 0.0
        self._extra_enum_values: set[tuple[str, str]] = set()  # (field, value) the tests made the API report
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # ----- lifecycle -------------------------------------------------------------------------------
    def start(self) -> ApiServer:
        """Listen on a free loopback port (or the one given) and serve in a background thread."""
        self._httpd = _HTTPServer((self.host, self.port), self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name=f"apiserver-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake slow replies and close every open connection."""
        self._stopping.set()
        if self._httpd is None:
            return
        self._httpd.shutdown()
        with self._httpd.connections_lock:
            for connection in list(self._httpd.connections):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self) -> ApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """OpenAI style: the SDK's base_url (".../v1"). Azure style: the resource endpoint."""
        return self.root_url + "/v1" if self.style == "openai" else self.root_url

    @property
    def azure_v1_base_url(self) -> str:
        """Azure's v1 route for the plain OpenAI client: {endpoint}/openai/v1/."""
        return self.root_url + "/openai/v1/"

    def project_endpoint(self, project: str = "dpo-project") -> str:
        """A Foundry project endpoint on this server ({endpoint}/api/projects/<project>)."""
        return f"{self.root_url}/api/projects/{project}"

    # ----- credentials -----------------------------------------------------------------------------
    def entra_token(self, audience: str = RESOURCE_AUDIENCE) -> str:
        """A fresh bearer token the server accepts, as azure_ad_token_provider would return one."""
        token = "eyJ0eXAiOiJKV1QifQ." + secrets.token_urlsafe(24)
        with self.lock:
            self._tokens[token] = audience.rstrip("/").removesuffix("/.default")
        return token

    def revoke_tokens(self) -> None:
        """Expire every Entra token handed out so far (the next call with one gets 401)."""
        with self.lock:
            self._tokens.clear()

    # ----- the test's clock --------------------------------------------------------------------------
    def advance(self, job_id: str | None = None, steps: int = 1) -> None:
        """Move one job (or every job) `steps` ticks along: validate, queue, train step by step, finish."""
        with self.lock:
            jobs = [self.world.jobs[job_id]] if job_id else list(self.world.jobs.values())
            for job in jobs:
                self.world.advance(job, steps)
            if job_id is None:
                advance_deployments(self, steps)

    def deploy(self, name: str, model: str, *, ready: bool = True, sku: str = "GlobalStandard") -> None:
        """Create an Azure deployment directly (e.g. of a base model for side-by-side chat)."""
        with self.lock:
            resource_id = (
                "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-test/providers/"
                f"Microsoft.CognitiveServices/accounts/test-account/deployments/{name}"
            )
            deployment = Deployment(name, model, sku, 1, resource_id, ticks_left=self.deployment_ticks)
            if ready:
                deployment.state = "Succeeded"
            self.deployments[name] = deployment

    @property
    def arm_endpoint(self) -> str:
        """Where ARM (management.azure.com) calls go in tests; paths start with /subscriptions/."""
        return self.root_url

    def run_to_completion(self, job_id: str, max_steps: int = 100_000) -> str:
        """Advance a job until it is terminal (or paused); returns its OpenAI-style status."""
        with self.lock:
            job = self.world.jobs[job_id]
            for _ in range(max_steps):
                if job.state in TERMINAL or job.state == "paused":
                    break
                self.world.advance(job, 1)
            return job.render(self.style, "openai")["status"]  # type: ignore[no-any-return]

    def job(self, job_id: str, vocabulary: str = "openai") -> dict[str, Any]:
        """The job as the API would return it now (for assertions)."""
        with self.lock:
            return self.world.jobs[job_id].render(self.style, vocabulary)

    def fail_job(
        self,
        job_id: str,
        code: str = "server_error",
        message: str = "The job failed due to an internal error.",
    ) -> None:
        """Make a job fail now, as the service does when training breaks."""
        with self.lock:
            self.world.fail(self.world.jobs[job_id], code, message)

    def force_status(self, job_id: str, status: str | None) -> None:
        """Report `status` verbatim for this job from now on (None: back to normal); the spec check allows it.

        For testing that unknown or future status strings do not break anything.
        """
        with self.lock:
            self.world.jobs[job_id].status_override = status
            if status is not None:
                self._extra_enum_values.add(("status", status))

    def add_event(
        self,
        job_id: str,
        message: str,
        *,
        type: str = "message",
        level: str = "info",
        data: dict[str, Any] | None = None,
    ) -> str:
        """Append an event of any type/data (e.g. `moderation_checks`, extra metric keys); returns its id.

        Types outside the spec's enum (message, metrics) are allowed by the spec check for this server:
        they exist in the wild (reference §2.1) and the app must read them leniently.
        """
        with self.lock:
            event = self.world._event(self.world.jobs[job_id], message, level=level, data=data, kind=type)
            self._extra_enum_values.add(("type", type))
            return str(event["id"])

    @property
    def file_processing_polls(self) -> int:
        """Files stay uploaded/pending until retrieved this many times (0: processed at once)."""
        return self.world.file_processing_polls

    @file_processing_polls.setter
    def file_processing_polls(self, value: int) -> None:
        self.world.file_processing_polls = value

    def take_violations(self) -> list[str]:
        """Return and forget the recorded spec violations (for tests that provoke one on purpose)."""
        with self.lock:
            taken, self.violations = self.violations, []
        return taken

    def requests_to(self, method: str, api_path_regex: str) -> list[ReceivedRequest]:
        """Recorded requests with this method whose API path matches the regex."""
        return [
            r for r in list(self.received) if r.method == method and re.search(api_path_regex, r.api_path)
        ]

    # ----- request handling ------------------------------------------------------------------------
    def dispatch(
        self, method: str, target: str, headers: dict[str, str], body: bytes, base: str
    ) -> tuple[int, dict[str, str], bytes | Iterator[bytes], int | None] | None:
        """Handle one HTTP request; None means "drop the connection"."""
        split = urlsplit(target)
        query = parse_qs(split.query, keep_blank_values=True)
        lower = {k.lower(): v for k, v in headers.items()}
        route, api_path = self._route(split.path)
        content_type = lower.get("content-type", "")
        parsed_json: Any = None
        form: dict[str, str] = {}
        files: dict[str, tuple[str, bytes]] = {}
        body_problem: str | None = None
        if body:
            if content_type.startswith("application/json"):
                try:
                    parsed_json = json.loads(body)
                except ValueError as error:
                    body_problem = f"We could not parse the JSON body of your request. ({error})"
            elif content_type.startswith("multipart/form-data"):
                form, files = parse_multipart(content_type, body)
        self.received.append(
            ReceivedRequest(
                method=method,
                path=split.path,
                api_path=api_path,
                route=route,
                query=query,
                headers={k: ("<redacted>" if k in SECRET_HEADERS else v) for k, v in lower.items()},
                json=parsed_json,
                form=dict(form) if (form or files) else None,
                files={name: len(data) for name, (_, data) in files.items()} if (form or files) else None,
            )
        )

        slow = self.faults.take(method, api_path, ("slow",))
        if slow is not None:
            self._stopping.wait(slow.delay)
        fault = self.faults.take(method, api_path, ("drop", "status", "truncate"))
        if fault is not None and fault.kind == "drop":
            return None
        cut_after = None
        if fault is not None and fault.kind == "truncate":
            cut_after, fault = fault.after, None
        try:
            if fault is not None:
                status = fault.status or 429
                extra = {}
                if fault.retry_after is not None and status in (429, 503):
                    extra["retry-after"] = _seconds(fault.retry_after)
                error_body = fault.body or status_error(
                    self.style,
                    status,
                    method,
                    api_path,
                    retry_after=fault.retry_after,
                    api_version=(query.get("api-version") or ["2025-04-01-preview"])[-1],
                )
                raise ApiError(status, error_body, extra)
            if route == "unknown":
                raise ApiError(404, status_error(self.style, 404, method, split.path))
            self._authenticate(route, lower)
            if route == "arm":
                reply = handlers.handle_arm(self, method, api_path, query, parsed_json)
                return (*self._encode(reply, None, method, api_path), cut_after)
            self._check_api_version(route, query)
            found = handlers.find_route(method, api_path)
            spec_path = re.sub(r"^/deployments/[^/]+(?=/chat/completions$)", "", api_path)
            operation = self.validator.find(method, spec_path) if self.validator else None
            if found is None:
                raise ApiError(404, status_error(self.style, 404, method, api_path))
            if body_problem:
                raise ApiError(400, self._bad_request(body_problem))
            if self.validator is not None and operation is not None:
                extra_query = frozenset({"api-version"}) if route != "openai" else frozenset()
                instance = (
                    parsed_json
                    if content_type.startswith("application/json") or not body
                    else ({**form, **{name: "<binary>" for name in files}})
                )
                problems = self.validator.check_request(
                    operation, query, content_type, instance, allowed_extra_query=extra_query
                )
                if problems:
                    with self.lock:
                        self.violations.extend(f"[{route}] {p}" for p in problems)
                    raise ApiError(
                        400, self._bad_request(problems[0].split(": ", 1)[-1], param=_param(problems[0]))
                    )
            handler, params = found
            call = Call(method, api_path, route, params, query, parsed_json, form, files, lower, base)
            with self.lock:
                reply = handler(self, call)
        except ApiError as error:
            reply = Reply(error.status, error.body, error.headers)
            operation = None
        except Exception as error:  # a bug in this server: answer 500 and make the fixture fail loudly
            with self.lock:
                self.violations.append(f"[server bug] {method} {split.path}: {type(error).__name__}: {error}")
            reply = Reply(500, status_error(self.style, 500, method, api_path))
            operation = None
        return (*self._encode(reply, operation if reply.status < 400 else None, method, api_path), cut_after)

    def _encode(
        self, reply: Reply, operation: Any, method: str, api_path: str
    ) -> tuple[int, dict[str, str], bytes | Iterator[bytes]]:
        headers = {"x-request-id": "req_" + secrets.token_hex(16), **reply.headers}
        if self.style == "azure":
            headers["apim-request-id"] = headers["x-request-id"][4:]
        payload: bytes | Iterator[bytes]
        if isinstance(reply.body, (bytes, bytearray)):
            payload = bytes(reply.body)
        elif isinstance(reply.body, Iterator):
            payload = self._server_sent_events(reply.body, operation, method, api_path)
        else:
            payload = json.dumps(reply.body).encode()
            self._check_response(reply, operation, method, api_path)
        headers["Content-Type"] = reply.content_type
        return reply.status, headers, payload

    def _server_sent_events(
        self, chunks: Iterator[dict[str, Any]], operation: Any, method: str, api_path: str
    ) -> Iterator[bytes]:
        """Encode chunks as server-sent events, checking each against the spec.

        Chat completions: `data: {...}` lines ending in `data: [DONE]`. Responses API: typed events
        (`event: response.output_text.delta`) and no [DONE] marker, as OpenAI sends them.
        """
        typed = False
        for index, chunk in enumerate(chunks):
            if index and self.stream_delay:
                self._stopping.wait(self.stream_delay)
            if self.validator is not None and operation is not None:
                problems = self.validator.check_response(operation, 200, chunk, media="text/event-stream")
                if problems:
                    with self.lock:
                        self.violations.extend(f"[server {method} {api_path} stream] {p}" for p in problems)
            kind = chunk.get("type")
            typed = isinstance(kind, str) and kind.startswith("response.")
            prefix = f"event: {kind}\n".encode() if typed else b""
            yield prefix + b"data: " + json.dumps(chunk).encode() + b"\n\n"
        if not typed:
            yield b"data: [DONE]\n\n"

    def _check_response(self, reply: Reply, operation: Any, method: str, api_path: str) -> None:
        if self.validator is None:
            return
        if reply.status >= 400:
            problems = (
                self.validator.check_error(reply.status, reply.body)
                if self.style == "openai"
                else _azure_error_problems(reply.status, reply.body)
            )
        elif operation is not None:
            problems = self.validator.check_response(operation, reply.status, reply.body)
        else:
            problems = []
        problems = [p for p in problems if not self._allowed_by_test(p)]
        if problems:
            with self.lock:
                self.violations.extend(f"[server {method} {api_path}] {p}" for p in problems)

    def _allowed_by_test(self, problem: str) -> bool:
        """An enum complaint about a value the test itself injected (force_status / add_event)."""
        match = re.search(r"\.(\w+): '([^']*)' is not one of", problem)
        return match is not None and (match.group(1), match.group(2)) in self._extra_enum_values

    def _route(self, path: str) -> tuple[str, str]:
        if self.style == "openai":
            if path.startswith("/v1/"):
                return "openai", path[3:]
            return "unknown", path
        if path.startswith("/openai/v1/"):
            return "azure-v1", path[len("/openai/v1") :]
        match = re.match(r"^/api/projects/[^/]+/openai/v1(/.*)$", path)
        if match:
            return "foundry", match.group(1)
        if path.startswith("/openai/"):
            return "azure-classic", path[len("/openai") :]
        if path.startswith("/subscriptions/"):
            return "arm", path
        return "unknown", path

    def _authenticate(self, route: str, headers: dict[str, str]) -> None:
        authorization = headers.get("authorization", "")
        bearer = authorization[7:].strip() if authorization.lower().startswith("bearer ") else None
        if self.style == "openai":
            if bearer is None:
                raise ApiError(401, status_error("openai", 401, "", ""))
            if not secrets.compare_digest(bearer, self.api_key):
                raise ApiError(
                    401,
                    openai_error(
                        f"Incorrect API key provided: {mask_key(bearer)}. You can find your API key at "
                        "https://platform.openai.com/account/api-keys.",
                        code="invalid_api_key",
                    ),
                )
            return
        key = headers.get("api-key")
        expected = {"foundry": PROJECT_AUDIENCE, "arm": ARM_AUDIENCE}.get(route, RESOURCE_AUDIENCE)
        if key is not None and route not in ("foundry", "arm"):
            if secrets.compare_digest(key, self.api_key):
                return
            raise ApiError(401, status_error("azure", 401, "", ""))
        if bearer is not None:
            with self.lock:
                audience = self._tokens.get(bearer)
            if audience == expected:
                return
            if route == "azure-v1" and secrets.compare_digest(bearer, self.api_key):
                return  # the v1 route also takes the resource key as a bearer token (MS docs, key-based v1)
        raise ApiError(
            401,
            {
                "error": {
                    "code": "401",
                    "message": "Unauthorized. Access token is missing, invalid, audience is incorrect "
                    f"({expected}), or have expired.",
                }
            },
        )

    def _check_api_version(self, route: str, query: dict[str, list[str]]) -> None:
        version = query["api-version"][-1] if query.get("api-version") else None
        if route == "azure-classic":
            if version is None:
                raise ApiError(404, status_error("azure", 404, "", ""))
            if version not in AZURE_API_VERSIONS:
                raise ApiError(400, {"error": {"code": "BadRequest", "message": "API version not supported"}})
        elif (
            route in ("azure-v1", "foundry") and version is not None and version not in AZURE_V1_API_VERSIONS
        ):
            raise ApiError(400, {"error": {"code": "BadRequest", "message": "API version not supported"}})

    def _bad_request(
        self, message: str, *, param: str | None = None, code: str | None = None
    ) -> dict[str, Any]:
        if self.style == "azure":
            body: dict[str, Any] = {"code": code or "invalidPayload", "message": message}
            if param:
                body["param"] = param
            return {"error": body}
        return openai_error(message, param=param, code=code)


def _param(problem: str) -> str | None:
    match = re.search(r" body\.([\w.]+):", problem)
    return match.group(1) if match else None


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _azure_error_problems(status: int, body: Any) -> list[str]:
    error = body.get("error") if isinstance(body, dict) else None
    if (
        not isinstance(error, dict)
        or not isinstance(error.get("code"), str)
        or not isinstance(error.get("message"), str)
    ):
        return [f"error response {status}: Azure errors carry {{'error': {{'code': str, 'message': str}}}}"]
    return []


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """Split a multipart/form-data body into text fields and (filename, bytes) files, byte-exact."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    form: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    if not match:
        return form, files
    delimiter = b"--" + match.group(1).encode()
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk
        head, _, content = chunk.partition(b"\r\n\r\n")
        content = content[:-2] if content.endswith(b"\r\n") else content
        disposition = ""
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if line.lower().startswith("content-disposition:"):
                disposition = line
        name = re.search(r'\bname="([^"]*)"', disposition)
        filename = re.search(r'\bfilename="([^"]*)"', disposition)
        if not name:
            continue
        if filename:
            files[name.group(1)] = (filename.group(1), content)
        else:
            form[name.group(1)] = content.decode("utf-8", "replace")
    return form, files
