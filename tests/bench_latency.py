"""Latency of one message through the REST channel (`make bench`): 200 messages, real servers.

Starts the action server and the Rasa server as in the end-to-end tests, sends a warm-up, then
200 single messages (dev questions and follow-ups, accented and not) one at a time, and prints
the median and p95 round-trip time.
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import requests
import yaml

from procedures_kb import database_url
from tests.servers import running_assistant

DEV = Path(__file__).parent / "data" / "procedure_dev.yml"
N = 200


def main() -> None:
    questions = [q["q"] for q in yaml.safe_load(DEV.read_text(encoding="utf-8"))["questions"]]
    messages = [questions[i % len(questions)] if i % 4 else "còn lệ phí thì sao?" for i in range(N)]
    with tempfile.TemporaryDirectory() as tmp, running_assistant(Path(tmp), database_url()) as (base, _, _):
        url = f"{base}/webhooks/rest/webhook"
        requests.post(url, json={"sender": "warm", "message": "xin chào"}, timeout=60)
        timings = []
        for i, message in enumerate(messages):
            started = time.perf_counter()
            resp = requests.post(url, json={"sender": f"bench-{i // 4}", "message": message}, timeout=60)
            timings.append((time.perf_counter() - started) * 1000)
            resp.raise_for_status()
    timings.sort()
    p95 = timings[int(0.95 * len(timings)) - 1]
    print(f"REST latency over {len(timings)} messages: median {statistics.median(timings):.1f} ms, "
          f"p95 {p95:.1f} ms, max {timings[-1]:.1f} ms")


if __name__ == "__main__":
    main()
