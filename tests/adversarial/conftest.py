"""Fixtures of the adversarial suite: one loaded database, copied for each test."""

from __future__ import annotations

from pathlib import Path

import pytest

from .failure_harness import copy_db, loaded_db


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with pool_002_image_miri.csv loaded, made once."""
    return loaded_db(tmp_path_factory.mktemp("template"))


@pytest.fixture
def small_db(template_db: Path, tmp_path: Path) -> Path:
    """A private copy of ``template_db`` in this test's folder, as tmp_path/db/asn.duckdb."""
    return copy_db(template_db, tmp_path / "db")
