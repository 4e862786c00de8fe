"""`ckg run` killed (SIGKILL) or interrupted (Ctrl-C) half-way through writing its outputs.

Each test runs `ckg run` as a child process over a batch while an earlier run's
outputs are in the output folder, stops it as soon as its staging folder
appears, and checks that the earlier outputs are byte for byte intact, that the
store opens, and that the next run completes and equals a clean run.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pyoxigraph import RdfFormat

from etl.config import Settings
from etl.pipeline import STAGING_PREFIX, run_pipeline
from etl.store import open_store

from .conftest import EXAMPLES

pytestmark = pytest.mark.slow
OUTPUT_FILES = ("graph.trig", "graph.ttl", "validation.ttl", "run.json")
EXTRA = (
    "Fresh fighting near Kupiansk\n"
    "Russian forces launched an attack on Kupiansk overnight, officials said.\n"
    "About 2,500 troops were deployed near Kupiansk, the ministry reported.\n"
)


def sorted_nquads(store_dir: Path) -> bytes:
    data = open_store(store_dir).dump(format=RdfFormat.N_QUADS) or b""
    return b"".join(sorted(data.splitlines(keepends=True)))


def snapshot(out: Path) -> dict[str, bytes]:
    files = {name: (out / name).read_bytes() for name in OUTPUT_FILES}
    return {**files, "store": sorted_nquads(out / "store")}


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, bytes]]:
    """The examples; the examples plus one more article; a clean run of the second."""
    base = tmp_path_factory.mktemp("crash")
    first, second = base / "first", base / "second"
    shutil.copytree(EXAMPLES, first)
    shutil.copytree(EXAMPLES, second)
    (second / "07_extra.txt").write_text(EXTRA, encoding="utf-8")
    clean = base / "clean"
    run_pipeline([second], clean, Settings())
    return first, second, snapshot(clean)


def start_run(sources: Path, out: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "etl", "run", str(sources), "--out", str(out), "--quiet"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def stop_when_staging_appears(process: subprocess.Popen[bytes], out: Path, sig: int) -> None:
    """Send `sig` the moment the run starts writing (its staging folder exists)."""
    deadline = time.monotonic() + 300
    while not any(out.glob(f"{STAGING_PREFIX}*")):
        assert process.poll() is None, "the run ended before it could be stopped"
        assert time.monotonic() < deadline, "the run never started writing"
        time.sleep(0.001)
    process.send_signal(sig)


@pytest.fixture
def previous_run(tmp_path: Path, batches: tuple[Path, Path, dict[str, bytes]]) -> Path:
    out = tmp_path / "out"
    run_pipeline([batches[0]], out, Settings())
    return out


def test_sigkill_while_writing_leaves_previous_outputs_intact(
    previous_run: Path, batches: tuple[Path, Path, dict[str, bytes]]
) -> None:
    _, second, clean = batches
    before = snapshot(previous_run)
    process = start_run(second, previous_run)
    stop_when_staging_appears(process, previous_run, signal.SIGKILL)
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL

    assert snapshot(previous_run) == before  # every file and the store, byte for byte
    assert len(open_store(previous_run / "store")) > 0

    run_pipeline([second], previous_run, Settings())
    after = snapshot(previous_run)
    assert after["store"] == clean["store"]
    assert after["graph.trig"] == clean["graph.trig"]
    assert after["graph.ttl"] == clean["graph.ttl"]
    assert not list(previous_run.glob(f"{STAGING_PREFIX}*")), "the killed run's staging stays"


def test_ctrl_c_stops_cleanly_with_a_message(
    previous_run: Path, batches: tuple[Path, Path, dict[str, bytes]]
) -> None:
    second = batches[1]
    before = snapshot(previous_run)
    process = start_run(second, previous_run)
    stop_when_staging_appears(process, previous_run, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr.decode()
    assert "interrupted: earlier outputs are left as they were" in stderr.decode()
    assert "Traceback" not in stderr.decode()

    assert snapshot(previous_run) == before
    assert not list(previous_run.glob(f"{STAGING_PREFIX}*")), "staging folder left behind"


def test_swap_stopped_between_its_renames_is_recovered(previous_run: Path) -> None:
    """Killed after the old store moved aside but before the new one moved in."""
    store, aside = previous_run / "store", previous_run / "store.old"
    expected = sorted_nquads(store)
    store.rename(aside)
    assert sorted_nquads(store) == expected  # readers find the last complete store
    from etl.store import swap_in

    replacement = previous_run / "new-store"
    shutil.copytree(aside, replacement)
    swap_in(replacement, store)
    assert sorted_nquads(store) == expected
    assert not aside.exists() and not replacement.exists()


def test_an_interrupt_right_after_the_staging_folder_is_made_leaves_none(
    previous_run: Path, batches: tuple[Path, Path, dict[str, bytes]], monkeypatch
) -> None:
    """Ctrl-C can land after a staging folder exists but before the run has named it."""
    from etl import pipeline

    made = pipeline._staging_folder

    def made_then_interrupted(out_dir: Path) -> Path:
        made(out_dir)
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "_staging_folder", made_then_interrupted)
    before = snapshot(previous_run)
    with pytest.raises(KeyboardInterrupt):
        run_pipeline([batches[1]], previous_run, Settings(workers=1))
    assert not list(previous_run.glob(f"{STAGING_PREFIX}*")), "staging folder left behind"
    assert snapshot(previous_run) == before


def test_outputs_get_the_mode_a_plain_write_would_give(tmp_path: Path) -> None:
    """mkstemp makes temporary files private: outputs came out 0600, unreadable to others."""
    from etl.export import atomic_write

    umask = os.umask(0o022)
    os.umask(umask)
    fresh = tmp_path / "graph.trig"
    atomic_write(fresh, b"x")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask
    kept = tmp_path / "report.html"
    kept.write_bytes(b"old")
    kept.chmod(0o640)
    atomic_write(kept, b"new")
    assert kept.read_bytes() == b"new" and stat.S_IMODE(kept.stat().st_mode) == 0o640
