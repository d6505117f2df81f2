"""A bot Reply as web HTML: the ONE place the web chat reads `reply.text` (and its buttons and kind).

`Reply` is about to become surface-neutral blocks with one formatter per surface; until then this
translates the Telegram HTML that bot/render.py makes (<b>, <i>, <pre>, blank lines between paragraphs,
"• " lines) into paragraphs, lists and line breaks. Whatever else the text holds is escaped again, so
even a stray "<" in a reply would be shown, never interpreted. The disclaimer is already the last
paragraph of every Reply; it is only given a class here, never added.
"""

from __future__ import annotations

import html
import re

from bot.render import CALLBACK_PREFIX, Reply

BULLET = "• "
_TAG = re.compile(r"(</?(?:b|i|pre)>)")
_HTML_TAG = {
    "<b>": "<strong>",
    "</b>": "</strong>",
    "<i>": "<em>",
    "</i>": "</em>",
    "<pre>": "<pre>",
    "</pre>": "</pre>",
}
KIND_LABELS = {
    "urgent": "Urgent: get help now",
    "clarify": "A question for you",
}
BOT_NAME = "Prednisone guide"


def reply_html(reply: Reply, *, form_token: str, anchor: str) -> str:
    """One bot message as a list item of the conversation log: a label, the text, its buttons.

    `form_token` goes into the buttons' form (it works without JavaScript); `anchor` is the item's id.
    The urgent card is marked by a labelled badge and a heavy border, not by colour alone.
    """
    kind = reply.kind if reply.kind in ("answer", "clarify", "fallback", "urgent", "notice") else "notice"
    label = KIND_LABELS.get(kind)
    badge = f' <span class="badge badge-{kind}">{_esc(label)}</span>' if label else ""
    mark = '<span class="badge-icon" aria-hidden="true">⚠ </span>' if kind == "urgent" else ""
    who = f'<p class="who">{mark}{_esc(BOT_NAME)}{badge}</p>'
    parts = [f'<li class="msg bot kind-{kind}" id="{_esc(anchor)}" tabindex="-1">', who, _body(reply.text)]
    if reply.buttons:
        group = "Choose one" if kind == "clarify" else "Related topics"
        parts.append(
            f'<form class="choices" method="post" action="/">'
            f'<input type="hidden" name="token" value="{_esc(form_token)}">'
            f'<div role="group" aria-label="{group}">'
        )
        for button in reply.buttons:
            card = button.data.removeprefix(CALLBACK_PREFIX)
            parts.append(f'<button type="submit" name="card" value="{_esc(card)}">{_esc(button.label)}</button>')
        parts.append("</div></form>")
    parts.append("</li>")
    return "".join(parts)


def _body(text: str) -> str:
    """Telegram HTML → paragraphs, lists and line breaks; the last paragraph is the disclaimer."""
    blocks = _blocks(text)
    out = []
    for n, block in enumerate(blocks):
        if n == len(blocks) - 1:
            out.append(f'<p class="disclaimer">{_inline(block)}</p>')
        elif block.startswith("<pre>"):
            out.append(_inline(block))
        else:
            out.append(_block(block))
    return '<div class="text">' + "".join(out) + "</div>"


def _blocks(text: str) -> list[str]:
    """Blank-line separated blocks, keeping a <pre> block whole even when it holds blank lines."""
    blocks: list[str] = []
    for piece in re.split(r"(<pre>.*?</pre>)", text, flags=re.DOTALL):
        if piece.startswith("<pre>"):
            blocks.append(piece)
        else:
            blocks.extend(b.strip("\n") for b in re.split(r"\n\s*\n", piece) if b.strip())
    return blocks


def _block(block: str) -> str:
    """Lines of one block: runs of "• " lines become a list, other lines a paragraph with line breaks."""
    out: list[str] = []
    lines: list[str] = []
    items: list[str] = []
    for line in block.split("\n"):
        if line.startswith(BULLET):
            if lines:
                out.append("<p>" + "<br>".join(_inline(x) for x in lines) + "</p>")
                lines = []
            items.append(line[len(BULLET) :])
        else:
            if items:
                out.append("<ul>" + "".join(f"<li>{_inline(x)}</li>" for x in items) + "</ul>")
                items = []
            lines.append(line)
    if lines:
        out.append("<p>" + "<br>".join(_inline(x) for x in lines) + "</p>")
    if items:
        out.append("<ul>" + "".join(f"<li>{_inline(x)}</li>" for x in items) + "</ul>")
    return "".join(out)


def _inline(text: str) -> str:
    """Keep <b>, <i>, <pre> (balanced per block); everything else is text, escaped once whatever it held."""
    out: list[str] = []
    open_tags: list[str] = []
    for piece in _TAG.split(text):
        if piece in _HTML_TAG:
            if piece.startswith("</"):
                if open_tags and open_tags[-1] == piece[2:-1]:
                    open_tags.pop()
                    out.append(_HTML_TAG[piece])
            else:
                open_tags.append(piece[1:-1])
                out.append(_HTML_TAG[piece])
        elif piece:
            out.append(_esc(html.unescape(piece)))
    out.extend(_HTML_TAG[f"</{tag}>"] for tag in reversed(open_tags))
    return "".join(out)


def _esc(text: str) -> str:
    return html.escape(text, quote=True)
