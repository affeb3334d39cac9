"""The fast indented JSON writer and the shape signature give what the slow paths give."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import EXPECTED

from asn_sql.io.documents import _shape_signature, _shapes, _signature
from asn_sql.io.jsontext import dumps_indented

EDGE_CASES: list[Any] = [
    {},
    [],
    {"a": [], "b": {}},
    [1, -7, True, False, None, 'é\n\t"x\\', "\u2603"],
    {"nested": [{"x": [[], [{}]]}]},
    {"float": 1.5, "nan": float("nan")},  # floats go to json.dumps
    {1: "non-string key"},
]


def test_every_jwst_document_is_written_as_json_dumps_writes_it() -> None:
    paths = sorted(EXPECTED.glob("*/*.json"))
    assert len(paths) > 1_000
    for path in paths:
        data = json.loads(path.read_text())
        assert dumps_indented(data) == json.dumps(data, indent=4), path.name
        assert _shape_signature(data) == _signature(_shapes(data)), path.name


@pytest.mark.parametrize("value", EDGE_CASES)
def test_edge_values_are_written_as_json_dumps_writes_them(value: Any) -> None:
    assert dumps_indented(value) == json.dumps(value, indent=4)
