"""Run the assistant in-process: the trained model's NLU + the same rules and actions.

Used by `python -m bot ask` (the evaluation contract). It loads the newest model from
`models/`, parses with the exact pipeline the server runs (resolution included), then runs the
action the rules pick through rasa-sdk's own ActionExecutor, so answers match the server's.
"""
from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = REPO_ROOT / "models"
RULES_FILE = REPO_ROOT / "nlu_data" / "rules.yml"
DOMAIN_FILE = REPO_ROOT / "domain.yml"


def latest_model(models_dir: Path = MODELS_DIR) -> Path:
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise SystemExit(f"No trained model in {models_dir}: run `make train` first.")
    return models[-1]


def _intent_actions() -> Dict[str, str]:
    """intent → action, read from the rules the server's RulePolicy is trained on."""
    rules = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))["rules"]
    mapping = {}
    for rule in rules:
        steps = rule.get("steps", [])
        if len(steps) == 2 and "intent" in steps[0] and "action" in steps[1]:
            mapping[steps[0]["intent"]] = steps[1]["action"]
    return mapping


class Assistant:
    """One loaded model plus the action executor; answers single questions."""

    def __init__(self, model_path: Optional[Path] = None):
        os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        logging.getLogger("rasa").setLevel(logging.ERROR)
        from rasa.core.agent import Agent
        from rasa_sdk.executor import ActionExecutor

        self.model_path = model_path or latest_model()
        self.agent = Agent.load(str(self.model_path))
        self.executor = ActionExecutor()
        self.executor.register_package("actions")
        self.domain = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))
        self.intent_actions = _intent_actions()
        self.loop = asyncio.new_event_loop()

    def parse(self, text: str) -> Dict[str, Any]:
        return self.loop.run_until_complete(self.agent.parse_message(text))

    def _run_action(self, action: str, parse: Dict[str, Any]) -> List[Dict[str, Any]]:
        if action.startswith("utter_"):
            variants = self.domain["responses"].get(action, [])
            return [variants[0]] if variants else []
        call = {
            "next_action": action,
            "sender_id": "bot-ask",
            "tracker": {
                "sender_id": "bot-ask", "slots": {}, "latest_message": parse, "events": [],
                "paused": False, "followup_action": None, "active_loop": {},
                "latest_action_name": "action_listen",
            },
            "domain": self.domain,
            "version": "3.6.2",
        }
        result = self.loop.run_until_complete(self.executor.run(call))
        return (result or {}).get("responses", [])

    def ask(self, question: str) -> Dict[str, Any]:
        """The evaluation contract's object for one question."""
        parse = self.parse(question)
        intent = parse.get("intent") or {}
        resolution = parse.get("procedure_resolution") or {"status": "none", "candidates": []}
        candidates = resolution.get("candidates", [])[:5]
        action = self.intent_actions.get(intent.get("name"), "action_fallback")
        procedure = None
        # The procedure the answer is about: none when the intent gets a fixed reply (small talk
        # such as "thời tiết hôm nay thế nào" shares words with a weather-forecast licence).
        if resolution.get("status") == "match" and candidates and not action.startswith("utter_"):
            best = candidates[0]
            procedure = {"code": best["code"], "name": best["name"], "confidence": best["score"]}
        responses = self._run_action(action, parse)
        return {
            "intent": {"name": intent.get("name"), "confidence": float(intent.get("confidence") or 0.0)},
            "procedure": procedure,
            "candidates": [{"code": c["code"], "name": c["name"], "score": c["score"]} for c in candidates],
            "answer": "\n\n".join(r.get("text") or "" for r in responses if r.get("text")),
        }
