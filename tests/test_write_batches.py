"""Documents built, checked and written a batch at a time, with no file left on failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from asn_sql import db
from asn_sql.io.documents import DocumentError, run_documents, write_documents, write_run_documents


@pytest.fixture
def run_db(generated_db) -> Path:
    """A database holding run 1 of pool_004_wfs.csv, the default options."""
    return generated_db("pool_004_wfs.csv")


def test_batches_write_the_same_files_as_one_pass(run_db: Path, tmp_path: Path) -> None:
    con = db.open_database(run_db)
    try:
        whole, batched = tmp_path / "whole", tmp_path / "batched"
        whole.mkdir()
        batched.mkdir()
        documents = run_documents(con, 1)
        assert len(documents) > 5
        write_documents(documents, whole)
        written = write_run_documents(con, 1, batched, batch_size=2)
    finally:
        con.close()
    assert [p.name for p in written] == [doc.file_name for doc in documents]
    assert sorted(p.name for p in batched.iterdir()) == sorted(p.name for p in whole.iterdir())
    for path in whole.iterdir():
        assert (batched / path.name).read_bytes() == path.read_bytes()


def test_a_document_failing_the_schema_in_a_late_batch_leaves_no_file(
    run_db: Path, tmp_path: Path
) -> None:
    con = db.open_database(run_db)
    try:
        last = con.execute("select max(asn_no) from associations where run_id = 1").fetchone()[0]
        # jwst's schemas want a string target
        con.execute(
            "update associations set target = null where run_id = 1 and asn_no = $n", {"n": last}
        )
        out = tmp_path / "out"
        out.mkdir()
        with pytest.raises(DocumentError, match="schema error"):
            write_run_documents(con, 1, out, batch_size=2)
    finally:
        con.close()
    assert list(out.iterdir()) == []
