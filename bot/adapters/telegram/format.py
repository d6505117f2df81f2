"""A Reply as Telegram HTML: the only markup Telegram takes (<b>, <i>, <pre>), everything else escaped.

Blocks are paragraphs separated by a blank line; a block of lines keeps its lines together ("• " before a
bullet, a heading in bold). The disclaimer, already the last block of every Reply, is set in italics.
"""

from __future__ import annotations

import html

from bot.render import Block, Line, Reply

MAX_CHARS = 4096  # Telegram's limit for one message (the tightest of any surface)


def telegram_html(reply: Reply) -> str:
    *body, last = reply.blocks
    text = "\n\n".join(_block(b) for b in body).rstrip()
    return f"{text}\n\n{_block(last)}" if text else _block(last)


def _block(block: Block) -> str:
    kind = block.kind
    if kind == "title":
        return f"<b>{_esc(block.text)}</b>"
    if kind == "alert":  # what to do in an emergency is read first
        return f"<b>{_esc(block.text)}</b>"
    if kind in ("note", "disclaimer"):
        return f"<i>{_esc(block.text)}</i>"
    if kind == "pre":
        return f"<pre>{_esc(block.text)}</pre>"
    if kind == "lines":
        return "\n".join(_line(line) for line in block.lines)
    return _esc(block.text)  # text, source


def _line(line: Line) -> str:
    if line.kind == "bullet":
        return f"• {_esc(line.text)}"
    if line.kind == "heading":
        return f"<b>{_esc(line.text)}</b>"
    return _esc(line.text)


def _esc(text: str) -> str:
    return html.escape(text, quote=False)
