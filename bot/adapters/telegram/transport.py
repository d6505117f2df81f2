"""Talking HTTP to the Bot API: JSON bodies instead of python-telegram-bot's forms (see JsonRequest)."""

from __future__ import annotations

from typing import Any

import httpx
from telegram.error import (
    NetworkError,
    TimedOut,
)
from telegram.request import HTTPXRequest, RequestData


class JsonRequest(HTTPXRequest):
    """python-telegram-bot's HTTPXRequest, sending parameters as one JSON body instead of a form.

    PTB form-encodes every request, and percent-encoding a 1-2 KB HTML card byte by byte in Python
    (urllib's quote) cost more than building the reply. The Bot API takes `application/json` for every
    method and reads a JSON body's string values exactly as form fields (tdlib's HttpReader::
    parse_json_parameters), so PTB's `json_payload` (objects as JSON strings, as in its forms) means the
    same thing. Uploads (which need multipart) still go through PTB's own path. Timeouts and errors map to
    the same `telegram.error` exceptions, with the httpx error as the cause (see `failure_kind`).
    """

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        write_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        connect_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        pool_timeout: Any = HTTPXRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if request_data is None or request_data.contains_files or self._client.is_closed:
            return await super().do_request(
                url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
            )
        default = self._client.timeout  # what the caller left unset (PTB's DefaultValue) comes from the client
        unset = type(HTTPXRequest.DEFAULT_NONE)
        timeout = httpx.Timeout(
            connect=default.connect if isinstance(connect_timeout, unset) else connect_timeout,
            read=default.read if isinstance(read_timeout, unset) else read_timeout,
            write=default.write if isinstance(write_timeout, unset) else write_timeout,
            pool=default.pool if isinstance(pool_timeout, unset) else pool_timeout,
        )
        try:
            response = await self._client.request(
                method=method,
                url=url,
                headers={"User-Agent": self.USER_AGENT, "Content-Type": "application/json"},
                timeout=timeout,
                content=request_data.json_payload,
            )
        except httpx.TimeoutException as exc:
            raise TimedOut("Pool timeout" if isinstance(exc, httpx.PoolTimeout) else None) from exc
        except httpx.HTTPError as exc:
            raise NetworkError(f"httpx.{type(exc).__name__}: {exc}") from exc
        return response.status_code, response.content
