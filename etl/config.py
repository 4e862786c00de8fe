"""Settings: one frozen dataclass, read once.

Precedence, highest first: command-line flag > `CKG_*` environment variable >
a `[tool.ckg]` / `[ckg]` table in a settings file (`ckg.toml` in the working
folder, or the file named by `CKG_CONFIG`) > the defaults below.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError

DEFAULT_BASE_IRI = "https://w3id.org/conflict-kg/id/"
ENGINES = ("local", "dask")
# Settings that change how the work is run but never the graph it produces.
_HOW_NOT_WHAT = {"batch_size", "workers", "engine", "scheduler"}


@dataclass(frozen=True)
class Settings:
    base_iri: str = DEFAULT_BASE_IRI
    include_text: bool = True  # store ckg:text so offsets and SHACL slice checks work
    model: str = ""  # spaCy model package; empty picks en_core_web_sm, else the re-upload
    batch_size: int = 32  # nlp.pipe batch; 32 keeps memory bounded on long articles
    max_chars: int = 200_000  # longer texts are processed in pieces of at most this size
    workers: int = 0  # extraction processes; 0 means one per core
    engine: str = "local"  # "local" (processes on this machine) or "dask" (a Dask cluster)
    scheduler: str = ""  # Dask scheduler address; empty starts a LocalCluster

    def __post_init__(self) -> None:
        if not self.base_iri.startswith(("http://", "https://")) or not self.base_iri.endswith(
            ("/", "#")
        ):
            raise ConfigError(
                f"base IRI {self.base_iri!r} must be an http(s) IRI ending in '/' or '#'"
            )
        if self.batch_size < 1:
            raise ConfigError(f"batch size must be at least 1, not {self.batch_size}")
        if self.max_chars < 1000:
            raise ConfigError(f"max_chars must be at least 1000, not {self.max_chars}")
        if self.workers < 0:
            raise ConfigError(f"workers must be 0 (one per core) or more, not {self.workers}")
        if self.engine not in ENGINES:
            raise ConfigError(f"engine {self.engine!r}: use one of {', '.join(ENGINES)}")
        if self.scheduler and self.engine != "dask":
            raise ConfigError("a scheduler address needs the dask engine (--engine dask)")

    def fingerprint(self) -> str:
        """A short hash of the settings that change the graph (not of how the work is run)."""
        relevant = {k: v for k, v in asdict(self).items() if k not in _HOW_NOT_WHAT}
        return hashlib.sha256(repr(sorted(relevant.items())).encode()).hexdigest()[:12]


def _coerce(name: str, raw: Any, kind: type) -> Any:
    if kind is bool and isinstance(raw, str):
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"setting {name}: expected true or false, got {raw!r}")
    try:
        return kind(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"setting {name}: expected {kind.__name__}, got {raw!r}") from None


def _from_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read settings: {exc}") from None
    table = data.get("tool", {}).get("ckg") or data.get("ckg") or {}
    return dict(table)


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Settings from flags (`overrides`, None values ignored), environment, file, defaults."""
    environ = os.environ if environ is None else environ
    types = {f.name: type(getattr(Settings(), f.name)) for f in fields(Settings)}
    merged: dict[str, Any] = {}
    path = config_file or (Path(environ["CKG_CONFIG"]) if "CKG_CONFIG" in environ else None)
    if path is None and Path("ckg.toml").is_file():
        path = Path("ckg.toml")
    if path is not None:
        merged.update(_from_file(path))
    for name in types:
        env_name = f"CKG_{name.upper()}"
        if env_name in environ:
            merged[name] = environ[env_name]
    for name, value in (overrides or {}).items():
        if value is not None:
            merged[name] = value
    unknown = sorted(set(merged) - set(types))
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")
    return replace(Settings(), **{k: _coerce(k, v, types[k]) for k, v in merged.items()})
