"""The ontology, shapes, queries and examples are found from an installed wheel, not only
from a checkout: build the wheel, install it into a throwaway venv, run `ckg run` there."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow


def test_wheel_runs_outside_the_checkout(tmp_path):
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next(dist.glob("conflict_kg-*.whl"))

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            text=True,
        ).strip()
    )
    # The dependencies come from this environment's site-packages (no download); the
    # package itself only from the wheel: a plain path entry runs none of the .pth hooks
    # there, so the editable install of the checkout stays invisible.
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr[-2000:]

    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    where = subprocess.check_output(
        [str(python), "-c", "import etl; print(etl.__file__)"], cwd=work, env=env, text=True
    )
    assert str(env_dir) in where, f"etl was imported from {where}, not from the wheel"
    run = subprocess.run(
        [str(env_dir / "bin" / "ckg"), "run", "--out", str(work / "out"), "-q"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "8 ok" in run.stdout
    assert (work / "out" / "graph.trig").stat().st_size > 0
    assert "<svg" in (work / "out" / "report.html").read_text(encoding="utf-8")  # template found
    queries = subprocess.run(
        [str(env_dir / "bin" / "ckg"), "queries"], cwd=work, env=env, capture_output=True, text=True
    )
    assert "troop-figures" in queries.stdout
