"""The `serve` and `push` commands: help, README, and the errors they give before any network."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from etl.cli import app

from .conftest import ROOT

runner = CliRunner()


@pytest.mark.parametrize("command", ["serve", "push"])
def test_help_and_readme(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output
    assert re.search(rf"`ckg {command}\b", (ROOT / "README.md").read_text())


def test_serve_binds_to_loopback_by_default():
    assert "127.0.0.1" in runner.invoke(app, ["serve", "--help"]).output


def test_allow_update_needs_a_token(tmp_path):
    result = runner.invoke(app, ["serve", "--allow-update", "--store", str(tmp_path)])
    assert result.exit_code == 2 and "--update-token" in result.output


def test_serve_names_a_missing_store(tmp_path):
    result = runner.invoke(app, ["serve", "--store", str(tmp_path / "none")])
    assert result.exit_code == 2 and "no store at" in result.output


def test_push_refuses_a_url_that_is_not_http(tmp_path):
    result = runner.invoke(app, ["push", "--endpoint", "ftp://x/store"])
    assert result.exit_code == 2 and "not an http(s) URL" in result.output
