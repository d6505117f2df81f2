"""HTTP plumbing: a stdlib threaded server on 127.0.0.1 that hands requests to the double.

Kept apart from the Bot API logic so that the emulation can be read without socket details.
Each connection gets a thread (long polls and slow faults block only their own request), and
``stop()`` shuts every open socket down so keep-alive connections from httpx never make a test
hang or leak a ResourceWarning.
"""

from __future__ import annotations

import contextlib
import json
import logging
import select
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_LOG = logging.getLogger(__name__)
_MAX_BODY = 64 * 1024 * 1024


@dataclass(frozen=True)
class HttpRequest:
    verb: str
    path: str  # without the query string
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes


Reply = tuple[int, dict[str, Any]]
# The app returns None to drop the connection without an answer.
App = Callable[[HttpRequest, Callable[[], bool]], Reply | None]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, like api.telegram.org
    server_version = "nginx/1.18.0"
    sys_version = ""
    timeout = 60  # an idle keep-alive connection must not pin a thread forever

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without NODELAY, Nagle + delayed ACK add ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def log_message(self, format: str, *args: Any) -> None:
        _LOG.debug("%s - " + format, self.address_string(), *args)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = bytearray()
            while True:
                line = self.rfile.readline()
                if not line:
                    raise ConnectionResetError("body cut short")
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(chunks)
                chunk = self.rfile.read(size)
                if len(chunk) < size:
                    raise ConnectionResetError("body cut short")
                chunks += chunk
                self.rfile.readline()
                if len(chunks) > _MAX_BODY:
                    raise ValueError("body too large")
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            raise ValueError("body too large")
        body = self.rfile.read(length) if length else b""
        if len(body) < length:  # the client died mid-request (a killed replica): Telegram never sees it
            raise ConnectionResetError("body cut short")
        return body

    def _client_gone(self) -> bool:
        """True if the client closed its side (e.g. after its read timeout)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            peeked: bytes = self.connection.recv(1, socket.MSG_PEEK)
            return peeked == b""
        except OSError:
            return True

    def _dispatch(self, verb: str) -> None:
        path, _, query = self.path.partition("?")
        try:
            body = self._read_body()
        except ValueError:
            self._send(413, {"ok": False, "error_code": 413, "description": "Request Entity Too Large"})
            return
        except ConnectionResetError:
            self.close_connection = True
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = self.server.app(HttpRequest(verb, path, query, headers, body), self._client_gone)
        if reply is None:
            self.close_connection = True  # no status line at all: the client sees a dead peer
            return
        self._send(*reply)

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() joins the threads itself, with a bound

    def __init__(self, app: App) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.app = app
        self._lock = threading.Lock()
        self._open: dict[socket.socket, threading.Thread] = {}

    def track(self, conn: socket.socket) -> None:
        with self._lock:
            self._open[conn] = threading.current_thread()

    def untrack(self, conn: socket.socket) -> None:
        with self._lock:
            self._open.pop(conn, None)

    def open_connections(self) -> dict[socket.socket, threading.Thread]:
        with self._lock:
            return dict(self._open)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-answer is normal here (timeouts, faults); never print tracebacks.
        _LOG.debug("connection from %s ended with an error", client_address, exc_info=True)


class HttpServer:
    """Runs ``app`` on 127.0.0.1 with an ephemeral port, in background threads."""

    def __init__(self, app: App) -> None:
        self._server = _Server(app)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},  # bounds how long stop() waits for the loop
            name="botapi-double",
            daemon=True,
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self, join_timeout: float = 5.0) -> None:
        """Stop accepting, cut open connections, and wait (bounded) for handler threads."""
        if self._thread.is_alive():
            self._server.shutdown()
        connections = self._server.open_connections()
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._server.server_close()
        self._thread.join(join_timeout)
        for thread in connections.values():
            thread.join(join_timeout)
