"""Time `asnsql load` on mega_pool.csv and on a generated pool: seconds, rows/s, peak memory.

Run from the repository root:

    python bench/bench_load.py                # mega_pool.csv and a 1,000,000-row pool
    python bench/bench_load.py --rows 200000

Each load runs in a fresh child process, so the peak resident memory printed for
it (``ru_maxrss``) is that load's alone: DuckDB allocates outside Python's heap,
where tracemalloc sees nothing. CPU seconds are the child's user + system time;
next to the wall time they show whether another process was competing for the
cores. Exit status 1 when the generated pool loads slower than the target.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
MEGA_POOL = ROOT / "fixtures" / "pools" / "mega_pool.csv"
TARGET_SECONDS_PER_MILLION = 20.0

# One pool row per number n: mega_pool's 57 columns in DMS upper case, values
# that vary the way an archive pool's do (programs, observations, visits, modes,
# detectors, dithers, an occasional empty cell) and ASN_CANDIDATE lists of one or
# two candidates. hash() makes it varied yet the same on every run.
# pick(list, n, salt): one element of the list, the same for the same n and salt
PICK_SQL = "create macro pick(xs, n, salt) as xs[1 + (hash(n, salt) % len(xs))::integer]"
SYNTHETIC_POOL_SQL = """
copy (
    with modes(m, instrume, exp_type, detectors, filters, optics, subarrays, template) as (
        values
        (0, 'NIRCAM', 'NRC_IMAGE', ['NRCA1', 'NRCA2', 'NRCB1', 'NRCALONG'],
            ['F090W', 'F200W', 'F444W'], ['CLEAR', 'F162M'], ['FULL', 'SUB160'],
            'NIRCam Imaging'),
        (1, 'MIRI', 'MIR_IMAGE', ['MIRIMAGE'], ['F560W', 'F770W', 'F1130W'], ['NULL'],
            ['FULL', 'BRIGHTSKY'], 'MIRI Imaging'),
        (2, 'NIRSPEC', 'NRS_FIXEDSLIT', ['NRS1', 'NRS2'], ['F100LP', 'F170LP'],
            ['G140M', 'G235H'], ['SUBS200A1', 'FULL'], 'NIRSpec Fixed Slit Spectroscopy'),
        (3, 'NIRISS', 'NIS_WFSS', ['NIS'], ['GR150R', 'GR150C'], ['F150W', 'F200W'],
            ['FULL'], 'NIRISS Wide Field Slitless Spectroscopy'),
        (4, 'MIRI', 'MIR_MRS', ['MIRIFUSHORT', 'MIRIFULONG'], [''], ['NULL'], ['FULL'],
            'MIRI Medium Resolution Spectroscopy')
    ),
    numbers as (
        select
            n,
            (hash(n, 'mode') % 5)::integer             as m,
            1000 + n // 50000                           as program,
            1 + (n // 400) % 300                        as obs,
            1 + (n // 40) % 10                          as visit,
            1 + n % 8                                   as expo,
            1 + (n // 8) % 5                            as act
        from range($rows) as r(n)
    ),
    rows as (
        select
            x.*,
            o.*,
            pick(o.detectors, n, 'detector')                            as detector,
            pick(o.optics, n, 'optic')                                  as optic,
            o.instrume = 'NIRSPEC'                                      as is_spec,
            lpad(program::varchar, 5, '0') || lpad(obs::varchar, 3, '0')
                || lpad(visit::varchar, 3, '0')                         as visit_id
        from numbers as x
        join modes as o using (m)
    )
    select line from (
    select 0 as k, '# synthetic pool written by bench/bench_load.py' as line
    union all
    select 1, $header
    union all
    select 2 + n, concat_ws('|',
        'jw' || visit_id || '_02' || lpad(act::varchar, 3, '0') || '_'
            || lpad(expo::varchar, 5, '0') || '_' || lower(detector) || '_uncal.fits',
        program, obs,
        if(n % 97 = 0, 'PRIME_WFSC_ROUTINE', 'PRIME_TARGETED_FIXED'),
        if(n % 13 = 0 and instrume = 'NIRCAM', 'NRC_TACQ', exp_type),
        instrume, detector, 1 + obs % 7,
        if(n % 13 = 0, 'TARGET_ACQUISITION', 'SCIENCE'),
        pick(filters, n, 'filter'),
        if(is_spec, 'NULL', optic),
        if(is_spec, optic, 'NULL'),
        '[(''o' || lpad(obs::varchar, 3, '0') || ''', ''observation'')'
            || if(n % 3 = 0, ', (''c' || (1000 + obs % 40) || ''', '''
                || pick(['mosaic', 'background', 'group', 'coronagraphy'], n, 'c')
                || ''')', '')
            || ']',
        if(n % 211 = 0, 'T', 'F'),
        pick(subarrays, n, 'subarray'),
        'V' || visit_id || 'P00000000' || lpad(act::varchar, 2, '0') || '02101',
        visit, visit_id, '02', 1, lpad(act::varchar, 2, '0'), expo, 8, expo,
        case when ends_with(detector, 'LONG') then 'LONG'
             when instrume = 'NIRCAM' then 'SHORT' else '' end,
        'TARGET-' || obs % 7, 'NGC ' || (1000 + obs % 7), 'FIXED', template, expo, 1,
        1 + act % 3, 1 + expo % 4, 1,
        if(detector like 'NRCA%', 'A', ''),
        'NULL',
        pick(['NONE', '2-POINT-NOD', 'CYCLING', 'INTRAMODULE'], n, 'pattern'),
        1, 4,
        pick(['SMALL', 'MEDIUM', ''], n, 'size'),
        1, 1 + expo % 4, 1, 'NONE', detector || '_FULL', '2024_3',
        if(is_spec, 'S200A1', 'NULL'),
        if(exp_type = 'MIR_MRS', 'SHORT', 'NULL'),
        if(is_spec, printf('%.7f', (hash(n, 'x') % 10000000)::integer / 1e7), ''),
        if(is_spec, printf('%.7f', (hash(n, 'y') % 10000000)::integer / 1e7), ''),
        if(n % 501 = 0, 'UNSUCCESSFUL', 'NULL'),
        'F', 'F',
        if(n % 37 = 0, 'T', 'F'),
        if(is_spec, 'PRIMARYPARK_ALLOPEN', ''),
        '', 'NULL'
    )
    from rows
    ) order by k
) to '{path}' (format csv, header false, quote '', escape '', delimiter '\x01')
"""
COLUMNS = (
    "FILENAME|PROGRAM|OBS_NUM|VISITYPE|EXP_TYPE|INSTRUME|DETECTOR|TARGETID|PNTGTYPE|FILTER|PUPIL|"
    "GRATING|ASN_CANDIDATE|TSOVISIT|SUBARRAY|OBS_ID|VISIT|VISIT_ID|VISITGRP|SEQ_ID|ACT_ID|"
    "EXPOSURE|NEXPOSUR|EXPCOUNT|CHANNEL|TARGPROP|TARGNAME|TARGTYPE|TEMPLATE|PNTG_SEQ|TARGORDN|"
    "EXPSPCIN|DITHPTIN|MOSTILNO|MODULE|DITHERID|PATTTYPE|PATTSTRT|NUMDTHPT|PATTSIZE|SUBPXPNS|"
    "PATT_NUM|SUBPXNUM|SUBPIXEL|APERNAME|SDP_VER|FXD_SLIT|BAND|GWA_XTIL|GWA_YTIL|EXPOSERR|IS_PSF|"
    "IS_IMPRT|BKGDTARG|MSASTATE|MSAMETFL|WFSVISIT"
)


@dataclass
class Timing:
    """One load, as measured in its child process."""

    label: str
    rows: int
    seconds: float
    cpu_seconds: float
    peak_mib: float


def write_synthetic_pool(path: Path, rows: int) -> None:
    """Write a `|`-delimited pool of ``rows`` exposures with a comment line and a header."""
    # COPY takes no parameter for its target, so the (temporary, our own) path is
    # written into the statement; everything else is bound.
    with duckdb.connect(":memory:") as con:
        con.execute("set enable_progress_bar = false")
        con.execute(PICK_SQL)
        con.execute(
            SYNTHETIC_POOL_SQL.replace("{path}", str(path).replace("'", "''")),
            {"rows": rows, "header": COLUMNS},
        )


def _load_in_child(pool: str, db_path: str, results: multiprocessing.Queue) -> None:
    from asn_sql.io.load import load_pools

    start = time.perf_counter()
    loaded = load_pools(Path(db_path), [Path(pool)], delimiter="|", replace=False)[0]
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # Linux reports ru_maxrss in KiB.
    results.put(
        (loaded.row_count, seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)
    )


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
    rows, seconds, cpu_seconds, peak = results.get()
    return Timing(label, rows, seconds, cpu_seconds, peak)


def report(timing: Timing) -> None:
    """Print one line of figures."""
    rate = timing.rows / timing.seconds if timing.seconds else float("inf")
    print(
        f"{timing.label:<26} {timing.rows:>10,} rows {timing.seconds:7.2f} s "
        f"({timing.cpu_seconds:6.2f} s CPU) {rate:>10,.0f} rows/s  peak {timing.peak_mib:6.0f} MiB",
        flush=True,
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
        print(f"(wrote {synthetic.name}: {size:,.0f} MiB in {time.perf_counter() - start:.1f} s)")
        timing = time_load(synthetic.name, synthetic, workdir)
        report(timing)
    budget = TARGET_SECONDS_PER_MILLION * args.rows / 1_000_000
    if timing.seconds > budget:
        print(f"slower than the target of {budget:.1f} s for {args.rows:,} rows", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
