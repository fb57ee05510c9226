"""Project-level checks: Rasa's data validation, NFC training data, the CLI contract."""
from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_rasa_data_validate():
    result = subprocess.run(
        [str(BIN / "rasa"), "data", "validate", "--fail-on-warnings", "--data", "nlu_data",
         "--domain", "domain.yml", "--config", "config.yml"],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.mark.parametrize("path", sorted((REPO / "nlu_data").glob("*.yml")) + sorted((REPO / "tests" / "data").glob("*.yml"))
                         + sorted((REPO / "procedures_kb" / "data").rglob("*.yml")), ids=lambda p: p.name)
def test_data_files_are_nfc(path):
    text = path.read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", text)


@pytest.mark.model
def test_cli_json_contract(tmp_path, kb_url):
    env = {"KB_DATABASE_URL": kb_url, "PATH": str(BIN)}
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps({"id": 1, "question": "lam giay khai sinh can gi"}, ensure_ascii=False) + "\n"
        + json.dumps({"id": "b", "question": "thời tiết hôm nay thế nào"}, ensure_ascii=False) + "\n",
        encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "bot", "ask", "--jsonl", str(questions)],
                            cwd=REPO, capture_output=True, text=True, timeout=600, env={**__import__("os").environ, **env})
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [json.loads(l) for l in result.stdout.splitlines() if l.startswith("{")]
    assert [l["id"] for l in lines] == [1, "b"]
    first, second = lines
    assert set(first) == {"id", "intent", "procedure", "candidates", "answer"}
    assert first["intent"]["name"] == "ask_documents" and 0 <= first["intent"]["confidence"] <= 1
    assert first["procedure"]["code"] == "1.001193"
    assert all(set(c) == {"code", "name", "score"} for c in first["candidates"])
    assert "Giấy chứng sinh" in first["answer"] or "giấy chứng sinh" in first["answer"].lower()
    assert second["procedure"] is None


@pytest.mark.model
def test_conversation_stories_without_prediction_errors(tmp_path):
    """`rasa test core` on real conversations; any wrong intent or action fails the run."""
    result = subprocess.run(
        [str(BIN / "rasa"), "test", "core", "--stories", "tests/test_stories.yml", "--model", "models",
         "--fail-on-prediction-errors", "--out", str(tmp_path / "results")],
        cwd=REPO, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
