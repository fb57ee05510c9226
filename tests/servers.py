"""Start the action server and the Rasa server as real processes for end-to-end tests."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Tuple

import requests

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text(errors='replace')[-4000:]}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise RuntimeError(f"server not ready after {timeout}s:\n{log.read_text(errors='replace')[-4000:]}")


@contextmanager
def running_assistant(workdir: Path, kb_url: str) -> Iterator[Tuple[str, Path, Path]]:
    """Yield (rasa base URL, rasa log, action log) with both servers up; stop them after."""
    env = {**os.environ, "KB_DATABASE_URL": kb_url, "RASA_TELEMETRY_ENABLED": "false",
           "TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    action_port, rasa_port = free_port(), free_port()
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n')
    action_log, rasa_log = workdir / "actions.log", workdir / "rasa.log"
    procs = []
    try:
        with open(action_log, "w") as alog:
            procs.append(subprocess.Popen(
                [str(BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(action_port)],
                cwd=REPO, env=env, stdout=alog, stderr=subprocess.STDOUT))
        _wait(f"http://127.0.0.1:{action_port}/health", procs[0], action_log, 120)
        with open(rasa_log, "w") as rlog:
            procs.append(subprocess.Popen(
                [str(BIN / "rasa"), "run", "--enable-api", "--port", str(rasa_port), "--interface",
                 "127.0.0.1", "--model", str(REPO / "models"), "--endpoints", str(endpoints),
                 "--credentials", str(REPO / "credentials.yml")],
                cwd=REPO, env=env, stdout=rlog, stderr=subprocess.STDOUT))
        base = f"http://127.0.0.1:{rasa_port}"
        _wait(f"{base}/status", procs[1], rasa_log, 300)
        yield base, rasa_log, action_log
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
