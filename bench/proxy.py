"""A recording TCP proxy: what exactly did the library ask the server for?

bench.py points the library at this proxy for one untimed pass per case. The proxy passes bytes
through unchanged and parses only the client->server direction, which holds nothing but GET
request heads (no bodies), so each request is the text up to a blank line. It records each
request line and its headers, and each connection's open and close times. An HTTP/1.1 client
without pipelining has at most one request in flight per connection, so the most connections
carrying a given kind of request open at once is the client's concurrency for it
(`concurrency(prefix)`); idle keep-alive connections that carried other requests do not count.

tiled builds the `links` in its answers from the Host header, which names the proxy, so a client
that follows links stays on the proxy.

    with RecordingProxy(upstream_port=8123) as proxy:
        run_lib(f"http://127.0.0.1:{proxy.port}")
    proxy.requests        # [{"method", "target", "headers", "conn", "t"}]
    proxy.concurrency("/api/v1/array/")
"""
from __future__ import annotations

import asyncio
import threading
import time


class RecordingProxy:
    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1"):
        self.upstream = (upstream_host, upstream_port)
        self.requests: list[dict] = []
        self.open_connections = 0
        self.peak_connections = 0
        self.port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._conn_counter = 0
        self._lock = threading.Lock()
        self.connections: dict[int, dict] = {}  # conn -> {"open": t, "close": t | None}

    def __enter__(self) -> "RecordingProxy":
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._handle, "127.0.0.1", 0)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="recording-proxy", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the recording proxy did not start")
        return self

    def __exit__(self, *exc) -> None:
        assert self._loop is not None and self._server is not None

        async def close() -> None:
            self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread:
            self._thread.join(10)

    def reset(self) -> None:
        with self._lock:
            self.requests = []
            self.peak_connections = self.open_connections

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        with self._lock:
            self._conn_counter += 1
            conn = self._conn_counter
            self.connections[conn] = {"open": time.monotonic(), "close": None}
            self.open_connections += 1
            self.peak_connections = max(self.peak_connections, self.open_connections)
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_writer.close()
            with self._lock:
                self.open_connections -= 1
            return

        async def client_to_server() -> None:
            buffer = b""
            try:
                while data := await client_reader.read(65536):
                    buffer += data
                    while b"\r\n\r\n" in buffer:
                        head, buffer = buffer.split(b"\r\n\r\n", 1)
                        self._record(conn, head)
                    up_writer.write(data)
                    await up_writer.drain()
            finally:
                up_writer.close()

        async def server_to_client() -> None:
            try:
                while data := await up_reader.read(1 << 20):
                    client_writer.write(data)
                    await client_writer.drain()
            finally:
                client_writer.close()

        try:
            await asyncio.gather(client_to_server(), server_to_client(), return_exceptions=True)
        finally:
            with self._lock:
                self.open_connections -= 1
                self.connections[conn]["close"] = time.monotonic()

    def concurrency(self, prefix: str) -> int:
        """The most connections open at the same time among those that carried a request whose
        target starts with `prefix`."""
        with self._lock:
            conns = {r["conn"] for r in self.requests if r["target"].startswith(prefix)}
            events = []
            for c in conns:
                info = self.connections[c]
                events.append((info["open"], 1))
                events.append((info["close"] if info["close"] is not None else float("inf"), -1))
        peak = level = 0
        for _, delta in sorted(events, key=lambda e: (e[0], e[1])):
            level += delta
            peak = max(peak, level)
        return peak

    def _record(self, conn: int, head: bytes) -> None:
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = (lines[0].split(" ", 2) + ["", ""])[:3]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        with self._lock:
            self.requests.append(
                {"method": method, "target": target, "headers": headers, "conn": conn, "t": time.monotonic()}
            )
