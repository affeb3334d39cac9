"""A process killed outright (kill -9) leaves nothing that outlives the next command:
its temporary folder is named for it and locked for its life, and the next command
that writes there removes the folders of dead processes, never a live one's
(reliability-2 kind 3)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from asn_sql.io.staged_files import STAGING_PREFIX, Staging, remove_stale_staging

from .failure_harness import SMALL_POOL, digest, run
from .signal_support import staging_folders

# generate, killed with SIGKILL by itself once every file is complete in its temporary
# folder, just before the commit.
_KILLED_BEFORE_COMMIT = """
import os, signal, sys
from asn_sql.io import staged_files
def check_targets(self):
    os.kill(os.getpid(), signal.SIGKILL)
staged_files.StagedFolder.check_targets = check_targets
sys.argv = ["asnsql", *sys.argv[1:]]
from asn_sql.cli.entry import run
run()
"""


@pytest.mark.parametrize("existing", [True, False], ids=["into -p", "beside a new -p"])
def test_a_generate_killed_before_its_commit_is_cleaned_up_by_the_next(
    tmp_path: Path, small_db: Path, existing: bool
) -> None:
    out = tmp_path / "out"
    if existing:
        out.mkdir()
        (out / "mine.txt").write_text("the user's\n")
    before = digest(small_db)
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_BEFORE_COMMIT, "generate", "-p", str(out)]
        + ["--db", str(small_db)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    left = staging_folders(tmp_path, out)
    assert len(left) == 1 and any(left[0].iterdir())  # the crash left its documents
    assert digest(small_db) == before
    again = run("generate", "-p", out, "--db", small_db)
    assert again.code == 0, again.stderr
    assert staging_folders(tmp_path, out) == []
    written = sorted(p.name for p in out.iterdir())
    assert len(written) == 9 + existing
    assert not existing or (out / "mine.txt").read_text() == "the user's\n"


_HOLDER = """
import os, sys
from pathlib import Path
from asn_sql.io.staged_files import Staging
area = Staging(Path(sys.argv[1]))
(area.path / "doc.json").write_text("{}")
print(area.path, flush=True)
sys.stdin.read()
os._exit(0)  # gone without cleaning up, as a killed process
"""


def test_a_live_process_keeps_its_folder_and_a_dead_ones_is_removed(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdin is not None
    path = Path(holder.stdout.readline().strip())
    try:
        assert remove_stale_staging(tmp_path) == []
        assert (path / "doc.json").exists()
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    assert remove_stale_staging(tmp_path) == [path]
    assert not path.exists()


def test_an_unlocked_folder_of_a_dead_process_is_removed_and_a_fresh_one_of_a_live_kept(
    tmp_path: Path,
) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    mine = Staging(tmp_path)
    gone = tmp_path / f"{STAGING_PREFIX}{dead.stdout.strip()}-abc"
    gone.mkdir()
    live = tmp_path / f"{STAGING_PREFIX}{os.getppid()}-abc"
    live.mkdir()
    try:
        assert remove_stale_staging(tmp_path) == [gone]
        assert live.exists() and mine.path.exists()
        # a pid taken by another process since: removed once old enough
        old = time.time() - 3600
        os.utime(live, (old, old))
        assert remove_stale_staging(tmp_path) == [live]
    finally:
        mine.remove()


def test_a_pool_named_like_a_temporary_folder_is_refused(tmp_path: Path) -> None:
    from asn_sql.names import NamingError, pool_folder

    with pytest.raises(NamingError):
        pool_folder(tmp_path, Path(f"{STAGING_PREFIX}1-x.csv"))
    assert pool_folder(tmp_path, SMALL_POOL).name == SMALL_POOL.stem
