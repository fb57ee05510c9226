"""Command line: `python -m bot ask "câu hỏi" --json`, `python -m bot ask --jsonl FILE`,
`python -m bot chat` (terminal chat with the running server)."""
from __future__ import annotations

import argparse
import json
import sys

from bot.text import nfc


def _ask(args: argparse.Namespace) -> int:
    from bot.assistant import Assistant

    assistant = Assistant()
    if args.jsonl:
        source = sys.stdin if args.jsonl == "-" else open(args.jsonl, encoding="utf-8")
        with source:
            for n, line in enumerate(source, 1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                    question = nfc(str(item["question"]))
                except (ValueError, KeyError, TypeError) as exc:
                    print(f"line {n}: expected {{\"id\": ..., \"question\": ...}}: {exc}", file=sys.stderr)
                    return 2
                out = {"id": item.get("id"), **assistant.ask(question)}
                print(json.dumps(out, ensure_ascii=False), flush=True)
        return 0
    if not args.question:
        print("Give a question, or --jsonl FILE.", file=sys.stderr)
        return 2
    result = assistant.ask(nfc(args.question))
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(result["answer"])
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot")
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="answer a question with the trained model and the KB")
    ask.add_argument("question", nargs="?")
    ask.add_argument("--json", action="store_true", help="print the evaluation JSON object")
    ask.add_argument("--jsonl", metavar="FILE", help="read {id, question} lines, write one object per line")
    chat = sub.add_parser("chat", help="chat in the terminal with the running server")
    chat.add_argument("--url", default="http://localhost:5005")
    args = parser.parse_args(argv)
    if args.command == "ask":
        return _ask(args)
    from bot.chat import chat_loop

    return chat_loop(args.url)


if __name__ == "__main__":
    sys.exit(main())
