"""Defects an outside tester found: pools whose names would become paths, outputs that
would overwrite the database or the input, files that are not what they claim, inputs
without bounds, and errors that escaped as internal ones. Each ends in one `Error:`
line, exit 2 (a batch: exit 1 after the others), with the database and files as they were."""

from __future__ import annotations

import shutil
from pathlib import Path

from .failure_harness import POOLS, SMALL_POOL, run, tree


def test_batch_refuses_pools_whose_folder_name_would_be_dot_or_dotdot(tmp_path: Path) -> None:
    pools, out, db = tmp_path / "in", tmp_path / "out", tmp_path / "asn.duckdb"
    pools.mkdir()
    shutil.copy(POOLS / "pool_003_image_nircam.csv", pools / "good.csv")
    first = run("batch", pools / "good.csv", "-p", out, "--db", db, "--workers", "1")
    assert first.code == 0, first.stderr
    before = tree(out)
    shutil.copy(SMALL_POOL, pools / "..csv")
    shutil.copy(SMALL_POOL, pools / "...csv")
    shutil.copy(SMALL_POOL, pools / "other.csv")
    outcome = run("batch", pools, "-p", out, "--db", db, "--workers", "1")
    assert outcome.exception is None, repr(outcome.exception)
    assert outcome.code == 1, outcome.stderr
    errors = [line for line in outcome.stderr.splitlines() if line.startswith("Error:")]
    assert sorted(errors) == sorted(
        f"Error: {pools / name}: cannot name an output folder after this pool "
        f"({stem!r} is not a plain folder name); rename the pool"
        for name, stem in (("..csv", "."), ("...csv", ".."))
    )
    assert "1 pools done, 1 skipped, 2 failed" in outcome.stderr
    # out/good is untouched, out/other is new, nothing was moved aside anywhere.
    after = tree(out)
    assert {k: v for k, v in after.items() if not k.startswith("other")} == before
    assert "other" in after
    assert sorted(p.name for p in tmp_path.iterdir()) == ["asn.duckdb", "in", "out"]
