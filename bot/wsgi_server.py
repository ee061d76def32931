"""An HTTP/1.1 server for a WSGI application that no slow client can tie up.

One asyncio event loop (in a thread of its own) accepts connections and reads requests with h11; only a
request that has arrived in full, within its limits and deadlines, is handed to the application, in a
bounded pool of worker threads. A client that trickles its headers or its body costs a socket and a timer,
never a worker: it is answered 408 when its deadline passes.

What a client gets for breaking a rule (each answer closes the connection):

- request line and headers over ``Limits.max_header_bytes`` (16 KiB): 431;
- a ``Content-Length`` over ``Limits.max_body_bytes``: 413 before any of the body is read; a chunked body
  is counted as it arrives and cut with 413 at the same limit;
- headers not complete ``header_timeout`` seconds after the request's first byte, or a body not complete
  ``body_timeout`` seconds after its headers: 408;
- a request HTTP/1.1 cannot parse: 400 (501 for a transfer coding other than chunked);
- a new connection while ``max_connections`` are open: the oldest connection that has no request in the
  application (an idle keep-alive one, or one still sending its request) is closed to make room; when every
  open connection has a request in the application, the new one gets 503 with ``Retry-After: 1``.

Keep-alive connections are closed after ``keepalive_timeout`` seconds of silence. ``stop()`` stops
accepting, closes every connection that has no request in the application, and waits up to
``shutdown_timeout`` seconds for the requests in the application to be answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

import h11

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

READ_CHUNK = 64 * 1024
# Bytes of an unwanted body read (and dropped) after a refusal, so the client sees the answer instead of a
# reset connection; a client that keeps sending past this, or for longer than LINGER_SECONDS, is cut off.
LINGER_BYTES = 16 * 1024 * 1024
LINGER_SECONDS = 2.0
# Connections the kernel holds until they are accepted. Slack opens many at once under load, and so does an
# attacker's reconnecting flood: past a short backlog a connection's SYN is dropped and it waits a second.
BACKLOG = 1024
# File descriptors kept for everything that is not a client connection (database, logs, Slack calls).
FD_RESERVE = 256


@dataclass(frozen=True)
class Limits:
    """What one request and the whole server may take (see the module docstring for the answers)."""

    max_header_bytes: int = 16 * 1024
    max_body_bytes: int = 1024 * 1024
    header_timeout: float = 10.0
    body_timeout: float = 10.0
    keepalive_timeout: float = 30.0
    write_timeout: float = 10.0
    max_connections: int = 1024


class _Refused(Exception):
    """A request the server answers itself, with `status`, and then closes the connection."""

    def __init__(self, status: int, reason: str, why: str):
        super().__init__(why)
        self.status = status
        self.reason = reason
        self.why = why


class _Tally:
    """Refusals logged without flooding the log during an attack: the first of each kind at once, then one
    line per kind every `every` seconds with how many there were."""

    def __init__(self, every: float = 10.0):
        self.every = every
        self._counts: dict[str, int] = {}
        self._last: dict[str, float] = {}

    def count(self, kind: str) -> None:
        now = time.monotonic()
        self._counts[kind] = self._counts.get(kind, 0) + 1
        last = self._last.get(kind)
        if last is None or now - last >= self.every:
            n = self._counts.pop(kind)
            self._last[kind] = now
            log.info("http: %s%s", kind, "" if n == 1 else f" ({n} times in the last {self.every:.0f} s)")


class _Connection:
    """One client connection: its task, and whether a request of it is in the application."""

    __slots__ = ("in_app", "task", "transport")

    def __init__(self, transport: asyncio.WriteTransport, task: asyncio.Task[None]):
        self.transport = transport
        self.task = task
        self.in_app = False


class HttpServer:
    """Serves `application` on (host, port); `port=0` picks a free one (see `.port` after start).

    `threads` workers run the application; `shutdown_timeout` is how long `stop()` waits for requests in
    the application; `limits` bounds what clients may send (defaults: `Limits()`)."""

    def __init__(
        self,
        application: WsgiApp,
        host: str,
        port: int,
        *,
        threads: int = 32,
        shutdown_timeout: float = 10,
        limits: Limits | None = None,
    ):
        self.application = application
        self.host = host
        self.shutdown_timeout = float(shutdown_timeout)
        self.limits = limits or Limits()
        self.threads = threads
        self._requested_port = port
        self._socket: socket.socket | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        # Loop-thread state.
        self._connections: dict[_Connection, None] = {}  # insertion order: oldest first
        self._stopping = False
        self._stopped: asyncio.Event | None = None
        self._server: asyncio.Server | None = None
        self._max_connections = self.limits.max_connections
        self._tally = _Tally()

    @property
    def port(self) -> int:
        if self._socket is None:
            return self._requested_port
        return int(self._socket.getsockname()[1])

    # ---- lifecycle (called from any thread) ---------------------------------------------------------

    def start(self) -> None:
        """Bind now (so the port is known and errors surface here), then serve in a thread of its own."""
        self._max_connections = _fit_to_file_limit(self.limits.max_connections)
        self._socket = socket.create_server((self.host, self._requested_port), backlog=BACKLOG)
        self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="http-worker")
        self._thread = threading.Thread(target=self._run, name="http", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._start_error is not None:
            raise self._start_error
        log.info("HTTP server listening on %s:%s", self.host, self.port)

    def stop(self) -> None:
        """Stop accepting connections, close the idle ones and wait (up to shutdown_timeout) for the
        requests in the application to be answered."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop has already ended
                future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
                with contextlib.suppress(Exception):
                    future.result(timeout=self.shutdown_timeout + 5)
            thread.join(timeout=5)
        if self._pool is not None:
            # Requests still in the application past the timeout are left to finish on their own.
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._loop = None

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # surfaces in start() when it happens while starting
            self._start_error = exc
            if self._ready.is_set():
                log.exception("HTTP server stopped on an error")
            self._ready.set()
        finally:
            loop.close()

    async def _serve(self) -> None:
        assert self._socket is not None
        self._stopped = asyncio.Event()
        # asyncio listens again on the socket it is given, with its own backlog (100) unless told.
        server = await asyncio.start_server(
            self._accept, sock=self._socket, limit=READ_CHUNK, backlog=BACKLOG
        )
        self._server = server
        self._ready.set()
        await self._stopped.wait()

    async def _shutdown(self) -> None:
        self._stopping = True
        if self._server is not None:
            self._server.close()  # no new connections
        in_app = []
        for conn in list(self._connections):
            if conn.in_app:
                in_app.append(conn.task)
            else:
                conn.task.cancel()
        if in_app:
            _done, pending = await asyncio.wait(in_app, timeout=self.shutdown_timeout)
            if pending:
                log.warning(
                    "http: %d request(s) still running after %.0f s", len(pending), self.shutdown_timeout
                )
        for conn in list(self._connections):
            conn.task.cancel()
        tasks = [c.task for c in self._connections]
        if tasks:
            await asyncio.wait(tasks, timeout=1)
        assert self._stopped is not None
        self._stopped.set()

    # ---- connections (loop thread) ------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._stopping:
            writer.transport.abort()
            return
        if len(self._connections) >= self._max_connections and not self._make_room():
            self._tally.count(f"503 for a new connection: {self._max_connections} connections are open")
            writer.write(_raw_refusal(503, "Service Unavailable", b"too many connections\n", retry_after=1))
            writer.transport.close()
            return
        task = asyncio.current_task()
        assert task is not None
        conn = _Connection(writer.transport, task)
        self._connections[conn] = None
        try:
            await self._converse(conn, reader, writer)
        except (asyncio.CancelledError, ConnectionError, TimeoutError):
            pass
        except Exception:
            log.exception("http: connection failed")
        finally:
            self._connections.pop(conn, None)
            writer.transport.close()  # sends what is still buffered, then closes

    def _make_room(self) -> bool:
        """Close the oldest connection without a request in the application; False when there is none."""
        oldest = next((c for c in self._connections if not c.in_app), None)
        if oldest is None:
            return False
        self._connections.pop(oldest, None)
        oldest.transport.abort()
        oldest.task.cancel()
        self._tally.count(f"closed the oldest waiting connection: {self._max_connections} are open")
        return True

    async def _converse(
        self, conn: _Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Requests and answers on one connection until either side closes it."""
        limits = self.limits
        loop = asyncio.get_running_loop()
        h = h11.Connection(h11.SERVER, max_incomplete_event_size=limits.max_header_bytes)
        peer = writer.get_extra_info("peername") or ("", 0)
        first = True
        while True:
            # A new connection has header_timeout for its whole first request line and headers; a kept-alive
            # one may stay silent for keepalive_timeout, then has header_timeout from its next first byte.
            waiting_since = loop.time()
            idle = limits.header_timeout if first else limits.keepalive_timeout
            try:
                fed = [len(h.trailing_data[0])]  # bytes of this request (and maybe more) given to h11
                if not fed[0]:
                    fed[0] = await _wait_for_data(h, reader, idle)
                    if not fed[0]:
                        return  # closed or silent: nothing to answer
                deadline = (waiting_since if first else loop.time()) + limits.header_timeout
                first = False
                request = await self._read_request(h, reader, writer, deadline, fed)
                if request is None:
                    return
                body = await self._read_body(h, reader, request, loop.time() + limits.body_timeout)
            except _Refused as refused:
                self._tally.count(f"{refused.status} {refused.why}")
                await self._refuse(h, reader, writer, refused)
                return
            environ = _environ(request, body, self.host, self.port, peer)
            conn.in_app = True
            try:
                assert self._pool is not None
                status, headers, payload = await loop.run_in_executor(self._pool, self._call, environ)
                await self._answer(h, writer, request, status, headers, payload)
            finally:
                conn.in_app = False
            if self._stopping or h.our_state is not h11.DONE or h.their_state is not h11.DONE:
                return
            h.start_next_cycle()
            # Back to waiting: to the end of the line, so that "oldest" means waiting longest.
            if conn in self._connections:
                del self._connections[conn]
                self._connections[conn] = None

    async def _read_request(
        self,
        h: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        deadline: float,
        fed: list[int],
    ) -> h11.Request | None:
        event = await _next_event(h, reader, deadline, "headers", fed)
        if isinstance(event, h11.ConnectionClosed):
            return None
        if not isinstance(event, h11.Request):
            raise _Refused(400, "Bad Request", "malformed request")
        # h11 bounds headers still arriving; headers that arrived whole in one read are measured here: what
        # was given to h11 less what it has not used yet.
        if fed[0] - len(h.trailing_data[0]) > self.limits.max_header_bytes:
            raise _Refused(431, "Request Header Fields Too Large", "headers over the limit")
        length = _header(event, b"content-length")
        if length is not None and int(length) > self.limits.max_body_bytes:
            raise _Refused(413, "Content Too Large", f"Content-Length {int(length)} over the limit")
        if h.they_are_waiting_for_100_continue:
            writer.write(h.send(h11.InformationalResponse(status_code=100, headers=[])))
        return event

    async def _read_body(
        self, h: h11.Connection, reader: asyncio.StreamReader, request: h11.Request, deadline: float
    ) -> bytes:
        body = bytearray()
        while True:
            event = await _next_event(h, reader, deadline, "body")
            if isinstance(event, h11.Data):
                body += event.data
                if len(body) > self.limits.max_body_bytes:
                    raise _Refused(413, "Content Too Large", "chunked body over the limit")
            elif isinstance(event, h11.EndOfMessage):
                return bytes(body)
            else:  # the client closed half-way
                raise ConnectionResetError("closed while sending its body")

    def _call(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        """Run the application (in a worker thread) and collect its whole answer."""
        started: list[Any] = []
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if exc_info is not None and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [status, headers]
            return chunks.append

        try:
            result = self.application(environ, start_response)
            try:
                chunks.extend(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            if not started:
                raise RuntimeError("the application returned without calling start_response")
        except Exception:
            log.exception("http: the application failed on %s", environ.get("PATH_INFO"))
            body = b"internal error\n"
            return "500 Internal Server Error", [("Content-Type", "text/plain; charset=utf-8")], body
        return started[0], started[1], b"".join(chunks)

    async def _answer(
        self,
        h: h11.Connection,
        writer: asyncio.StreamWriter,
        request: h11.Request,
        status: str,
        headers: list[tuple[str, str]],
        payload: bytes,
    ) -> None:
        code_text, _, reason = status.partition(" ")
        code = int(code_text)
        out = [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in headers
            if name.lower() not in ("connection", "transfer-encoding", "keep-alive")
        ]
        framed = code >= 200 and code not in (204, 304)
        has_body = framed and request.method != b"HEAD"
        if framed and not any(name.lower() == b"content-length" for name, _ in out):
            out.append((b"Content-Length", str(len(payload)).encode()))
        if self._stopping:
            out.append((b"Connection", b"close"))
        data = h.send(h11.Response(status_code=code, headers=out, reason=reason.encode("latin-1")))
        if has_body and payload:
            data += h.send(h11.Data(data=payload))
        data += h.send(h11.EndOfMessage())
        writer.write(data)
        async with asyncio.timeout(self.limits.write_timeout):
            await writer.drain()

    async def _refuse(
        self, h: h11.Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, refused: _Refused
    ) -> None:
        """Answer `refused` and close, reading (and dropping) for a moment what the client still sends so
        that it sees the answer rather than a reset connection."""
        body = f"{refused.status} {refused.reason}: {refused.why}\n".encode()
        if h.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            try:
                data = h.send(
                    h11.Response(
                        status_code=refused.status,
                        reason=refused.reason.encode(),
                        headers=[
                            (b"Content-Type", b"text/plain; charset=utf-8"),
                            (b"Content-Length", str(len(body)).encode()),
                            (b"Connection", b"close"),
                        ],
                    )
                )
                data += h.send(h11.Data(data=body)) + h.send(h11.EndOfMessage())
            except h11.LocalProtocolError:
                data = _raw_refusal(refused.status, refused.reason, body)
        else:
            data = b""
        writer.write(data)
        with contextlib.suppress(OSError, TimeoutError, asyncio.IncompleteReadError):
            async with asyncio.timeout(LINGER_SECONDS):
                await writer.drain()
                if writer.can_write_eof():
                    writer.write_eof()
                dropped = 0
                while dropped < LINGER_BYTES:
                    chunk = await reader.read(READ_CHUNK)
                    if not chunk:
                        break
                    dropped += len(chunk)


async def _wait_for_data(h: h11.Connection, reader: asyncio.StreamReader, timeout: float) -> int:
    """Wait up to `timeout` for a request's first bytes and give them to `h`: how many there were, 0 when
    the client closed the connection or sent nothing."""
    try:
        async with asyncio.timeout(timeout):
            data = await reader.read(READ_CHUNK)
    except TimeoutError:
        return 0
    h.receive_data(data)
    return len(data)


async def _next_event(
    h: h11.Connection, reader: asyncio.StreamReader, deadline: float, part: str, fed: list[int] | None = None
) -> Any:
    """The next h11 event, reading as needed until `deadline` (loop time): 408 after it, 400/431 for what
    h11 cannot parse. Adds the bytes read to `fed[0]`."""
    loop = asyncio.get_running_loop()
    while True:
        try:
            event = h.next_event()
        except h11.RemoteProtocolError as exc:
            status = exc.error_status_hint
            if status == 431:
                raise _Refused(431, "Request Header Fields Too Large", "headers over the limit") from None
            if status == 501:
                raise _Refused(501, "Not Implemented", "unsupported transfer coding") from None
            raise _Refused(400, "Bad Request", "malformed request") from None
        if event is not h11.NEED_DATA:
            return event
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise _Refused(408, "Request Timeout", f"{part} not complete in time")
        try:
            async with asyncio.timeout(remaining):
                data = await reader.read(READ_CHUNK)
        except TimeoutError:
            raise _Refused(408, "Request Timeout", f"{part} not complete in time") from None
        h.receive_data(data)
        if fed is not None:
            fed[0] += len(data)


def _header(request: h11.Request, name: bytes) -> bytes | None:
    return next((value for key, value in request.headers if key == name), None)


def _environ(
    request: h11.Request, body: bytes, host: str, port: int, peer: tuple[Any, ...]
) -> dict[str, Any]:
    """The PEP 3333 environ of a request read in full."""
    target = request.target
    if target.startswith((b"http://", b"https://")):  # absolute form: keep the path and query
        after_scheme = target.split(b"://", 1)[1]
        target = b"/" + after_scheme.split(b"/", 1)[1] if b"/" in after_scheme else b"/"
    path, _, query = target.partition(b"?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method.decode("ascii"),
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
        "QUERY_STRING": query.decode("latin-1"),
        "SERVER_NAME": host,
        "SERVER_PORT": str(port),
        "SERVER_PROTOCOL": "HTTP/" + request.http_version.decode("ascii"),
        "REMOTE_ADDR": str(peer[0]) if peer else "",
        "REMOTE_PORT": str(peer[1]) if len(peer) > 1 else "",
        # The whole body has been read: its length is known whatever framing the client used.
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in request.headers:
        name = raw_name.decode("latin-1")
        if "_" in name:
            # X_Slack_Signature would land in the same environ key as X-Slack-Signature: never trust it.
            continue
        value = raw_value.decode("latin-1")
        if name in ("content-length", "transfer-encoding"):
            continue
        key = "CONTENT_TYPE" if name == "content-type" else "HTTP_" + name.upper().replace("-", "_")
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def _raw_refusal(status: int, reason: str, body: bytes, *, retry_after: int | None = None) -> bytes:
    extra = f"Retry-After: {retry_after}\r\n" if retry_after is not None else ""
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n{extra}Connection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


def _fit_to_file_limit(wanted: int) -> int:
    """`wanted` connections, raising the soft file limit when that is needed and allowed; fewer (with a
    warning) when the hard limit is too low for them."""
    try:
        import resource
    except ImportError:  # not on POSIX
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = wanted + FD_RESERVE
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
    if soft != resource.RLIM_INFINITY and soft < needed:
        fitted = max(16, soft - FD_RESERVE)
        log.warning("http: the file limit (%d) allows %d connections, not %d", soft, fitted, wanted)
        return fitted
    return wanted
