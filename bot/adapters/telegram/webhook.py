"""Webhook mode: Telegram POSTs each update to us; we answer 200 only after it was handled.

python-telegram-bot's own webhook server read the whole body (up to 100 MB) before refusing a request
without the secret, answered 200 before handling (so a crash lost the update: Telegram does not send it
again), answered a replayed update a second time, logged an undecodable update with its content, and
refused `Content-Type: application/json; charset=utf-8`. This one (tornado, which python-telegram-bot
already brings for webhooks):

* checks the secret header from the request line and headers alone, and refuses with 403 before reading
  any body; a body over `MAX_BODY` is refused with 413 (Telegram's updates are a few KB);
* takes any JSON content type (parameters such as charset allowed);
* hands the update to the application's update processor (one chat in order, chats side by side) and
  answers 200 when it is done, so an update in hand when the process dies is sent again by Telegram;
* remembers the ids it handled (bounded), so a replay is acknowledged without a second reply; a replay
  that arrives while the first is still being handled waits for it;
* logs an update it cannot read by its size only, never its content;
* answers `GET /healthz` for a load balancer's checks: 200 "ok" while it serves, 503 while it stops.

In cluster mode (several replicas, `claims` given) an update id is also claimed across replicas before it is
handled (shared/cluster.Claims): a done one is acknowledged, one another live replica holds is refused with
503 so Telegram sends it again later, and a stopping replica refuses new updates with 503 while it finishes
what it holds, so the load balancer and Telegram take them elsewhere.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections import OrderedDict
from typing import Any

import tornado.httpserver
import tornado.web
from telegram import Update
from telegram.ext import Application
from tornado.http1connection import HTTP1Connection

from bot.adapters.shared.cluster import ChatBusy, Claim, Claims

log = logging.getLogger(__name__)

MAX_BODY = 1_000_000
REMEMBERED_IDS = 10_000
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

App = Application[Any, Any, Any, Any, Any, Any]


class Handled:
    """The update ids seen lately: done ones to acknowledge, in-hand ones to wait for."""

    def __init__(self, size: int = REMEMBERED_IDS) -> None:
        self.size = size
        self._seen: OrderedDict[int, asyncio.Future[None]] = OrderedDict()
        self.in_hand: set[asyncio.Future[None]] = set()

    def claim(self, update_id: int) -> asyncio.Future[None] | None:
        """None when this id is new (the caller handles it); else the first handling's future."""
        earlier = self._seen.get(update_id)
        if earlier is not None:
            return earlier
        self._seen[update_id] = asyncio.get_running_loop().create_future()
        self.in_hand.add(self._seen[update_id])
        while len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return None

    def done(self, update_id: int, *, failed: bool = False) -> None:
        """Handled (or failed: then forgotten, so Telegram's retry of it is handled afresh)."""
        future = self._seen.pop(update_id, None) if failed else self._seen.get(update_id)
        if future is not None:
            self.in_hand.discard(future)
            if not future.done():
                future.set_result(None)


@tornado.web.stream_request_body
class UpdateHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)

    def initialize(self, app: App, secret: str, handled: Handled, max_body: int, server: WebhookServer) -> None:
        self.app, self.secret, self.handled, self.max_body = app, secret, handled, max_body
        self.server = server
        self.chunks: list[bytes] = []
        self.size = 0

    def prepare(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            self._refuse(403)
            return
        media = self.request.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if media != "application/json":
            self._refuse(415)
            return
        length = self.request.headers.get("Content-Length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            self._refuse(413)
            return
        connection = self.request.connection
        if isinstance(connection, HTTP1Connection):
            connection.set_max_body_size(self.max_body)

    def _refuse(self, status: int) -> None:
        self.set_status(status)
        self.finish()  # before the body: tornado closes the connection rather than read it

    def data_received(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_body:  # chunked, so no Content-Length to check beforehand
            self._refuse(413)
            return
        self.chunks.append(chunk)

    async def post(self) -> None:
        if self._finished:
            return
        try:
            data = json.loads(b"".join(self.chunks))
            update = Update.de_json(data, self.app.bot)
            if not isinstance(data, dict) or not isinstance(update.update_id, int):
                raise ValueError("not an update")
        except Exception as exc:
            log.warning(
                "webhook: an update that cannot be read (%d bytes, %s); acknowledged", self.size, type(exc).__name__
            )
            self.set_status(200)
            return
        claims = self.server.claims
        if claims is not None and self.server.stopping:
            self.set_status(503)  # another replica takes it (the balancer's retry, or Telegram's)
            return
        earlier = self.handled.claim(update.update_id)
        if earlier is not None:
            await asyncio.shield(earlier)  # a replay: the first handling answers it
            self.set_status(200)
            return
        if claims is None:
            try:
                await self.app.update_processor.process_update(update, self.app.process_update(update))
            except BaseException:
                self.handled.done(update.update_id, failed=True)
                raise
            self.handled.done(update.update_id)
            self.set_status(200)
            return
        await self._across_replicas(claims, update)

    async def _across_replicas(self, claims: Claims, update: Update) -> None:
        uid = update.update_id
        claim = await claims.claim(uid)
        if claim.outcome == "done":  # another replica answered it: acknowledge, no second reply
            self.handled.done(uid)
            self.set_status(200)
            return
        if claim.outcome == "busy":  # another live replica has it in hand: Telegram tries again later
            self.handled.done(uid, failed=True)
            self.set_status(503)
            return
        try:
            async with claims.held(uid, claim):
                await self.app.update_processor.process_update(update, self.app.process_update(update))
        except ChatBusy:
            await self._give_back(claims, uid, claim)
            log.warning("webhook: a conversation stayed busy on another replica; update refused for a later try")
            self.set_status(503)
            return
        except BaseException:
            await self._give_back(claims, uid, claim)
            raise
        if claim.outcome == "mine":
            await claims.done(uid)
        self.handled.done(uid)
        self.set_status(200)

    async def _give_back(self, claims: Claims, uid: int, claim: Claim) -> None:
        self.handled.done(uid, failed=True)
        await asyncio.shield(claims.release(uid, claim))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        log.error("webhook: error while handling an update (%s)", typ.__name__ if typ else "?")


class HealthHandler(tornado.web.RequestHandler):
    """GET /healthz: 200 "ok" while this process serves, 503 while it stops (for a load balancer's checks)."""

    SUPPORTED_METHODS = ("GET", "HEAD")

    def initialize(self, server: WebhookServer) -> None:
        self.server = server

    def get(self) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        if self.server.stopping:
            self.set_status(503)
            self.finish("stopping\n")
        else:
            self.finish("ok\n")

    def head(self) -> None:
        self.set_status(503 if self.server.stopping else 200)


class WebhookServer:
    """Listens on listen:port at /path; `stop` lets the updates in hand finish (they are not yet acknowledged)."""

    def __init__(
        self,
        app: App,
        *,
        listen: str,
        port: int,
        path: str,
        secret: str,
        max_body: int = MAX_BODY,
        claims: Claims | None = None,
    ) -> None:
        self.app, self.listen, self.port = app, listen, port
        self.handled = Handled()
        self.claims = claims
        self.stopping = False
        hook = rf"/{path.strip('/')}/?" if path.strip("/") else r"/"
        web = tornado.web.Application(
            [
                (r"/healthz", HealthHandler, {"server": self}),
                (
                    hook,
                    UpdateHandler,
                    {"app": app, "secret": secret, "handled": self.handled, "max_body": max_body, "server": self},
                ),
            ],
            log_function=lambda handler: None,  # tornado's access log would print paths and client addresses
        )
        self._server = tornado.httpserver.HTTPServer(web, max_body_size=max_body, xheaders=False)

    async def start(self) -> None:
        self._server.listen(self.port, address=self.listen)

    async def stop(self, grace: float = 10.0) -> None:
        self.stopping = True  # /healthz says 503; in cluster mode new updates are refused with 503 meanwhile
        if self.claims is None:
            self._server.stop()  # no new connections
        pending = list(self.handled.in_hand)
        if pending:
            # a second of `grace` kept for closing connections and handing claims back
            _, late = await asyncio.wait(pending, timeout=max(0.0, grace - 1.0))
            if late:
                log.warning("%d update(s) still in hand at stop: Telegram will send them again", len(late))
        if self.claims is not None:
            self._server.stop()
        await self._server.close_all_connections()
