"""Shared fixtures: the spaCy pipeline and one pipeline run per corpus, built once per session."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
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


# ---- a running `ckg serve`, for the endpoint tests and the browser test ----------------


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RunningServer:
    """`ckg serve` in a child process on a free loopback port."""

    def __init__(self, store: Path, *options: str) -> None:
        import subprocess
        import sys
        import time

        import httpx

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "etl", "serve", "--store", str(store)]
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port), *options],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ckg serve exited: {self.process.stderr.read().decode()}")  # type: ignore[union-attr]
            try:
                httpx.get(self.url + "/sparql", timeout=2)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("ckg serve did not answer within 60 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except Exception:
            self.process.kill()
            self.process.wait(5)


@pytest.fixture(scope="session")
def server(examples_run: tuple[Path, RunReport]):  # type: ignore[no-untyped-def]
    """A read-only endpoint over the examples store: 2 workers, a 3 s time limit, 500 rows."""
    out, _ = examples_run
    running = RunningServer(
        out / "store", "--timeout", "3", "--max-rows", "500", "--max-body", "20000"
    )
    yield running
    running.stop()


# A stand-in for a remote server: tests that must never call out assert it saw nothing.
class Listener:
    """A TCP port on loopback that records every connection made to it."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while self.running:
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.server.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()
