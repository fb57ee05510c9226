"""A terminal chat with the running Rasa server over its REST channel (`make shell`)."""
from __future__ import annotations

import uuid

import requests

from bot.text import nfc


def chat_loop(url: str) -> int:
    sender = f"shell-{uuid.uuid4().hex[:8]}"
    webhook = url.rstrip("/") + "/webhooks/rest/webhook"
    print("Trợ lý thủ tục hành chính — gõ câu hỏi, số để bấm nút, /thoat để kết thúc.")
    buttons: list = []
    while True:
        try:
            line = input("Bạn: ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if line in ("/thoat", "/quit", "/exit"):
            return 0
        if line.isdigit() and buttons and 1 <= int(line) <= len(buttons):
            line = buttons[int(line) - 1]["payload"]
        try:
            replies = requests.post(webhook, json={"sender": sender, "message": nfc(line)}, timeout=30).json()
        except requests.RequestException as exc:
            print(f"(Không kết nối được tới {url}: {exc}. Hãy chạy `make run` trước.)")
            continue
        buttons = []
        for reply in replies:
            if reply.get("text"):
                print(f"Trợ lý: {reply['text']}")
            for b in reply.get("buttons") or []:
                buttons.append(b)
                print(f"   [{len(buttons)}] {b['title']}")
