"""Big pools: the generator of bench/, and pools past every size limit of the engine.

The slow tests run a generated pool program by program, and pools of 100,000 rows:
past 2^31 / 100,000 rows (where the candidate order once packed row and position into
one INT32) and past 99,999 associations of one candidate and type (the five digits of
a file name's sequence number).
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

from asn_sql.api import generate_documents
from asn_sql.engine.run import GenerateOptions
from asn_sql.io.documents import Document

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from pool_generator import header, iter_programs, make_pool  # noqa: E402

# Keys that name the pool or a run rather than the association itself.
_POOL_KEYS = ("asn_pool", "constraints", "code_version")


def _generate(tmp_path: Path, name: str, text: str) -> list[Document]:
    pool = tmp_path / name
    pool.write_text(text)
    db_path = tmp_path / f"{name}.duckdb"
    return generate_documents(db_path, str(pool), GenerateOptions(), output_dir=None).documents


def _comparable(doc: Document) -> str:
    return json.dumps({k: v for k, v in doc.data.items() if k not in _POOL_KEYS}, sort_keys=True)


def _program_pool(rows: list[list[str]]) -> str:
    lines = ["|".join(name.upper() for name in header())] + ["|".join(row) for row in rows]
    return "\n".join(lines) + "\n"


def _data_lines(text: str) -> list[list[str]]:
    return [line.split("|") for line in text.splitlines()[2:]]


def test_a_generated_pool_has_exactly_the_rows_asked_for_and_is_repeatable() -> None:
    text = make_pool(2_500, seed=7)
    assert text == make_pool(2_500, seed=7)
    assert text != make_pool(2_500, seed=8)
    lines = text.splitlines()
    assert lines[0].startswith("#")
    columns = lines[1].lower().split("|")
    assert {"filename", "exp_type", "program", "obs_num", "asn_candidate"} <= set(columns)
    rows = _data_lines(text)
    assert len(rows) == 2_500
    assert all(len(row) == len(columns) for row in rows)
    assert make_pool(0, seed=1).count("\n") == 2


def test_a_generated_pool_numbers_observations_and_candidates_per_program() -> None:
    at = {name: i for i, name in enumerate(header())}
    programs = list(iter_programs(20_000, seed=3))
    assert [number for number, _ in programs] == list(range(1, len(programs) + 1))
    assert len(programs) > 20
    types: dict[str, set[str]] = {}
    modes = Counter()
    for number, rows in programs:
        for row in rows:
            assert row[at["program"]] == str(number)
            assert row[at["filename"]].startswith(f"jw{number:05d}")
            assert 1 <= int(row[at["obs_num"]]) <= 999
            modes[row[at["exp_type"]].lower()] += 1
            for acid, ctype in re.findall(r"\('([oc]\d+)', '([^']*)'\)", row[at["asn_candidate"]]):
                if acid.startswith("c"):
                    assert 1000 <= int(acid[1:]) <= 9999
                    types.setdefault(acid, set()).add(ctype.lower())
    # observation numbering restarts in each program; a cNNNN id has one type pool-wide
    assert sum(1 for _, rows in programs if rows[0][at["obs_num"]] == "1") > 1
    assert all(len(found) == 1 for found in types.values())
    for mode in ("nrc_image", "mir_lrs-fixedslit", "nrs_fixedslit", "nrs_msaspec", "nrc_coron"):
        assert modes[mode] > 0, mode


# Eight generates (the pool, then each of its seven programs alone): a sweep; the
# 100,000-row test below checks the same on the last programs of a big pool.
@pytest.mark.slow
def test_a_generated_pool_gives_each_program_the_associations_it_has_alone(
    tmp_path: Path,
) -> None:
    text = make_pool(1_500, seed=0)
    whole = Counter(_comparable(doc) for doc in _generate(tmp_path, "whole.csv", text))
    alone: Counter[str] = Counter()
    for number, rows in iter_programs(1_500, seed=0):
        docs = _generate(tmp_path, f"program_{number}.csv", _program_pool(rows))
        alone.update(_comparable(doc) for doc in docs)
    assert len(whole) > 100
    assert whole == alone


@pytest.mark.slow
def test_a_generated_pool_of_100000_rows_generates_as_its_programs_do(tmp_path: Path) -> None:
    rows = 100_000
    text = make_pool(rows, seed=1)
    documents = _generate(tmp_path, "big.csv", text)
    names = [doc.file_name for doc in documents]
    assert len(names) == len(set(names)) > 40_000
    by_program: dict[str, Counter[str]] = {}
    for doc in documents:
        by_program.setdefault(doc.data["program"], Counter())[_comparable(doc)] += 1
    # the last programs hold rows far past row 21,474: each gives what it gives alone
    programs = list(iter_programs(rows, seed=1))
    for number, program_rows in programs[-3:]:
        alone = _generate(tmp_path, f"program_{number}.csv", _program_pool(program_rows))
        assert by_program[f"{number:05d}"] == Counter(_comparable(doc) for doc in alone)


def _one_observation_pool(n_rows: int) -> str:
    """n_rows MIRI images of one observation: one image2 association each."""
    lines = ["FILENAME|PROGRAM|OBS_NUM|EXP_TYPE|INSTRUME|DETECTOR|FILTER|TARGETID|ASN_CANDIDATE"]
    lines += [
        f"jw99009001001_02101_{n:06d}_mirimage_uncal.fits|99009|1|MIR_IMAGE|MIRI|MIRIMAGE|F560W|"
        "1|[('o001', 'observation')]"
        for n in range(1, n_rows + 1)
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.slow
def test_sequence_numbers_past_99999_keep_every_digit(tmp_path: Path) -> None:
    rows = 100_001
    documents = _generate(tmp_path, "one_observation.csv", _one_observation_pool(rows))
    level2 = sorted(doc.name for doc in documents if doc.data["asn_type"] == "image2")
    assert len(level2) == len(set(level2)) == rows
    sequences = sorted(int(name.split("_")[2]) for name in level2)
    assert sequences == list(range(1, rows + 1))
    assert "jw99009-o001_image2_100001_asn" in level2
