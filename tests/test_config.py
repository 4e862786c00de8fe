"""Unit tests for etl/config.py: Settings and load_settings precedence.

flag (overrides) > CKG_* environment > ckg.toml [ckg] / [tool.ckg] > defaults.
Every call passes environ= explicitly and runs in tmp_path, so neither the real
environment nor a ckg.toml in the working folder can leak in.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from etl.config import DEFAULT_BASE_IRI, Settings, load_settings
from etl.errors import ConfigError


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def write_toml(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


# ---------------------------------------------------------------- defaults


def test_defaults() -> None:
    settings = load_settings(environ={})
    assert settings == Settings()
    assert settings.base_iri == DEFAULT_BASE_IRI == "https://w3id.org/conflict-kg/id/"
    assert settings.include_text is True
    assert settings.model == ""
    assert settings.batch_size == 32
    assert settings.max_chars == 200_000


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().batch_size = 4  # type: ignore[misc]


# ---------------------------------------------------------------- environment


def test_environment_overrides_defaults() -> None:
    settings = load_settings(
        environ={
            "CKG_BASE_IRI": "https://example.org/kg/",
            "CKG_INCLUDE_TEXT": "false",
            "CKG_BATCH_SIZE": "8",
        }
    )
    assert settings.base_iri == "https://example.org/kg/"
    assert settings.include_text is False
    assert settings.batch_size == 8
    assert isinstance(settings.batch_size, int)
    assert settings.max_chars == 200_000  # untouched


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("Yes", True),
        (" on ", True),
        ("0", False),
        ("FALSE", False),
        ("no", False),
        ("off", False),
    ],
)
def test_boolean_spellings(raw: str, expected: bool) -> None:
    assert load_settings(environ={"CKG_INCLUDE_TEXT": raw}).include_text is expected


def test_unrelated_environment_variables_ignored() -> None:
    settings = load_settings(environ={"CKG_UNRELATED_THING": "x", "BATCH_SIZE": "3"})
    assert settings == Settings()


# ---------------------------------------------------------------- file < env < flags


def test_file_then_environment_then_overrides(tmp_path: Path) -> None:
    config = write_toml(
        tmp_path / "ckg.toml",
        '[ckg]\nbase_iri = "https://file.example/id/"\nbatch_size = 4\n'
        'model = "file_model"\ninclude_text = false\n',
    )
    from_file = load_settings(environ={}, config_file=config)
    assert from_file.base_iri == "https://file.example/id/"
    assert from_file.batch_size == 4
    assert from_file.model == "file_model"
    assert from_file.include_text is False

    environ = {"CKG_BASE_IRI": "https://env.example/id/", "CKG_BATCH_SIZE": "8"}
    from_env = load_settings(environ=environ, config_file=config)
    assert from_env.base_iri == "https://env.example/id/"
    assert from_env.batch_size == 8
    assert from_env.model == "file_model"  # the file still counts where env is silent

    flagged = load_settings(
        overrides={"base_iri": "https://flag.example/id/", "model": None, "batch_size": None},
        environ=environ,
        config_file=config,
    )
    assert flagged.base_iri == "https://flag.example/id/"
    assert flagged.batch_size == 8  # None override ignored: env value stays
    assert flagged.model == "file_model"  # None override ignored: file value stays
    assert flagged.include_text is False


def test_overrides_beat_environment() -> None:
    settings = load_settings(
        overrides={"include_text": True, "batch_size": 2},
        environ={"CKG_INCLUDE_TEXT": "false", "CKG_BATCH_SIZE": "8"},
    )
    assert settings.include_text is True
    assert settings.batch_size == 2


def test_none_overrides_are_ignored() -> None:
    settings = load_settings(
        overrides={"base_iri": None, "include_text": None, "batch_size": None, "model": None},
        environ={},
    )
    assert settings == Settings()


def test_tool_ckg_table(tmp_path: Path) -> None:
    config = write_toml(
        tmp_path / "pyproject.toml",
        '[project]\nname = "x"\n\n[tool.ckg]\nbatch_size = 16\n',
    )
    assert load_settings(environ={}, config_file=config).batch_size == 16


def test_ckg_toml_in_working_folder_is_read(tmp_path: Path) -> None:
    write_toml(tmp_path / "ckg.toml", "[ckg]\nbatch_size = 5\n")
    assert load_settings(environ={}).batch_size == 5


def test_ckg_config_environment_names_the_file(tmp_path: Path) -> None:
    config = write_toml(tmp_path / "elsewhere.toml", "[ckg]\nbatch_size = 6\n")
    write_toml(tmp_path / "ckg.toml", "[ckg]\nbatch_size = 5\n")  # not used
    assert load_settings(environ={"CKG_CONFIG": str(config)}).batch_size == 6


def test_file_without_ckg_table_gives_defaults(tmp_path: Path) -> None:
    config = write_toml(tmp_path / "other.toml", "[other]\nbatch_size = 3\n")
    assert load_settings(environ={}, config_file=config) == Settings()


def test_malformed_file_is_a_config_error(tmp_path: Path) -> None:
    config = write_toml(tmp_path / "ckg.toml", "[ckg\nbatch_size = \n")
    with pytest.raises(ConfigError, match=re.escape(str(config))):
        load_settings(environ={}, config_file=config)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape("missing.toml")):
        load_settings(environ={}, config_file=tmp_path / "missing.toml")


# ---------------------------------------------------------------- invalid values


@pytest.mark.parametrize(
    "base_iri",
    ["ftp://example.org/id/", "https://example.org/id", "example.org/id/", ""],
)
def test_invalid_base_iri(base_iri: str) -> None:
    with pytest.raises(ConfigError, match=r"(?i)base.iri") as caught:
        load_settings(overrides={"base_iri": base_iri}, environ={})
    assert repr(base_iri) in str(caught.value)


def test_base_iri_ending_in_hash_is_valid() -> None:
    settings = load_settings(overrides={"base_iri": "http://example.org/id#"}, environ={})
    assert settings.base_iri == "http://example.org/id#"


def test_invalid_base_iri_from_environment() -> None:
    with pytest.raises(ConfigError, match=r"(?i)base.iri"):
        load_settings(environ={"CKG_BASE_IRI": "not-an-iri"})


@pytest.mark.parametrize("source", ["env", "flag"])
def test_batch_size_zero(source: str) -> None:
    environ = {"CKG_BATCH_SIZE": "0"} if source == "env" else {}
    overrides = {"batch_size": 0} if source == "flag" else None
    with pytest.raises(ConfigError, match=r"(?i)batch.size"):
        load_settings(overrides=overrides, environ=environ)


def test_batch_size_not_a_number() -> None:
    with pytest.raises(ConfigError, match=r"batch_size.*'eight'"):
        load_settings(environ={"CKG_BATCH_SIZE": "eight"})


def test_bad_bool() -> None:
    with pytest.raises(ConfigError, match=r"include_text.*'maybe'"):
        load_settings(environ={"CKG_INCLUDE_TEXT": "maybe"})


def test_max_chars_too_small() -> None:
    with pytest.raises(ConfigError, match="max_chars"):
        load_settings(overrides={"max_chars": 10}, environ={})


def test_unknown_setting_in_overrides() -> None:
    with pytest.raises(ConfigError, match="colour"):
        load_settings(overrides={"colour": "red"}, environ={})


def test_unknown_setting_in_file(tmp_path: Path) -> None:
    config = write_toml(tmp_path / "ckg.toml", "[ckg]\nbatchsize = 4\n")
    with pytest.raises(ConfigError, match="batchsize"):
        load_settings(environ={}, config_file=config)


def test_settings_constructor_validates() -> None:
    with pytest.raises(ConfigError, match=r"(?i)batch.size"):
        Settings(batch_size=-1)
    with pytest.raises(ConfigError, match=r"(?i)base.iri"):
        Settings(base_iri="https://example.org")


# ---------------------------------------------------------------- fingerprint


def test_fingerprint_is_stable_and_short() -> None:
    assert Settings().fingerprint() == Settings().fingerprint()
    assert len(Settings().fingerprint()) == 12
    assert all(c in "0123456789abcdef" for c in Settings().fingerprint())


def test_fingerprint_tracks_graph_settings_only() -> None:
    base = Settings()
    assert Settings(base_iri="https://example.org/kg/").fingerprint() != base.fingerprint()
    assert Settings(include_text=False).fingerprint() != base.fingerprint()
    assert Settings(batch_size=1).fingerprint() == base.fingerprint()
    assert Settings(batch_size=512).fingerprint() == base.fingerprint()
