"""RDF files given to `ckg validate` are read without touching the network.

A local listener stands in for a remote server: remote JSON-LD contexts and
external XML entities pointing at it must be refused with a clear error, and
the listener must receive no connection.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from etl.cli import app
from etl.errors import EXIT_ERROR, InputError
from etl.validate import read_dataset, validate_file

from .conftest import Listener


def remote_context(path: Path, port: int) -> Path:
    document = {
        "@context": f"http://127.0.0.1:{port}/context.jsonld",
        "@id": "https://example.org/a",
        "name": "x",
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def external_entity(path: Path, port: int) -> Path:
    path.write_text(
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE rdf:RDF [<!ENTITY ext SYSTEM "http://127.0.0.1:{port}/entity">\n'
        '  <!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns:ex="https://example.org/">\n'
        '  <rdf:Description rdf:about="https://example.org/a">'
        "<ex:p>&ext;&secret;</ex:p></rdf:Description>\n"
        "</rdf:RDF>\n",
        encoding="utf-8",
    )
    return path


def test_remote_jsonld_context_is_refused_not_fetched(tmp_path: Path, listener: Listener) -> None:
    path = remote_context(tmp_path / "remote.jsonld", listener.port)
    with pytest.raises(InputError, match=r"remote\.jsonld: not valid JSON-LD") as error:
        validate_file(path)
    assert "never fetched" in str(error.value)
    assert listener.connections == 0


def test_external_xml_entity_is_refused_not_fetched(tmp_path: Path, listener: Listener) -> None:
    path = external_entity(tmp_path / "entity.rdf", listener.port)
    with pytest.raises(InputError, match=r"entity\.rdf: not valid RDF/XML"):
        read_dataset(path)
    assert listener.connections == 0


def test_cli_reports_the_refusal_as_an_error(tmp_path: Path, listener: Listener) -> None:
    path = remote_context(tmp_path / "remote.jsonld", listener.port)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == EXIT_ERROR
    assert "remote.jsonld" in result.output and "Traceback" not in result.output
    assert listener.connections == 0


def test_inline_jsonld_context_is_read(tmp_path: Path) -> None:
    path = tmp_path / "inline.jsonld"
    document = {
        "@context": {"name": "https://example.org/name"},
        "@id": "https://example.org/a",
        "name": "x",
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    dataset = read_dataset(path)
    assert [str(o) for o in dataset.objects()] == ["x"]


def test_rdf_xml_without_entities_is_read(tmp_path: Path) -> None:
    path = tmp_path / "plain.rdf"
    path.write_text(
        '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns:ex="https://example.org/"><rdf:Description rdf:about="https://example.org/a">'
        "<ex:p>x</ex:p></rdf:Description></rdf:RDF>\n",
        encoding="utf-8",
    )
    assert [str(o) for o in read_dataset(path).objects()] == ["x"]
