"""The shared manifest test vectors against the reference reader and the JSON Schema.

Shells in other languages run the same files: a vector that one reader accepts and another
rejects is a contract bug.
"""

import json
from pathlib import Path

import jsonschema
import pytest
from desktop_django.manifest import ManifestError, validate
from desktop_django_tools.stage.manifest_writer import SCHEMA_PATH

ROOT = Path(__file__).resolve().parents[2]
VECTORS = Path(__file__).parent / "vectors"
SCHEMA = json.loads(SCHEMA_PATH.read_text())

valid = sorted((VECTORS / "valid").glob("*.json"))
invalid = sorted((VECTORS / "invalid").glob("*.json"))


def test_schema_is_itself_valid():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", valid, ids=[p.stem for p in valid])
def test_valid_vectors_pass_reader_and_schema(path):
    manifest = json.loads(path.read_text())
    validate(manifest)
    jsonschema.validate(manifest, SCHEMA)


@pytest.mark.parametrize("path", invalid, ids=[p.stem for p in invalid])
def test_invalid_vectors_are_rejected_naming_the_field(path):
    vector = json.loads(path.read_text())
    with pytest.raises(ManifestError) as caught:
        validate(vector["manifest"])
    assert caught.value.field == vector["field"], vector["description"]
    if vector["field"]:
        assert f"`{vector['field']}`" in str(caught.value)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(vector["manifest"], SCHEMA)


def test_there_are_enough_vectors_to_mean_something():
    assert len(valid) >= 3
    assert len(invalid) >= 20
