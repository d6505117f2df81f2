"""The HTML of the chat page and of the visitor's own messages. Bot messages come from format.py.

No inline scripts or styles (the Content-Security-Policy forbids them): chat.css and chat.js are files,
linked with a version taken from their content so a new release is never served from a stale cache.
Everything the visitor typed is escaped and shown in a <bdi>, as text, never markup.
"""

from __future__ import annotations

import html

TITLE = "Prednisone in LEMS and ALS: questions and answers"
USER_SHOWN_CHARS = 4096  # the part of a message the bot reads (SPEC §6); the rest is not shown back


def user_html(text: str, *, anchor: str) -> str:
    """The visitor's message, as text: escaped, direction isolated, cut where the bot stops reading."""
    shown = text if len(text) <= USER_SHOWN_CHARS else text[:USER_SHOWN_CHARS] + " …"
    return (
        f'<li class="msg you" id="{html.escape(anchor)}" tabindex="-1"><p class="who">You</p>'
        f'<p class="text"><bdi>{html.escape(shown, quote=False)}</bdi></p></li>'
    )


def page(items: list[str], *, form_token: str, asset_version: str) -> str:
    """The whole page: a skip link, a short introduction, the conversation log, the question form."""
    token = html.escape(form_token)
    v = html.escape(asset_version)
    body = "\n".join(items)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{html.escape(TITLE)}</title>
<link rel="stylesheet" href="/static/chat.css?v={v}">
<script src="/static/chat.js?v={v}" defer></script>
</head>
<body>
<a class="skip" href="#text">Skip to your question</a>
<header class="top">
<h1>Prednisone in LEMS and ALS</h1>
<p>Ask a question about the steroid prednisone in Lambert-Eaton myasthenic syndrome (LEMS) or ALS.
Answers come from checked patient information. No account or phone number needed.</p>
<p class="emergency"><strong>In an emergency, call your local emergency number now</strong> (for example 112, 999
or 911).</p>
</header>
<main>
<h2 class="visually-hidden">Conversation</h2>
<div id="live" role="log" aria-live="polite" aria-relevant="additions" aria-label="Conversation">
<ol id="log" class="log">
{body}
</ol>
</div>
<form id="ask" class="ask" method="post" action="/">
<input type="hidden" name="token" value="{token}">
<label for="text">Your question</label>
<div class="row">
<input id="text" name="text" type="text" autocomplete="off" spellcheck="true" enterkeyhint="send"
 aria-describedby="hint">
<button type="submit" id="send">Send</button>
</div>
<p id="hint" class="hint">For example: “What are the side effects of prednisone?” Press Enter or the Send button.</p>
<p id="status" class="status" role="status"></p>
</form>
</main>
</body>
</html>
"""


def embed_snippet(url: str) -> str:
    """The one line a patient organisation pastes into its page (docs/web.md)."""
    src = html.escape(url.rstrip("/") + "/")
    return (
        f'<iframe src="{src}" title="Prednisone in LEMS and ALS: chat" width="100%" height="640" '
        f'style="border:0;max-width:48rem" loading="lazy"></iframe>'
    )
