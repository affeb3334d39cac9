"""Time `asnsql load` on mega_pool.csv and on a generated pool: seconds, rows/s, peak memory.

Run from the repository root:

    python bench/bench_load.py            # mega_pool.csv and a 1,000,000-row pool
    python bench/bench_load.py --rows 200000

Each load runs in a fresh child process, so the peak resident memory printed for
it (``ru_maxrss``) is that load's alone. DuckDB allocates outside Python's heap,
which is why tracemalloc would not see most of it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEGA_POOL = ROOT / "fixtures" / "pools" / "mega_pool.csv"
TARGET_SECONDS_PER_MILLION = 20.0

# The columns of a real archive pool (mega_pool's set, in DMS upper case).
COLUMNS = (
    "FILENAME|PROGRAM|OBS_NUM|VISITYPE|EXP_TYPE|INSTRUME|DETECTOR|TARGETID|PNTGTYPE|FILTER|PUPIL|"
    "GRATING|ASN_CANDIDATE|TSOVISIT|SUBARRAY|OBS_ID|VISIT|VISIT_ID|VISITGRP|SEQ_ID|ACT_ID|"
    "EXPOSURE|NEXPOSUR|EXPCOUNT|CHANNEL|TARGPROP|TARGNAME|TARGTYPE|TEMPLATE|PNTG_SEQ|TARGORDN|"
    "EXPSPCIN|DITHPTIN|MOSTILNO|MODULE|DITHERID|PATTTYPE|PATTSTRT|NUMDTHPT|PATTSIZE|SUBPXPNS|"
    "PATT_NUM|SUBPXNUM|SUBPIXEL|APERNAME|SDP_VER|FXD_SLIT|BAND|GWA_XTIL|GWA_YTIL|EXPOSERR|IS_PSF|"
    "IS_IMPRT|BKGDTARG|MSASTATE|MSAMETFL|WFSVISIT"
).split("|")

# (instrument, exp_type, detectors, filters, pupils or gratings, subarrays, template)
MODES = (
    ("NIRCAM", "NRC_IMAGE", ("NRCA1", "NRCA2", "NRCB1", "NRCALONG"), ("F090W", "F200W", "F444W"),
     ("CLEAR", "F162M"), ("FULL", "SUB160"), "NIRCam Imaging"),
    ("MIRI", "MIR_IMAGE", ("MIRIMAGE",), ("F560W", "F770W", "F1130W"), ("NULL",),
     ("FULL", "BRIGHTSKY"), "MIRI Imaging"),
    ("NIRSPEC", "NRS_FIXEDSLIT", ("NRS1", "NRS2"), ("F100LP", "F170LP"), ("G140M", "G235H"),
     ("SUBS200A1", "FULL"), "NIRSpec Fixed Slit Spectroscopy"),
    ("NIRISS", "NIS_WFSS", ("NIS",), ("GR150R", "GR150C"), ("F150W", "F200W"),
     ("FULL",), "NIRISS Wide Field Slitless Spectroscopy"),
    ("MIRI", "MIR_MRS", ("MIRIFUSHORT", "MIRIFULONG"), ("",), ("NULL",), ("FULL",),
     "MIRI Medium Resolution Spectroscopy"),
)
CANDIDATE_TYPES = ("mosaic", "background", "group", "coronagraphy")


@dataclass
class Timing:
    """One load, as measured in its child process."""

    label: str
    rows: int
    seconds: float
    peak_mib: float


def synthetic_row(n: int, rnd: random.Random) -> str:
    """One plausible exposure: varied modes, visits, dithers and candidate lists."""
    instrume, exp_type, detectors, filters, optics, subarrays, template = rnd.choice(MODES)
    program = 1000 + n // 50_000
    obs = 1 + (n // 400) % 300
    visit = 1 + (n // 40) % 10
    exp = 1 + n % 8
    detector = rnd.choice(detectors)
    act = 1 + (n // 8) % 5
    candidates = [f"('o{obs:03d}', 'observation')"]
    if n % 3 == 0:
        candidates.append(f"('c{1000 + obs % 40}', '{rnd.choice(CANDIDATE_TYPES)}')")
    is_spec = instrume == "NIRSPEC"
    values = {
        "FILENAME": f"jw{program:05d}{obs:03d}{visit:03d}_02{act:03d}_{exp:05d}"
        f"_{detector.lower()}_uncal.fits",
        "PROGRAM": str(program),
        "OBS_NUM": str(obs),
        "VISITYPE": "PRIME_TARGETED_FIXED" if n % 97 else "PRIME_WFSC_ROUTINE",
        "EXP_TYPE": exp_type if n % 13 else "NRC_TACQ" if instrume == "NIRCAM" else exp_type,
        "INSTRUME": instrume,
        "DETECTOR": detector,
        "TARGETID": str(1 + obs % 7),
        "PNTGTYPE": "SCIENCE" if n % 13 else "TARGET_ACQUISITION",
        "FILTER": rnd.choice(filters),
        "PUPIL": "NULL" if is_spec else rnd.choice(optics),
        "GRATING": rnd.choice(optics) if is_spec else "NULL",
        "ASN_CANDIDATE": f"[{', '.join(candidates)}]",
        "TSOVISIT": "T" if n % 211 == 0 else "F",
        "SUBARRAY": rnd.choice(subarrays),
        "OBS_ID": f"V{program:05d}{obs:03d}{visit:03d}P00000000{act:02d}02101",
        "VISIT": str(visit),
        "VISIT_ID": f"{program:05d}{obs:03d}{visit:03d}",
        "VISITGRP": "02",
        "SEQ_ID": "1",
        "ACT_ID": f"{act:02d}",
        "EXPOSURE": str(exp),
        "NEXPOSUR": "8",
        "EXPCOUNT": str(exp),
        "CHANNEL": "LONG" if detector.endswith("LONG") else "SHORT" if instrume == "NIRCAM" else "",
        "TARGPROP": f"TARGET-{obs % 7}",
        "TARGNAME": f"NGC {1000 + obs % 7}",
        "TARGTYPE": "FIXED",
        "TEMPLATE": template,
        "PNTG_SEQ": str(exp),
        "TARGORDN": "1",
        "EXPSPCIN": str(1 + act % 3),
        "DITHPTIN": str(1 + exp % 4),
        "MOSTILNO": "1",
        "MODULE": "A" if "NRCA" in detector else "",
        "DITHERID": "NULL",
        "PATTTYPE": rnd.choice(("NONE", "2-POINT-NOD", "CYCLING", "INTRAMODULE")),
        "PATTSTRT": "1",
        "NUMDTHPT": "4",
        "PATTSIZE": rnd.choice(("SMALL", "MEDIUM", "")),
        "SUBPXPNS": "1",
        "PATT_NUM": str(1 + exp % 4),
        "SUBPXNUM": "1",
        "SUBPIXEL": "NONE",
        "APERNAME": f"{detector}_FULL",
        "SDP_VER": "2024_3",
        "FXD_SLIT": "S200A1" if is_spec else "NULL",
        "BAND": "SHORT" if exp_type == "MIR_MRS" else "NULL",
        "GWA_XTIL": f"{rnd.random():.7f}" if is_spec else "",
        "GWA_YTIL": f"{rnd.random():.7f}" if is_spec else "",
        "EXPOSERR": "NULL" if n % 501 else "UNSUCCESSFUL",
        "IS_PSF": "F",
        "IS_IMPRT": "F",
        "BKGDTARG": "T" if n % 37 == 0 else "F",
        "MSASTATE": "PRIMARYPARK_ALLOPEN" if is_spec else "",
        "MSAMETFL": "",
        "WFSVISIT": "NULL",
    }
    return "|".join(values[name] for name in COLUMNS)


def write_synthetic_pool(path: Path, rows: int, seed: int = 2025) -> None:
    """Write a `|`-delimited pool of ``rows`` exposures, with a comment header like DMS pools."""
    rnd = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write(f"# synthetic pool for bench/bench_load.py: {rows} rows, seed {seed}\n")
        out.write("|".join(COLUMNS) + "\n")
        for start in range(0, rows, 10_000):
            chunk = [synthetic_row(n, rnd) for n in range(start, min(rows, start + 10_000))]
            out.write("\n".join(chunk) + "\n")


def _load_in_child(pool: str, db_path: str, results: multiprocessing.Queue) -> None:
    from asn_sql.load import load_pools

    start = time.perf_counter()
    loaded = load_pools(Path(db_path), [Path(pool)], delimiter="|", replace=False)[0]
    seconds = time.perf_counter() - start
    # Linux reports ru_maxrss in KiB.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results.put((loaded.row_count, seconds, peak))


def time_load(label: str, pool: Path, workdir: Path) -> Timing:
    """Load ``pool`` into a new database in a spawned process (a fork would share our peak)."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    db_path = workdir / f"{pool.stem}.duckdb"
    child = context.Process(target=_load_in_child, args=(str(pool), str(db_path), results))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"loading {pool} failed in the child process (exit {child.exitcode})")
    rows, seconds, peak = results.get()
    return Timing(label, rows, seconds, peak)


def report(timing: Timing) -> None:
    """Print one line of figures."""
    rate = timing.rows / timing.seconds if timing.seconds else float("inf")
    print(
        f"{timing.label:<28} {timing.rows:>10,} rows  {timing.seconds:8.2f} s  "
        f"{rate:>12,.0f} rows/s  peak {timing.peak_mib:8.0f} MiB"
    )


def main(argv: list[str] | None = None) -> int:
    """Time both loads; exit 1 when the generated pool misses the target rate."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="Rows in the generated pool.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="asnsql-bench-") as tmp:
        workdir = Path(tmp)
        report(time_load(MEGA_POOL.name, MEGA_POOL, workdir))
        synthetic = workdir / f"synthetic_{args.rows}.csv"
        start = time.perf_counter()
        write_synthetic_pool(synthetic, args.rows)
        size = synthetic.stat().st_size / 2**20
        print(f"(generated {synthetic.name}: {size:,.0f} MiB in {time.perf_counter() - start:.1f} s)")
        timing = time_load(synthetic.name, synthetic, workdir)
        report(timing)
    budget = TARGET_SECONDS_PER_MILLION * args.rows / 1_000_000
    if timing.seconds > budget:
        print(f"slower than the target of {budget:.1f} s for {args.rows:,} rows", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
