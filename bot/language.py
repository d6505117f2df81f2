"""Is a message in another language? Offline, with lingua's models (shipped in the package).

Only messages that look foreign to the catalog's own vocabulary are asked about, so an English question
costs nothing; the detector is built at its first use, for the languages `understanding.yaml` names, in
lingua's low-accuracy mode (trigram models: ~15 MB, loads in ~50 ms, plenty for a sentence).
"""

from __future__ import annotations

from functools import cache

from lingua import Language, LanguageDetectorBuilder

CONFIDENCE = 0.6  # lingua's relative confidence of the top language (asked only when no English-only word is in the
# message and most of its words, names left out, are unknown to the catalog)
MIN_LETTERS = 8  # shorter texts ("u ok", "hiii") are too short to tell
# letters and marks English does not use, and the languages that use them: a message with some is in the
# likeliest language that uses them all, however unsure lingua is between its neighbours ("¿Qué es el síndrome
# de Lambert-Eaton?": German 0.31, Spanish 0.31; only Spanish writes "¿")
MARKS = {
    Language.SPANISH: frozenset("¿¡ñáéíóúü"),
    Language.PORTUGUESE: frozenset("ãõâêôçáéíóúàü"),
    Language.FRENCH: frozenset("çâêôàèùéëïîûœü"),
    Language.ITALIAN: frozenset("àèéìòùí"),
    Language.GERMAN: frozenset("äöüß"),
    Language.RUSSIAN: frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюя"),
}
FOREIGN_MARKS = frozenset().union(*MARKS.values())


def known_language(name: str) -> bool:
    return isinstance(getattr(Language, name.upper(), None), Language)


@cache
def _detector(names: tuple[str, ...]) -> object:
    langs = [getattr(Language, n.upper()) for n in names if known_language(n)]
    return LanguageDetectorBuilder.from_languages(Language.ENGLISH, *langs).with_low_accuracy_mode().build()


def detect(text: str, names: tuple[str, ...]) -> str | None:
    """The name (as `names` spells it) of the language `text` is written in, when it is one of `names`."""
    if not names or sum(c.isalpha() for c in text) < MIN_LETTERS:
        return None
    detector = _detector(names)
    values = detector.compute_language_confidence_values(text)  # type: ignore[attr-defined]
    if not values:
        return None
    marks = FOREIGN_MARKS.intersection(text.lower())
    marked = bool(marks)
    top = next((v for v in values if marks <= MARKS.get(v.language, frozenset())), None) if marked else values[0]
    if top is None or top.language == Language.ENGLISH or (not marked and top.value < CONFIDENCE):
        return None
    name = top.language.name.lower()
    return next((n for n in names if n.lower() == name), None)
