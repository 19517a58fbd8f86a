"""bdp2022's timeline: the APS-U Beamline Data Pipelines project's 2022 runs, laid out so that
every query of the 2022 demo returns what it printed. What each run holds is bdp2022.py.

    for plan, documents, options in runs(detectors):   # oldest first
        writer.write(documents, **options)

How the synthetic timeline maps onto shared/reference/replica-facts.md:

| phase | when (Chicago) | runs | scan_id |
|---|---|---|---|
| M4 commissioning | April 2022 | 6 take_image | ..1595 |
| M4 | 2022-05-03 08:37:21.510276 .. July 13 | 140 take_image (first = the demo's first) + 120 new_sample | 1596.. |
| M6 | 2022-07-15 23:14:54.974411 .. 2022-09-08 13:54:25.178280 | 125 push_images + 12 take_image | 1..1960 (counter reset) |
| (gap) | Sept 8 .. Nov 11 | none: the demo's range ends at the last push_images run | |
| M9 | 2022-11-11 01:34:27.938719 .. 2022-11-23 11:17:32.495794 | 75 m9_push_images | 1961..2035 |
| after | 2022-12-01 | 1 take_image, still running (no stop) | 2036 |

May 1 .. Nov 1 therefore holds 260 + 137 = 397 runs. new_sample runs (start and stop, no
streams) cost a third of a take_image's requests, which keeps generation within its budget. Only the M9 runs carry the token "m9"
(milestone "BDP M9 demo", session "M9 demo", plan m9_push_images), so full-text M9 finds 75.
The scan_id gaps after the July reset are runs the queueserver wrote to other catalogs.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

from .bdp2022 import (VERSIONS_2022_NOVEMBER, VERSIONS_2022_SPRING, VERSIONS_2022_SUMMER, M9PushImages,
                      NewSample, PushImages, TakeImage, m9_push_images, new_sample, push_images,
                      random_stages, take_image)
from .common import Ids, RunContext, epoch, session_times

NAME = "bdp2022"

# --- the fixed points from replica-facts.md ---------------------------------------------------
FIRST_IN_RANGE = epoch("2022-05-03T08:37:21.510276")  # take_image
FIRST_IN_RANGE_SCAN_ID = 1596
FIRST_PUSH = epoch("2022-07-15T23:14:54.974411")  # push_images, scan_id 1: the counter was reset
LAST_PUSH_TIME = 1662663265.17828  # 2022-09-08T13:54:25.178280
LAST_PUSH_SCAN_ID = 1960
LAST_PUSH_UID = "ae762f9c-4933-4aa4-a720-147f4aaab6fd"
LAST_PUSH_PID = 13229
FIRST_M9 = epoch("2022-11-11T01:34:27.938719")
FIRST_M9_SCAN_ID = 1961  # then consecutive, to 2035
LAST_M9_TIME = epoch("2022-11-23T11:17:32.495794")
LAST_M9_UID = "a1233634-1259-438f-b9f0-f77c26f48f54"
LAST_M9_DESCRIPTOR_UID = "43eb9fb2-7900-47aa-96a6-face7e7f5fca"
LAST_M9_DESCRIPTOR_TIME = 1669223872.8681245
LAST_M9_CONFIG_TIMESTAMPS = (1669223852.4870157, 1669223852.4887526, 1669223852.4916937)
# The 2022 server's error message named this Resource (a take_image frame it could not read).
DEMO_RESOURCE_UID = "c89a0a1b-7195-46fd-8d27-64f7d94e3cf7"

# --- the plan of the timeline: which run sits where ------------------------------------------
# A slot is a run's place in its phase, counted from 0 in time order; every slot not named here
# holds an ordinary run drawn at random. The figures are those of replica-facts.md. The slots
# were chosen once: the random draws after a slot depend on it, so moving one changes the rest
# of the catalog (and the recorded snapshots).
#
# M4, first slot: FIRST_IN_RANGE, figure "time range: 397 runs", first row (take_image, 1596).
# M6, first slot: FIRST_PUSH, figure "plan_name push_images: 125 runs", first row (scan_id 1).
# M6, last slot: the run of "The last push_images run" (LAST_PUSH_*), also the last row of both.
# M9, first and last slots: the rows of figure "full-text M9: 75 runs"; the last is "The last
#     M9 run" (LAST_M9_*).

# Exit statuses other than success, by slot: test_failed_aborted_and_running_runs_exist wants
# every status in the catalog; the figures count runs whatever their status.
APRIL_UNSUCCESSFUL = {3: "abort"}
M4_UNSUCCESSFUL = {57: "fail", 140: "abort", 201: "abort"}
M6_UNSUCCESSFUL = {77: "abort"}
M9_UNSUCCESSFUL = {23: "fail"}

M4_FIRST_IN_DEMO_RANGE = 0
# The take_image whose Resource is DEMO_RESOURCE_UID (section "What the demo could not do: images").
M4_DEMO_RESOURCE = 233
# M4 slots that must stay take_image runs; the new_sample runs are drawn among the others.
M4_TAKE_IMAGE_ONLY = {M4_FIRST_IN_DEMO_RANGE, *M4_UNSUCCESSFUL, M4_DEMO_RESOURCE}
# The software upgrade of mid-June: from this M4 slot on, the summer versions, which the demo's
# last push_images run prints.
M4_SUMMER_VERSIONS_FROM = 120

# Of the 260 M4 runs from May 3 to July 13, how many are new_sample (the rest take_image).
N_NEW_SAMPLE = 120

# Simulated specimens of the M4 demos (the detector is a simulator: the "sample" only names
# the frames that follow). No name may hold the token m9: full-text M9 must find the M9 runs only.
SAMPLE_NAMES = ("glassy carbon", "silver behenate", "kapton film", "lupolen", "Au grid",
                "Si wafer", "alumina powder", "CeO2 standard", "mesh 200", "pinhole 50um")


# --- the timeline ------------------------------------------------------------------------------
# Each phase draws its times and scan_ids, then its runs in time order. The queueserver started
# a new RunEngine worker (a new pid) every few dozen runs: hence `first pid + slot // N`.


def runs(detectors: Path):
    """Yield (description, documents, options) per run, oldest first."""
    ctx = RunContext(Ids(f"{NAME}-uids"), random.Random(f"{NAME}-values"), detectors)
    frame_counters = itertools.count(1)  # adsimdet's ArrayCounter runs on across the phases
    yield from m4_commissioning(ctx, frame_counters)
    yield from m4(ctx, frame_counters)
    yield from m6(ctx, frame_counters)
    yield from m9(ctx)
    # December: a detector check still running when the catalog was copied (no stop document).
    # Written with batch_size=1 so its event is in the table, as a live run's would be.
    still_running = TakeImage(scan_id=2036, start_time=epoch("2022-12-01T10:02:13.441207"), pid=31010,
                              versions=VERSIONS_2022_NOVEMBER, frame_counter=next(frame_counters),
                              running=True)
    yield "take_image (running)", take_image(ctx, still_running), {"batch_size": 1}


def m4_commissioning(ctx: RunContext, frame_counters):
    """April: before the demo's range; no figure counts these runs."""
    rng = ctx.rng
    april = session_times(rng, epoch("2022-04-19T00:00"), epoch("2022-04-29T23:00"), 6)
    scan_ids = sorted(rng.sample(range(1585, 1595), 5)) + [1595]
    for i, (t, sid) in enumerate(zip(april, scan_ids)):
        run = TakeImage(scan_id=sid, start_time=t, pid=8231 + i // 10, versions=VERSIONS_2022_SPRING,
                        frame_counter=next(frame_counters), exit_status=APRIL_UNSUCCESSFUL.get(i, "success"))
        yield "take_image", take_image(ctx, run), {}


def m4(ctx: RunContext, frame_counters):
    """May 3 .. July 13: take_image frames, with new_sample runs between them."""
    rng = ctx.rng
    times = [FIRST_IN_RANGE] + session_times(rng, FIRST_IN_RANGE + 60, epoch("2022-07-13T23:00"), 259)
    sample_slots = set(rng.sample([i for i in range(1, len(times)) if i not in M4_TAKE_IMAGE_ONLY],
                                  N_NEW_SAMPLE))
    # take_image runs record where the last new_sample left the stages.
    stages = random_stages(rng)
    sid = FIRST_IN_RANGE_SCAN_ID
    for i, t in enumerate(times):
        pid = 9012 + i // 25
        versions = VERSIONS_2022_SPRING if i < M4_SUMMER_VERSIONS_FROM else VERSIONS_2022_SUMMER
        if i in sample_slots:
            previous, stages = stages, random_stages(rng)
            sample = f"{rng.choice(SAMPLE_NAMES)} #{rng.randint(1, 40)}"
            run = NewSample(scan_id=sid, start_time=t, pid=pid, versions=versions, sample=sample,
                            stages=stages, previous_stages=previous)
            yield "new_sample", new_sample(ctx, run), {}
        else:
            run = TakeImage(scan_id=sid, start_time=t, pid=pid, versions=versions,
                            frame_counter=next(frame_counters), stages=stages,
                            exit_status=M4_UNSUCCESSFUL.get(i, "success"),
                            resource_uid=DEMO_RESOURCE_UID if i == M4_DEMO_RESOURCE else None)
            yield "take_image", take_image(ctx, run), {}
        sid += 1 if rng.random() < 0.85 else rng.randint(2, 3)


def m6(ctx: RunContext, frame_counters):
    """July 15 .. Sept 8: the scan_id counter was reset; 125 push_images + 12 take_image."""
    rng = ctx.rng
    middle = session_times(rng, FIRST_PUSH + 60, LAST_PUSH_TIME - 60, 135)
    times = [FIRST_PUSH] + middle + [LAST_PUSH_TIME]
    sids = [1] + sorted(rng.sample(range(2, LAST_PUSH_SCAN_ID), 135)) + [LAST_PUSH_SCAN_ID]
    take_slots = set(rng.sample(range(1, 136), 12))
    last = len(times) - 1
    for i, (t, sid) in enumerate(zip(times, sids)):
        pid = LAST_PUSH_PID if i == last else 11800 + i // 9
        if i in take_slots:
            run = TakeImage(scan_id=sid, start_time=t, pid=pid, versions=VERSIONS_2022_SUMMER,
                            frame_counter=next(frame_counters))
            yield "take_image", take_image(ctx, run), {}
            continue
        status = M6_UNSUCCESSFUL.get(i, "success")
        if i == last:
            # The demo's run: 10000 frames at 200 Hz; the real one recorded 10261 events.
            run = PushImages(scan_id=sid, start_time=t, pid=pid, exit_status=status, num_images=10000,
                             frame_rate=200.0, run_time=60.0, n_events=10261, uid=LAST_PUSH_UID)
        else:
            # Most runs during development pushed a few dozen to a few hundred frames; keeping them short
            # keeps generation within its budget while each still has one event per frame.
            n = rng.choices([50, 100, 200, 500, 1000], weights=[25, 35, 25, 12, 3])[0]
            rate = rng.choice([10.0, 20.0, 50.0, 100.0, 200.0])
            run = PushImages(scan_id=sid, start_time=t, pid=pid, exit_status=status, num_images=n,
                             frame_rate=rate, run_time=round(n / rate * 1.2, 1),
                             n_events=n + int(n * rng.uniform(0, 0.03)))
        yield "push_images", push_images(ctx, run), {}


def m9(ctx: RunContext):
    """Nov 11 .. Nov 23: 75 consecutive scan_ids, every run found by full-text M9."""
    rng = ctx.rng
    times = [FIRST_M9] + session_times(rng, FIRST_M9 + 60, LAST_M9_TIME - 60, 73) + [LAST_M9_TIME]
    for i, t in enumerate(times):
        header = dict(scan_id=FIRST_M9_SCAN_ID + i, start_time=t, pid=27400 + i // 12,
                      exit_status=M9_UNSUCCESSFUL.get(i, "success"))
        if i == len(times) - 1:
            # The run the demo printed: its descriptor and configuration timestamps are facts.
            run = M9PushImages(**header, num_images=12000, frame_rate=1000, position_chunk_size=100,
                               uid=LAST_M9_UID, descriptor_uid=LAST_M9_DESCRIPTOR_UID,
                               descriptor_time=LAST_M9_DESCRIPTOR_TIME,
                               config_timestamps=LAST_M9_CONFIG_TIMESTAMPS, duration=20.4)
        else:
            run = M9PushImages(**header, num_images=rng.choice([1200, 6000, 12000, 24000]),
                               frame_rate=rng.choice([100, 500, 1000, 2000]),
                               position_chunk_size=rng.choice([10, 50, 100]))
        yield "m9_push_images", m9_push_images(ctx, run), {}
