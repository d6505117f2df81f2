"""The terminal chat: the same brain as Telegram, one conversation, for anyone without a token.

Usage: python -m bot chat   (type a question; a number presses that button; empty line or Ctrl-D quits)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from bot.brain import Brain
from bot.render import CALLBACK_PREFIX, Block, Reply

CHAT_KEY = "console"


def plain_text(reply: Reply) -> str:
    """A Reply for a terminal: paragraphs, "• " bullets, headings and titles as they are, no markup."""
    return "\n\n".join(_block(b) for b in reply.blocks)


def _block(block: Block) -> str:
    if block.kind == "lines":
        return "\n".join(f"• {line.text}" if line.kind == "bullet" else line.text for line in block.lines)
    return block.text


def show(reply: Reply, out: TextIO) -> None:
    out.write("\n" + plain_text(reply) + "\n")
    for n, button in enumerate(reply.buttons, 1):
        out.write(f"  [{n}] {button.label}\n")
    out.write("\n")
    out.flush()


def run(brain: Brain, read: Callable[[str], str], out: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
    """Loop until end of input or 'quit'; a bare number presses the matching button of the last reply."""
    last = brain.press("welcome", CHAT_KEY, clock())
    show(last, out)
    while True:
        try:
            line = read("you> ")
        except (EOFError, KeyboardInterrupt):
            out.write("\nBye.\n")
            return
        text = line.strip()
        if text.lower() in ("quit", "exit", "/quit"):
            out.write("Bye.\n")
            return
        if text.isdigit() and 1 <= int(text) <= len(last.buttons):
            data = last.buttons[int(text) - 1].data
            last = brain.press(data.removeprefix(CALLBACK_PREFIX), CHAT_KEY, clock())
        elif text in ("/help", "/start"):
            last = brain.press("welcome", CHAT_KEY, clock())
        else:
            last = brain.reply(line, CHAT_KEY, clock())
        show(last, out)
