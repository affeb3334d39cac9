"""Making a run's files durable: an fsync of each file against one sync of the machine.

    python bench/bench_sync.py [--files 1 10 30 100 300 1000] [--repeat 5] [--folder DIR]

For each count, --repeat times in turn: that many new files of an association's size
(2.7 KB) are written into a new folder under --folder (default: the system's temporary
folder; give one on the file system you write associations to), then made durable
three ways, each timed (wall, medians, with the smallest and largest):

- "fsync each": each file's fsync, one after the other, then the folder's;
- "fsync 8 at a time": the same on 8 threads, as asn_sql/io/staged_files.py does for a
  run of few files (a file system may commit concurrent syncs together);
- "os.sync": one sync of the whole machine, which also waits for every other process's
  unwritten data (its cost depends on what else runs), as staged_files does past
  SYNC_EACH_MAX files.

The load average is printed beside each count.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TEXT = (("x" * 60 + "\n") * 45).encode()


def write(folder: Path, n: int) -> int:
    """``n`` new files in a new ``folder``; the folder's descriptor."""
    folder.mkdir()
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    for i in range(n):
        file = os.open(f"f{i}.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666, dir_fd=fd)
        os.write(file, TEXT)
        os.close(file)
    return fd


def _fsync(fd: int, i: int) -> None:
    file = os.open(f"f{i}.json", os.O_RDONLY, dir_fd=fd)
    try:
        os.fsync(file)
    finally:
        os.close(file)


def each(fd: int, n: int) -> None:
    for i in range(n):
        _fsync(fd, i)
    os.fsync(fd)


def threaded(fd: int, n: int) -> None:
    with ThreadPoolExecutor(min(8, n)) as pool:
        list(pool.map(lambda i: _fsync(fd, i), range(n)))
    os.fsync(fd)


def whole(fd: int, n: int) -> None:
    os.sync()


WAYS: dict[str, Callable[[int, int], None]] = {
    "fsync each": each,
    "fsync 8 at a time": threaded,
    "os.sync": whole,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, nargs="+", default=[1, 10, 30, 100, 300, 1000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.folder) as scratch:
        for n in args.files:
            times: dict[str, list[float]] = {way: [] for way in WAYS}
            for r in range(args.repeat):
                for way, sync in WAYS.items():
                    folder = Path(scratch) / f"{way.replace(' ', '_')}_{n}_{r}"
                    fd = write(folder, n)
                    started = time.perf_counter()
                    sync(fd, n)
                    times[way].append(time.perf_counter() - started)
                    os.close(fd)
                    shutil.rmtree(folder)
            print(
                f"{n:6,} files: "
                + "; ".join(
                    f"{way} {statistics.median(t) * 1000:.1f} ms "
                    f"({min(t) * 1000:.1f}–{max(t) * 1000:.1f})"
                    for way, t in times.items()
                )
                + f"; load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
