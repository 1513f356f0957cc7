"""The training-set manifest fixtures shared with vitest (native-models/fixtures/trainset/):
read_manifest accepts the golden manifest as it is and rejects each bad-*.json with the message
expected-errors.json gives; its field lists match the JSON Schema generated from the zod contract
(native-models/schemas/trainset-manifest.schema.json)."""

import glob
import json
import os
import shutil

import pytest

from hsam.data import CLASS_FIELDS, MANIFEST_FIELDS, SLICE_FIELDS, SLICE_STATUS, read_manifest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "fixtures", "trainset")
SCHEMA = os.path.join(ROOT, "schemas", "trainset-manifest.schema.json")


def load(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return json.load(f)


EXPECTED = {k: v for k, v in load("expected-errors.json").items() if not k.startswith("$")}
NEGATIVES = sorted(os.path.basename(p) for p in glob.glob(os.path.join(FIXTURES, "bad-*.json")))


def as_set(tmp_path, name):
    """A set folder whose manifest.json is the fixture ``name``."""
    d = tmp_path / "set"
    d.mkdir()
    shutil.copyfile(os.path.join(FIXTURES, name), d / "manifest.json")
    return str(d)


def test_every_negative_has_an_expectation_and_every_expectation_a_file():
    assert NEGATIVES and NEGATIVES == sorted(EXPECTED)


def test_the_golden_manifest_is_read_as_written(tmp_path):
    m = read_manifest(as_set(tmp_path, "golden.json"))
    assert m == load("golden.json")
    assert [c["name"] for c in m["classes"]][0] == "background" and len(m["slices"]) == 5


@pytest.mark.parametrize("name", NEGATIVES)
def test_each_negative_is_rejected_with_its_message(tmp_path, name):
    d = as_set(tmp_path, name)
    with pytest.raises(ValueError) as e:
        read_manifest(d)
    assert str(e.value) == f"{d}/manifest.json: {EXPECTED[name]['python']}"


def test_the_reader_knows_the_fields_the_schema_names():
    with open(SCHEMA) as f:
        schema = json.load(f)

    def fields(node):
        return {k: k in node.get("required", []) for k in node["properties"]}

    props = schema["properties"]
    assert fields(schema) == MANIFEST_FIELDS
    assert fields(props["classes"]["items"]) == CLASS_FIELDS
    assert fields(props["slices"]["items"]) == SLICE_FIELDS
    assert tuple(props["slices"]["items"]["properties"]["status"]["enum"]) == SLICE_STATUS
    assert props["format"]["const"] == "hsam-trainset/1"
