"""A bot Reply as web HTML: the web chat's one formatter of the surface-neutral Reply (blocks and buttons).

Titles become headings, paragraphs <p>, runs of bullet lines a list, a note or the urgent advice a
highlighted paragraph; every text is escaped here, so nothing in a card or a message is ever markup. The
disclaimer is already the last block of every Reply; it is only given a class here, never added.
"""

from __future__ import annotations

import html

from bot.render import CALLBACK_PREFIX, Block, Line, Reply

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
    parts = [f'<li class="msg bot kind-{kind}" id="{_esc(anchor)}" tabindex="-1">', who, _body(reply)]
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


def _body(reply: Reply) -> str:
    out = [_block(b) for b in reply.blocks]
    return '<div class="text">' + "".join(out) + "</div>"


def _block(block: Block) -> str:
    kind = block.kind
    if kind == "title":
        return f'<p class="title"><strong>{_esc(block.text)}</strong></p>'
    if kind == "alert":
        return f'<p class="alert"><strong>{_esc(block.text)}</strong></p>'
    if kind == "note":
        return f'<p class="note"><em>{_esc(block.text)}</em></p>'
    if kind == "disclaimer":
        return f'<p class="disclaimer"><em>{_esc(block.text)}</em></p>'
    if kind == "pre":
        return f"<pre>{_esc(block.text)}</pre>"
    if kind == "lines":
        return _lines(block.lines)
    if kind == "source":
        return f'<p class="source">{_esc(block.text)}</p>'
    return "<p>" + "<br>".join(_esc(x) for x in block.text.split("\n")) + "</p>"


def _lines(lines: tuple[Line, ...]) -> str:
    """Runs of bullets become a list, other lines a paragraph with line breaks (a heading in bold)."""
    out: list[str] = []
    para: list[str] = []
    items: list[str] = []
    for line in lines:
        if line.kind == "bullet":
            if para:
                out.append("<p>" + "<br>".join(para) + "</p>")
                para = []
            items.append(f"<li>{_esc(line.text)}</li>")
            continue
        if items:
            out.append("<ul>" + "".join(items) + "</ul>")
            items = []
        para.append(f"<strong>{_esc(line.text)}</strong>" if line.kind == "heading" else _esc(line.text))
    if para:
        out.append("<p>" + "<br>".join(para) + "</p>")
    if items:
        out.append("<ul>" + "".join(items) + "</ul>")
    return "".join(out)


def _esc(text: str) -> str:
    return html.escape(text, quote=True)
