"""PTB's HTTP transport on aiohttp, built on PTB's public `BaseRequest` API only.

Measured with bench/dispatcher.py: PTB's own `HTTPXRequest` sent 830-1,040 messages a second
where this transport sent 1,750-2,220 (same machine and hour; bench/README.md): httpx needs
twice the CPU per message.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# The Bot API takes a JSON body; building one is cheaper than url-encoding every field.
_JSON = {"Content-Type": "application/json"}


def _seconds(value: object, default: float | None) -> float | None:
    """A per-call timeout: PTB passes DEFAULT_NONE for 'use your default', None for 'no limit'."""
    if value is BaseRequest.DEFAULT_NONE:
        return default
    assert value is None or isinstance(value, int | float), value
    return value


def _plus(first: float | None, second: float | None) -> float | None:
    """Two limits run one after the other; no limit on either is no limit on both."""
    return None if first is None or second is None else first + second


class AiohttpRequest(BaseRequest):
    """Sends Bot API requests through one aiohttp session with a bounded connection pool.

    Parameters go as a JSON body; uploads go as multipart. Every PTB timeout is honoured:
    `pool_timeout` bounds the wait for a free connection and `connect_timeout` the TCP (and
    TLS) connect. aiohttp has no timer for sending alone, so sending and the answer share one:
    the request is sent and answered within `write_timeout + read_timeout` (with
    `media_write_timeout`, as PTB's own transport has, for uploads), each later wait for data
    within the same, and an upload as a whole within connect + write + read. Proxies come from
    the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`). Timeouts become PTB's TimedOut
    and connection faults its NetworkError, so callers see the usual errors.
    """

    __slots__ = (
        "_connect_timeout",
        "_free_connections",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_proxies",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 64,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._free_connections = asyncio.Semaphore(connection_pool_size)
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str | None] = {}  # by scheme://host:port

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )
            self._proxies.clear()

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        data: aiohttp.FormData | bytes | None = None
        headers = None
        upload = request_data is not None and bool(request_data.multipart_data)
        if request_data is not None and upload:
            form = aiohttp.FormData()
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, (filename, content, mime) in request_data.multipart_data.items():
                form.add_field(name, content, filename=filename, content_type=mime)
            data = form
        elif request_data is not None:
            data = request_data.json_payload
            headers = _JSON
        connect = _seconds(connect_timeout, self._connect_timeout)
        # aiohttp's read timer runs from the moment the request goes out, through the upload.
        first_byte = _plus(
            _seconds(write_timeout, self._media_write_timeout if upload else self._write_timeout),
            _seconds(read_timeout, self._read_timeout),
        )
        timeout = aiohttp.ClientTimeout(
            # A JSON body fits in the socket's buffer; only an upload can stall while it is
            # sent, and only the overall limit catches that (it costs a timer per request).
            total=_plus(connect, first_byte) if upload else None,
            sock_connect=connect,
            sock_read=first_byte,
        )
        await self._take_connection(_seconds(pool_timeout, self._pool_timeout))
        try:
            async with self._session.request(
                method, url, data=data, headers=headers, timeout=timeout, proxy=self._proxy(url)
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            # The exception's text may hold the URL, and so the token: name the kind only.
            raise NetworkError(f"aiohttp: {type(error).__name__}") from None
        finally:
            self._free_connections.release()

    def _proxy(self, url: str) -> str | None:
        """The proxy the environment names for this URL (HTTPS_PROXY, HTTP_PROXY, NO_PROXY).

        Looked up once per server: aiohttp's own `trust_env` reads the environment on every
        request, which cost about a tenth of the dispatcher's time.
        """
        server = url[: url.find("/", url.find("//") + 2)]  # scheme://host:port
        if server not in self._proxies:
            parts = urlsplit(url)
            host = parts.hostname or ""
            bypass = not host or proxy_bypass(host)
            self._proxies[server] = None if bypass else getproxies().get(parts.scheme)
        return self._proxies[server]

    async def _take_connection(self, pool_timeout: float | None) -> None:
        """Wait at most `pool_timeout` for one of the pool's connections to be free."""
        if not self._free_connections.locked():
            await self._free_connections.acquire()  # returns at once: no task, no timer
            return
        try:
            async with asyncio.timeout(pool_timeout):
                await self._free_connections.acquire()
        except TimeoutError:
            raise TimedOut(f"Pool timeout: all {self._pool_size} connections are in use") from None
