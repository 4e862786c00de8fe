"""Shared fixtures: the spaCy pipeline and one pipeline run per corpus, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.config import Settings
from etl.pipeline import RunReport, run_pipeline

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"


def seeds_or_skip() -> Path:
    if not SEEDS.is_dir():
        pytest.skip(f"the seed articles are not here ({SEEDS}); they ship beside the repository")
    return SEEDS


@pytest.fixture(scope="session")
def nlp():  # type: ignore[no-untyped-def]
    from etl.nlp import build_pipeline

    return build_pipeline()


@pytest.fixture(scope="session")
def examples_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunReport]:
    out = tmp_path_factory.mktemp("examples-run")
    return out, run_pipeline([EXAMPLES], out, Settings())


@pytest.fixture(scope="session")
def seeds_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunReport]:
    seeds = seeds_or_skip()
    out = tmp_path_factory.mktemp("seeds-run")
    return out, run_pipeline([seeds], out, Settings())
