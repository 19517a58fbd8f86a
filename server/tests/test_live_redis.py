"""Live runs through the Redis streaming cache (REPLICA_STREAMING_CACHE=redis://...).

The test starts its own redis-server (127.0.0.1, a free port, no persistence) and a throwaway
replica that serves only /live (no demo catalogs: nothing to generate), with tiled's streaming
cache in that Redis. `bin/replica live` then writes a short uascan while a raw websocket
subscriber (no tiled client code) follows catalog -> run -> primary -> internal table, each
child opened with start=1 the moment it is announced. It must receive every event, once, in
order, while the run is written (not only by replay afterwards), then the stop document on the
catalog and close 1000 on the table; Redis must hold the messages (keys seen during the run).
Both servers are stopped by their PIDs at the end.

redis-server is a Debian package: `apt-get install redis-server`. Without it the test fails and
says so (it does not skip: CI must install it).
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import secrets
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT, free_port, launch_server, stop_server

EVENTS = 40
RATE = 20.0  # events per second: the run lasts about 2 s
BIN_REPLICA = ROOT / "bin" / "replica"


def redis_cli(port: int, *args: str) -> str:
    return subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args],
                          capture_output=True, text=True, timeout=10).stdout.strip()


@pytest.fixture
def redis_port(tmp_path):
    server = shutil.which("redis-server")
    if server is None or shutil.which("redis-cli") is None:
        pytest.fail("redis-server is not installed: the Redis streaming-cache test needs it "
                    "(Debian: `apt-get install redis-server`, which also provides redis-cli)")
    port = free_port()
    log = open(tmp_path / "redis.log", "wb")
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--daemonize", "no", "--dir", str(tmp_path)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while redis_cli(port, "ping") != "PONG":
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {port}; see {log.name}")
            time.sleep(0.1)
        yield port
    finally:
        stop_server(process)  # by its PID (SIGTERM, then SIGKILL after 15 s)


def launch_live_only(var_dir: Path, port: int, env_extra: dict) -> tuple[subprocess.Popen, dict]:
    """conftest.launch_server, serving only /live: no demo catalogs (so none is generated), and
    /live with the streaming cache that REPLICA_STREAMING_CACHE names."""
    process = launch_server(var_dir, port, env_extra, catalogs=[], ready_path="/api/v1/metadata/live")
    served = (var_dir / "config.yml").read_text()
    assert "path: /live" in served and "${REPLICA_STREAMING_CACHE}" in served, served
    env = dict(os.environ, REPLICA_VAR=str(var_dir), PYTHONPATH=str(ROOT / "server"), **env_extra)
    env["REPLICA_SERVER_API_KEY"] = env["TILED_API_KEY"]
    return process, env


@pytest.fixture
def live_replica(tmp_path, redis_port):
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    port = free_port()
    env_extra = {"REPLICA_STREAMING_CACHE": f"redis://127.0.0.1:{redis_port}/0",
                 "TILED_API_KEY": secrets.token_hex(16)}
    process, env = launch_live_only(var_dir, port, env_extra)
    try:
        yield {"url": f"http://127.0.0.1:{port}", "env": env, "redis": redis_port, "var": var_dir}
    finally:
        stop_server(process)


class Follower:
    """Raw websocket subscriber: catalog -> the new run -> primary -> internal, msgpack envelope."""

    def __init__(self, url: str):
        self.ws = url.replace("http://", "ws://") + "/api/v1/stream/single/"
        self.catalog_ready = threading.Event()
        self.run_uid: str | None = None
        self.rows: list[tuple[float, int]] = []  # (receive time, seq_num), in arrival order
        self.table_sequences: list[int] = []  # the websocket sequence of each table-data message
        self.table_close: tuple[int, str] | None = None
        self.stop_doc: dict | None = None
        self.opened: list[str] = []
        self.error: BaseException | None = None

    async def _messages(self, ws):
        import msgpack
        from websockets.exceptions import ConnectionClosed

        try:
            async for frame in ws:
                yield msgpack.unpackb(frame) if isinstance(frame, bytes) else json.loads(frame)
        except ConnectionClosed:
            return

    async def _child(self, connect, path: str, key: str) -> None:
        """Follow `path` (start=1: replay from its first message) until `key` is announced."""
        async with connect(f"{self.ws}{path}?envelope_format=msgpack&start=1") as ws:
            self.opened.append(path)
            async for msg in self._messages(ws):
                if msg.get("type") == "container-child-created" and msg.get("key") == key:
                    return
        raise AssertionError(f"{path} closed before announcing {key!r}")

    async def _table(self, connect, path: str) -> None:
        import pyarrow

        async with connect(f"{self.ws}{path}?envelope_format=msgpack&start=1", max_size=None) as ws:
            self.opened.append(path)
            async for msg in self._messages(ws):
                if msg.get("type") != "table-data":
                    continue
                assert msg["mimetype"] == "application/vnd.apache.arrow.file", msg["mimetype"]
                table = pyarrow.ipc.open_file(io.BytesIO(msg["payload"])).read_all()
                now = time.time()
                self.table_sequences.append(msg["sequence"])
                self.rows.extend((now, int(s)) for s in table.column("seq_num").to_pylist())
            self.table_close = (ws.close_code, ws.close_reason)

    async def _follow(self) -> None:
        from websockets.asyncio.client import connect

        async with connect(f"{self.ws}live?envelope_format=msgpack") as catalog:
            self.catalog_ready.set()
            follower = None
            async for msg in self._messages(catalog):
                if msg.get("type") == "container-child-created" and follower is None:
                    self.run_uid = msg["key"]
                    run = f"live/{self.run_uid}"

                    async def chain():
                        await self._child(connect, run, "primary")
                        await self._child(connect, f"{run}/primary", "internal")
                        await self._table(connect, f"{run}/primary/internal")

                    follower = asyncio.create_task(chain())
                elif msg.get("type") == "container-child-metadata-updated" and msg.get("key") == self.run_uid:
                    if "stop" in (msg.get("metadata") or {}):
                        self.stop_doc = msg["metadata"]["stop"]
                        break  # the catalog never closes: the stop document is its last word for us
            assert follower is not None, "the catalog socket closed before any run was created"
            await asyncio.wait_for(follower, timeout=60)

    def run(self) -> None:
        try:
            asyncio.run(asyncio.wait_for(self._follow(), timeout=120))
        except BaseException as err:  # noqa: BLE001: reported by the test thread
            self.error = err


def test_live_run_through_redis(live_replica):
    url, env, redis_port = live_replica["url"], live_replica["env"], live_replica["redis"]
    # The server answers websockets only with a streaming cache; nothing is in Redis yet.
    assert redis_cli(redis_port, "dbsize") == "0"

    follower = Follower(url)
    thread = threading.Thread(target=follower.run, daemon=True)
    thread.start()
    assert follower.catalog_ready.wait(30), "the catalog subscription did not connect"

    writer = subprocess.Popen(
        [str(BIN_REPLICA), "live", "--plan", "uascan", "--events", str(EVENTS), "--rate", str(RATE), "--url", url],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )
    try:
        # While the run is written: Redis holds keys (sequence counters, message hashes).
        dbsizes = []
        while writer.poll() is None:
            dbsizes.append(int(redis_cli(redis_port, "dbsize") or 0))
            time.sleep(0.2)
        out, err = writer.communicate(timeout=30)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    writer_done = time.time()
    assert writer.returncode == 0, f"bin/replica live failed ({writer.returncode}): {err}"
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    started, summary = lines[0], lines[-1]
    assert summary == {**summary, "done": True, "events": EVENTS, "exit_status": "success"}

    thread.join(90)
    assert not thread.is_alive(), "the subscriber did not finish"
    if follower.error is not None:
        raise follower.error

    uid = started["uid"]
    assert follower.run_uid == uid
    assert follower.opened == ["live/" + uid, f"live/{uid}/primary", f"live/{uid}/primary/internal"]
    # Every event, once, in order; one table-data message per event (batch_size=1), sequences 1..N.
    assert [s for _, s in follower.rows] == list(range(1, EVENTS + 1))
    assert follower.table_sequences == list(range(1, EVENTS + 1))
    # Live, not replayed after the fact: most rows arrived before the writer finished.
    during = sum(1 for t, _ in follower.rows if t < writer_done - 0.3)
    assert during >= EVENTS // 2, f"only {during} of {EVENTS} rows arrived while the run was written"
    assert follower.table_close == (1000, "Producer ended stream")
    assert follower.stop_doc is not None and follower.stop_doc["exit_status"] == "success"
    assert follower.stop_doc["num_events"]["primary"] == EVENTS

    # The messages went through Redis: keys during the run, and the data:{node}:{seq} hashes
    # (kept data_ttl seconds) and sequence:{node} counters afterwards.
    assert max(dbsizes, default=0) > 0, f"redis dbsize stayed {dbsizes} during the run"
    keys = redis_cli(redis_port, "--scan").split()
    data_keys = [k for k in keys if k.startswith("data:")]
    sequence_keys = [k for k in keys if k.startswith("sequence:")]
    assert len(data_keys) >= EVENTS and sequence_keys, f"{len(keys)} keys: {keys[:10]}"
    keyspace = redis_cli(redis_port, "info", "keyspace")
    assert "db0:keys=" in keyspace, keyspace
    print(f"\nredis: dbsize during the run {min(dbsizes, default=0)}..{max(dbsizes, default=0)}, "
          f"after {len(keys)} keys ({len(data_keys)} data:, {len(sequence_keys)} sequence:); "
          f"{during}/{EVENTS} rows received before the writer finished")
