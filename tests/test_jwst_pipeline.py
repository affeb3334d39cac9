"""The Python example of the documentation, run with jwst's own pipeline when jwst is
installed (skipped otherwise: jwst is no dependency of asnsql).

A real calibration needs CRDS reference files, out of reach offline and in CI, so the
pipeline is called as the example calls it but with every step skipped: what runs is how
jwst opens an association given as a dict (its ModelLibrary reads each member's metadata),
which is what fails when the members are looked for in the wrong folder.
To run it: a Python with jwst 3.0.0 and asnsql's dependencies, ``pytest
tests/test_jwst_pipeline.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("jwst.pipeline")

from jwst.datamodels import ModelContainer  # noqa: E402
from jwst.pipeline import Image3Pipeline  # noqa: E402
from stdatamodels.jwst import datamodels  # noqa: E402

import asn_sql  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ASN = "jw01234-o001_image3_00001_asn.json"
_PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def _example() -> str:
    """The ```python block that calls Image3Pipeline, from the README or the docs pages."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    blocks = [
        block
        for page in pages
        if page.is_file()
        for block in _PYTHON_BLOCK.findall(page.read_text(encoding="utf-8"))
        if "Image3Pipeline.call" in block
    ]
    assert len(blocks) == 1, blocks
    return blocks[0]


def _tiny_image(path: Path, exposure: int) -> None:
    """A calibrated NIRCam image of 8 x 8 pixels that jwst's datamodels open."""
    model = datamodels.ImageModel((8, 8))
    meta = model.meta
    meta.instrument.name, meta.instrument.detector = "NIRCAM", "NRCBLONG"
    meta.exposure.type = "NRC_IMAGE"
    meta.observation.program_number, meta.observation.observation_number = "01234", "001"
    meta.observation.visit_number, meta.observation.visit_group = "001", "01"
    meta.observation.sequence_id, meta.observation.activity_id = "1", "01"
    meta.observation.exposure_number = str(exposure)
    model.save(path)
    model.close()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding asn/ with the association of make-pool's example, as asnsql
    writes it, beside its members; and fixtures/ for the example's generate call."""
    from asn_sql.api import generate_documents
    from asn_sql.engine.run import GenerateOptions

    generate_documents(
        tmp_path / "asn.duckdb",
        str(ROOT / "fixtures" / "make_pool" / "pool_default.csv"),
        GenerateOptions(levels=(3,)),
        output_dir=tmp_path / "asn",
    )
    members = json.loads((tmp_path / "asn" / ASN).read_text())["products"][0]["members"]
    assert len(members) == 2
    for number, member in enumerate(members, 1):
        _tiny_image(tmp_path / "asn" / member["expname"], number)
    (tmp_path / "fixtures").symlink_to(ROOT / "fixtures")
    monkeypatch.chdir(tmp_path)
    # No parameter files from CRDS: the steps' defaults.
    monkeypatch.setenv("STPIPE_DISABLE_CRDS_STEPPARS", "1")
    monkeypatch.setenv("CRDS_PATH", str(tmp_path / "crds"))
    return tmp_path


def _skip_every_step(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Image3Pipeline.call with every step skipped; returns the libraries it opened."""
    call, load = Image3Pipeline.call.__func__, Image3Pipeline._load_input_as_library
    opened: list[object] = []

    def skipping_call(cls, *args, **kwargs):
        kwargs["steps"] = {name: {"skip": True} for name in cls.step_defs}
        return call(cls, *args, **kwargs)

    def recording_load(self, input_data):
        library = load(self, input_data)
        opened.append(library)
        return library

    monkeypatch.setattr(Image3Pipeline, "call", classmethod(skipping_call))
    monkeypatch.setattr(Image3Pipeline, "_load_input_as_library", recording_load)
    return opened


def test_the_documented_example_runs_image3_on_the_loaded_association(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    opened = _skip_every_step(monkeypatch)
    exec(compile(_example(), "the documented example", "exec"), {})
    (library,) = opened
    with library:
        names = [library.read_metadata(i)["meta.filename"] for i in range(len(library))]
    assert names == [
        "jw01234001001_01101_00001_nrcblong_cal.fits",
        "jw01234001001_01101_00002_nrcblong_cal.fits",
    ]
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("jw99009-") and "_asn.json" in printed[0]


def test_the_same_call_on_the_plain_document_looks_in_the_current_folder(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the example did before load_asn kept the association's folder.
    _skip_every_step(monkeypatch)
    plain = asn_sql.load_asn(workdir / "asn" / ASN, resolve=False)
    with pytest.raises(FileNotFoundError, match="jw01234001001_01101_00001_nrcblong_cal.fits"):
        Image3Pipeline.call(plain)


def test_datamodels_open_the_members_of_the_loaded_association_from_elsewhere(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Spec3, Coron3 and Tso3 open an association dict with ModelContainer.
    (workdir / "elsewhere").mkdir()
    monkeypatch.chdir(workdir / "elsewhere")
    asn = asn_sql.load_asn("../asn/" + ASN)
    with ModelContainer(asn) as container:
        assert [model.meta.exposure.type for model in container] == ["NRC_IMAGE"] * 2
    with datamodels.open(asn) as opened:
        assert len(opened) == 2
