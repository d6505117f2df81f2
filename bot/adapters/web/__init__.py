"""The web chat a patient organisation can embed: `python -m bot web` (docs/web.md).

app.py is the server and its routes, page.py the page, format.py the one Reply-to-HTML function,
sessions.py cookies, keyed hashes, rate limits and transcripts, static/ the script and the style sheet.
"""

from bot.adapters.web.app import run

__all__ = ["run"]
