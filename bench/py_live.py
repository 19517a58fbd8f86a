"""tiled's Python client following a live run, for the benchmark's case (e) (the lib's is live_driver.ts).

    python bench/py_live.py --url http://127.0.0.1:8123 --ready FILE --out FILE

tiled.client.stream, as its docs show: the catalog's subscription, then on child_created the run's,
the stream's and the table's (start=1), each row's seq_num logged with time.time() when the
callback ran (after `update.data()`, the DataFrame, like the lib's Arrow decode). Then the finished
table is replayed with start=1 and timed. Callbacks are held in a list: tiled keeps weak references.
"""
from __future__ import annotations

import argparse
import json
import threading
import time

from tiled.client import from_uri
from procutil import peak_rss_bytes



def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--catalog", default="live")
    p.add_argument("--ready", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--timeout", type=float, default=900)
    args = p.parse_args()

    client = from_uri(args.url)
    catalog = client[args.catalog]
    keep: list = []
    lock = threading.Lock()
    recv: list[tuple[int, float]] = []
    table_closed = threading.Event()
    state: dict = {}

    def follow(node, depth: int) -> None:
        sub = node.subscribe()
        keep.append(sub)
        if depth < 3:  # catalog -> run -> stream -> table
            def on_child(u, depth=depth):
                if depth == 0 and "run" in state:
                    return
                if depth == 0:
                    state["run"] = u.key
                if depth == 1 and u.key != "primary":
                    return
                if depth == 2 and u.key != "internal":
                    return
                follow(u.child(), depth + 1)
            keep.append(on_child)
            sub.child_created.add_callback(on_child)
        else:
            def on_data(u):
                if u.type != "table-data":
                    return
                seqs = u.data()["seq_num"].tolist()
                t = time.time()
                with lock:
                    recv.extend((int(s), t) for s in seqs)

            def on_closed(_s):
                table_closed.set()
            keep.extend([on_data, on_closed])
            sub.new_data.add_callback(on_data)
            sub.stream_closed.add_callback(on_closed)
        sub.start_in_thread(None if depth == 0 else 1, max_size=64_000_000)

    cpu0 = time.process_time()
    follow(catalog, 0)
    time.sleep(1.0)  # start_in_thread returns before the socket is up
    open(args.ready, "w").write("ready\n")
    t0 = time.perf_counter()
    table_closed.wait(args.timeout)
    live_seconds = time.perf_counter() - t0
    live_cpu = time.process_time() - cpu0
    with open(args.out, "w") as f:
        for s, t in recv:
            f.write(json.dumps({"seq_num": s, "t": t}) + "\n")
    for s in keep:
        if hasattr(s, "disconnect"):
            try:
                s.disconnect(wait=False)
            except Exception:
                pass

    # Replay the finished table from start=1.
    table = catalog[state["run"]]["primary"].base["internal"]  # a composite stream hides its table
    replay_rows = [0]
    done = threading.Event()

    def on_replay(u):
        if u.type == "table-data":
            replay_rows[0] += len(u.data())

    def on_replay_closed(_s):
        done.set()
    sub = table.subscribe()
    keep.extend([sub, on_replay, on_replay_closed])
    sub.new_data.add_callback(on_replay)
    sub.stream_closed.add_callback(on_replay_closed)
    c0, r0 = time.process_time(), time.perf_counter()
    sub.start_in_thread(1, max_size=64_000_000)
    done.wait(120)
    replay_seconds = time.perf_counter() - r0
    replay_cpu = time.process_time() - c0
    sub.disconnect(wait=False)
    print(json.dumps({"seconds": live_seconds, "cpuSeconds": live_cpu, "bytes": 0, "rows": len(recv), "run": state.get("run"),
                      "replayRows": replay_rows[0], "replaySeconds": replay_seconds, "replayCpuSeconds": replay_cpu,
                      "maxRssBytes": peak_rss_bytes()}), flush=True)


if __name__ == "__main__":
    main()
