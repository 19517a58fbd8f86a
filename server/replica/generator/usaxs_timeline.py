"""20idb_usaxs's timeline: six user groups' beamtimes of November 2022 (cycle 2022-3), each
following the instrument's usual plan. What each run holds is usaxs.py.

    for plan, documents, options in runs(detectors):   # oldest first
        writer.write(documents, **options)

Each user group (one ESAF) gets a documentation_run, a round of tunes, then per sample the
instrument's usual triple: Flyscan, SAXS and WAXS. Now and then a step-scanned uascan, and
tunes between samples. The demo shows no figures for this catalog; notebook 04 tours it.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from pathlib import Path

from .common import Ids, RunContext, epoch, local, session_times
from .usaxs import (AreaDetectorRun, DocumentationRun, Esaf, Flyscan, Tune, Uascan, UsaxsRun,
                    area_detector, documentation_run, flyscan, tune, uascan)

NAME = "20idb_usaxs"

# --- the user groups of cycle 2022-3 and their beamtimes --------------------------------------

ESAFS = [
    Esaf(esaf_id="261754", proposal_id="78243", principal_user="Maria Kowalski",
         esaf_title="USAXS/SAXS/WAXS of precipitates in additively manufactured Inconel 625",
         proposal_title="Microstructure evolution in additively manufactured nickel superalloys",
         short="Kowalski", samples=("IN625_AB", "IN625_HT870", "IN625_HT1150", "IN625_SR", "IN718_AB",
                                    "IN718_HT", "blank_Kapton", "GC_standard")),
    Esaf(esaf_id="262110", proposal_id="80117", principal_user="Daniel Okafor",
         esaf_title="Hierarchical pore structure of calcined silica aerogels",
         proposal_title="Small-angle scattering studies of porous oxide catalysts supports",
         short="Okafor", samples=("SiO2_aerogel_450C", "SiO2_aerogel_600C", "SiO2_aerogel_750C",
                                  "SiO2_xerogel", "AlSiO_60", "AlSiO_80", "empty_cell", "water_blank",
                                  "GC_standard")),
    Esaf(esaf_id="262398", proposal_id="79350", principal_user="Hannah Lindqvist",
         esaf_title="In situ heating of block copolymer thin films, mail-in",
         proposal_title="Ordering kinetics of PS-b-PMMA under thermal annealing",
         short="Lindqvist", samples=("PSPMMA_25C", "PSPMMA_150C", "PSPMMA_180C", "PSPMMA_200C",
                                     "PSPMMA_220C", "PS_homopolymer", "Kapton_blank")),
    Esaf(esaf_id="262871", proposal_id="78243", principal_user="Maria Kowalski",
         esaf_title="USAXS/SAXS/WAXS of precipitates in additively manufactured Inconel 625, part 2",
         proposal_title="Microstructure evolution in additively manufactured nickel superalloys",
         short="Kowalski", samples=("IN625_HT870_1h", "IN625_HT870_4h", "IN625_HT870_10h",
                                    "IN625_HT870_24h", "IN625_HT870_100h", "GC_standard")),
    Esaf(esaf_id="261203", proposal_id="80562", principal_user="Priya Raman",
         esaf_title="Nucleation and growth of zirconia nanoparticles in sol-gel precursors",
         proposal_title="Time-resolved SAXS of oxide nanoparticle synthesis",
         short="Raman", samples=("ZrO2_sol_0h", "ZrO2_sol_2h", "ZrO2_sol_6h", "ZrO2_sol_24h",
                                 "ZrO2_gel_dried", "ZrO2_calc_400C", "ZrO2_calc_600C", "ethanol_blank",
                                 "GC_standard")),
    Esaf(esaf_id="262655", proposal_id="79911", principal_user="Tomasz Nowak",
         esaf_title="Pore structure of hydrating cement pastes with supplementary materials",
         proposal_title="Multi-scale porosity of low-carbon cements",
         short="Nowak", samples=("OPC_1d", "OPC_7d", "OPC_28d", "OPC_FA30_7d", "OPC_FA30_28d",
                                 "OPC_SL40_7d", "OPC_SL40_28d", "OPC_LC3_28d", "GC_standard")),
]


@dataclass(frozen=True)
class Beamtime:
    """A few days of one user group at the instrument: its runs' start times are drawn in it."""

    esaf: Esaf
    first: str  # Chicago time
    last: str

    @property
    def data_dir(self) -> str:
        """Where the instrument wrote this group's files, e.g. /share1/USAXS_data/2022-11/11_01_Kowalski."""
        first = local(epoch(self.first))
        return f"/share1/USAXS_data/{first:%Y-%m}/{first:%m_%d}_{self.esaf.short}"


BEAMTIMES = [
    Beamtime(ESAFS[4], "2022-10-25T09:00", "2022-10-28T18:00"),
    Beamtime(ESAFS[0], "2022-11-01T09:00", "2022-11-04T18:00"),
    Beamtime(ESAFS[1], "2022-11-08T09:00", "2022-11-11T18:00"),
    Beamtime(ESAFS[2], "2022-11-15T09:00", "2022-11-18T18:00"),
    Beamtime(ESAFS[5], "2022-11-21T09:00", "2022-11-23T17:00"),
    Beamtime(ESAFS[3], "2022-11-29T09:00", "2022-12-02T18:00"),
]

# --- the plan of a beamtime: which run comes when --------------------------------------------
# Every beamtime follows the same plan (beamtime_runs). These name its exceptions; they were
# chosen once, and the random draws after them depend on them, so moving one changes the rest
# of the catalog (and the recorded snapshots).

# The tunes that align the instrument at the start of every beamtime, in this order.
ALIGNMENT_TUNES = ("tune_mr", "tune_m2rp", "tune_ar", "tune_a2rp", "tune_dx", "tune_dy")
# The analyser crystal drifts: tune_ar and tune_a2rp again before every third sample.
RETUNE_EVERY_N_SAMPLES = 3
# A step-scanned uascan of the sample after these samples (their index in the ESAF's list).
UASCAN_AFTER_SAMPLES = (1, 5)
# Runs that did not succeed (test_failed_aborted_and_running_runs_exist wants every exit status
# in each catalog), by (esaf_id, sample[, plan]). The aborted Flyscan is measured again.
ABORTED_FLYSCAN = ("261754", "IN718_AB")
FAILED_AREA_DETECTOR = ("262110", "SiO2_aerogel_750C", "WAXS")
# Every beamtime's runs record the last beamtime's data directory (hdf5_path, and the SAXS/WAXS
# files' subdirectory). The first generator bound it late, by accident; the recorded snapshots
# and notebook 02 show it, so it stays until the catalogs are regenerated on purpose.
RECORDED_DATA_DIR = BEAMTIMES[-1].data_dir

BUILDERS = {DocumentationRun: documentation_run, Tune: tune, Flyscan: flyscan,
            AreaDetectorRun: area_detector, Uascan: uascan}


# --- the timeline -------------------------------------------------------------------------------


def runs(detectors: Path):
    """Yield (plan, documents, options) per run, oldest first."""
    ctx = RunContext(Ids(f"{NAME}-uids"), random.Random(f"{NAME}-values"), detectors / "usaxs")
    scan_ids = itertools.count(183)
    pid = 2103402
    planned: list[UsaxsRun] = []
    for beamtime in BEAMTIMES:
        pid += 17  # a new bluesky session for every beamtime
        planned += beamtime_runs(ctx.rng, beamtime, scan_ids, pid)
    # Every beamtime's start times are drawn before the first run is built: the builders draw
    # from the same rng, so this order is part of the catalog's content.
    for run in planned:
        yield run.plan_name, BUILDERS[type(run)](ctx, run), {}
    # The catalog was copied while a Flyscan was still collecting: no stop document yet.
    last = BEAMTIMES[-1]
    still_running = Flyscan(scan_id=next(scan_ids), start_time=epoch("2022-12-02T19:41:07.118420"), pid=pid,
                            esaf=last.esaf, title="IN625_HT870_500h", data_dir=last.data_dir, running=True)
    yield "Flyscan (running)", flyscan(ctx, still_running), {"batch_size": 1}


def beamtime_runs(rng: random.Random, beamtime: Beamtime, scan_ids, pid: int) -> list[UsaxsRun]:
    """One beamtime's runs in time order: documentation_run, the alignment tunes, then per
    sample Flyscan, SAXS and WAXS, with the exceptions of the plan table above."""
    esaf, data_dir = beamtime.esaf, RECORDED_DATA_DIR
    # Start times for every run the plan can make (one documentation_run, six tunes, three runs
    # per sample, up to six re-tunes, two uascans) and four spares (a repeated Flyscan); the
    # unused ones are never taken, but they are drawn: the count is part of the catalog's content.
    n_slots = 1 + 6 + len(esaf.samples) * 3 + 6 + 2
    times = iter(session_times(rng, epoch(beamtime.first), epoch(beamtime.last), n_slots + 4))

    def next_run(cls, **fields) -> UsaxsRun:
        return cls(scan_id=next(scan_ids), start_time=next(times), pid=pid, esaf=esaf, **fields)

    text = (f"{esaf.principal_user} (ESAF {esaf.esaf_id}), {len(esaf.samples)} samples, "
            f"USAXS + SAXS + WAXS at 21 keV")
    planned = [next_run(DocumentationRun, text=text)]
    planned += [next_run(Tune, plan_name=plan) for plan in ALIGNMENT_TUNES]
    for s, sample in enumerate(esaf.samples):
        if s and s % RETUNE_EVERY_N_SAMPLES == 0:
            planned += [next_run(Tune, plan_name="tune_ar"), next_run(Tune, plan_name="tune_a2rp")]
        aborted = (esaf.esaf_id, sample) == ABORTED_FLYSCAN
        planned.append(next_run(Flyscan, title=sample, data_dir=data_dir,
                                exit_status="abort" if aborted else "success"))
        if aborted:
            # The user fixed the sample position and measured again.
            planned.append(next_run(Flyscan, title=sample, data_dir=data_dir))
        for method in ("SAXS", "WAXS"):
            failed = (esaf.esaf_id, sample, method) == FAILED_AREA_DETECTOR
            planned.append(next_run(AreaDetectorRun, plan_name=method, title=sample, data_dir=data_dir,
                                    exit_status="fail" if failed else "success"))
        if s in UASCAN_AFTER_SAMPLES:
            planned.append(next_run(Uascan, title=f"{sample}_step", data_dir=data_dir))
    return planned
