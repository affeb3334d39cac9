"""Time `make-pool` against the least any header reader must do: astropy reading each
primary header and every card's value. Prints ms per file, the ratio, and peak memory.

Run from the repository root (needs astropy):

    python bench/bench_make_pool.py                 # 100, 400 and 1600 files
    python bench/bench_make_pool.py --files 250 1000

Each measurement runs in a fresh child process after astropy is imported, so the
times exclude the imports and ``ru_maxrss`` is that run's alone (make-pool's
includes duckdb, which asnsql imports). The files have 200
header cards each, about as many as a JWST uncal file's primary header.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def write_files(folder: Path, count: int) -> list[str]:
    """``count`` FITS files of 200 cards each: strings, ints, floats, bools."""
    from astropy.io import fits

    paths = []
    for n in range(count):
        header = fits.Header()
        header["PROGRAM"] = "01234"
        header["OBSERVTN"] = f"{1 + n // 100:03d}"
        header["TARGNAME"] = f"TARGET {n // 50}"
        for k in range(197):
            value = [f"VALUE {k} {n}", k * n, k / 7 + n, k % 2 == 0][k % 4]
            header[f"KEY{k:05d}"] = value
        path = folder / f"jw01234{n:06d}_uncal.fits"
        fits.PrimaryHDU(header=header).writeto(path)
        paths.append(str(path))
    return paths


def _baseline(files: list[str]) -> None:
    from astropy.io import fits

    for name in files:
        dict(fits.getheader(name).items())


def _make_pool(files: list[str]) -> None:
    from asn_sql.tools.make_pool import make_pool, pool_text

    pool_text(make_pool(files))


def _child(task: str, files: list[str], queue: multiprocessing.Queue) -> None:
    # Imports are not what is measured (asn_sql.tools.make_pool brings duckdb with it).
    import astropy.io.fits  # noqa: F401

    import asn_sql.tools.make_pool  # noqa: F401

    start = time.perf_counter()
    {"baseline": _baseline, "make_pool": _make_pool}[task](files)
    seconds = time.perf_counter() - start
    queue.put((seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def measure(task: str, files: list[str]) -> tuple[float, float]:
    """Seconds and peak resident MiB of one task in a fresh process."""
    queue: multiprocessing.Queue = multiprocessing.Queue()
    process = multiprocessing.Process(target=_child, args=(task, files, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, nargs="+", default=[100, 400, 1600])
    args = parser.parse_args()
    print("files  baseline ms/file  make-pool ms/file  ratio  peak MiB (baseline, make-pool)")
    for count in args.files:
        with tempfile.TemporaryDirectory() as folder:
            files = write_files(Path(folder), count)
            base, base_mib = measure("baseline", files)
            made, made_mib = measure("make_pool", files)
        print(
            f"{count:5d}  {1000 * base / count:16.2f}  {1000 * made / count:17.2f}  "
            f"{made / base:5.2f}  {base_mib:.0f}, {made_mib:.0f}"
        )


if __name__ == "__main__":
    main()
