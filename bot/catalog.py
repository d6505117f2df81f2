"""Load `content/` and `intents/` into frozen objects, collecting every problem with `file:line`.

Nothing here raises on bad data: a broken file yields `Problem`s, and only the CLI turns them into an
exit code. A reload keeps the live catalog unless the new one loads without errors.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

if TYPE_CHECKING:
    from bot.learned import TopicModel
    from bot.understanding import Understanding

CONDITIONS = ("lems", "als", "general")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
MAX_RELATED = 4
MAX_LABEL = 24

REQUIRED_CARD_IDS = (
    "prednisone",
    "lems",
    "als",
    "lems-mechanism",
    "lems-evidence",
    "lems-side-effects",
    "lems-alternatives",
    "als-mechanism",
    "als-evidence",
    "als-side-effects",
    "als-alternatives",
    "side-effects",
    "compare",
    "dosing",
    "stopping",
    "urgent",
    "sources",
    "welcome",
)
REQUIRED_MESSAGES = (
    "disclaimer",
    "fallback",
    "clarify",
    "non_text",
    "error",
    "group_hello",
    "stale_button",
    "long_question",
    "unknown_command",
    "too_long",
    "other_drug",
    "not_english",
    "in_case",
    "no_card_drug",
)
# Cards that are not medical content: no source needed, and answering them is not "in scope".
NON_CONTENT_TOPICS = frozenset({"welcome", "smalltalk", "about"})  # the bot itself, not the subject


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the catalog, located so an admin can jump to it."""

    file: str
    line: int
    message: str
    severity: Literal["error", "warning"] = "error"
    hint: str = ""

    def __str__(self) -> str:
        hint = f" (hint: {self.hint})" if self.hint else ""
        return f"{self.file}:{self.line}: {self.severity}: {self.message}{hint}"


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    publisher: str
    date: str = ""  # when the source itself was published or last updated
    url: str = ""
    read: str = ""  # when we read it (the date the card's facts were checked against it)


REVIEW_STATUSES = ("draft", "reviewed")


@dataclass(frozen=True)
class Review:
    """A card's sign-off, as a medicine leaflet is signed off: who checked it, when, and when to look again.

    `recorded` is False for a card with no `review:` at all, which is treated as a draft.
    """

    status: str = "draft"
    by: str = ""
    date: dt.date | None = None
    due: dt.date | None = None
    recorded: bool = True

    def needs_eye(self, today: dt.date) -> str:
        """Why a clinician should look at the card on `today` ("" when it is signed off and in date)."""
        if not self.recorded:
            return "no review record (treated as a draft)"
        if self.status != "reviewed":
            return "draft: not yet signed off by a clinician"
        if self.due is not None and self.due < today:
            return f"review was due {self.due.isoformat()}"
        return ""


@dataclass(frozen=True)
class Card:
    id: str
    title: str
    label: str
    condition: str
    topic: str
    short: str
    body: str
    sources: tuple[str, ...]
    related: tuple[str, ...]
    file: str = ""
    line: int = 0
    review: Review = Review(recorded=False)

    @property
    def is_content(self) -> bool:
        return self.topic not in NON_CONTENT_TOPICS


@dataclass(frozen=True)
class Intent:
    id: str
    card: str
    examples: tuple[str, ...]
    file: str = ""
    line: int = 0
    example_lines: tuple[int, ...] = ()


@dataclass(frozen=True)
class Guard:
    card: str
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class Lexicon:
    """Words as data: condition names, spellings, scope, guards and urgent phrases (raw, not normalised)."""

    conditions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    spelling: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    in_scope: tuple[str, ...] = ()
    out_of_scope_drugs: tuple[str, ...] = ()
    out_of_scope_conditions: tuple[str, ...] = ()
    out_of_scope_alone: tuple[str, ...] = ()  # off topic unless prednisone, a steroid or a condition is named
    out_of_scope_services: tuple[str, ...] = ()  # off topic even beside a condition: care, money, equipment, people
    guards: tuple[Guard, ...] = ()
    urgent: tuple[str, ...] = ()
    urgent_except: tuple[str, ...] = ()
    stopwords: tuple[str, ...] = ()
    condition_drugs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Catalog:
    cards: Mapping[str, Card]
    intents: tuple[Intent, ...]
    sources: Mapping[str, Source]
    messages: Mapping[str, str]
    lexicon: Lexicon
    understanding: Understanding = field(default_factory=lambda: _empty_understanding())
    model: TopicModel | None = None  # the learned second opinion on the topic (bot/learned.py), when trained

    def variant(self, topic: str, condition: str | None) -> Card | None:
        """The card of `topic` for `condition` (or the general one when condition is None)."""
        want = condition or "general"
        for card in self.cards.values():
            if card.topic == topic and card.condition == want:
                return card
        return None


@dataclass(frozen=True)
class LoadResult:
    catalog: Catalog | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


# --- YAML with line numbers -------------------------------------------------------------------------


class _Map(dict[str, Any]):
    line: int = 0
    key_lines: dict[str, int]


class _List(list[Any]):
    line: int = 0
    item_lines: list[int]


def _convert(node: yaml.Node, loader: yaml.constructor.SafeConstructor, where: str, problems: list[Problem]) -> Any:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out = _Map()
        out.line, out.key_lines = line, {}
        for key_node, value_node in node.value:
            key = str(_construct(loader, key_node))
            if key in out:
                problems.append(
                    Problem(where, key_node.start_mark.line + 1, f"duplicate key {key!r}", hint="keep one of them")
                )
            out[key] = _convert(value_node, loader, where, problems)
            out.key_lines[key] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = _List(_convert(n, loader, where, problems) for n in node.value)
        seq.line, seq.item_lines = line, [n.start_mark.line + 1 for n in node.value]
        return seq
    value = _construct(loader, node)
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


def _construct(loader: yaml.constructor.SafeConstructor, node: yaml.Node) -> Any:
    """A value as YAML reads it; one that cannot be (a 5,000-digit number) is refused at its line."""
    try:
        return loader.construct_object(node)
    except (ValueError, OverflowError) as exc:
        raise _Refused(
            node.start_mark.line + 1, f"a value that cannot be read: {str(exc)[:120]}", "quote it to make it text"
        ) from None


BROKEN = object()  # what read_yaml returns for a file it could not parse (the problem is already recorded)

# Limits on what an admin-editable file can make the bot do. The biggest shipped file is ~40 kB and the
# deepest nests 5 levels; a file past these is a mistake or an attack, refused before it is parsed.
MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 20
_READ_CHUNK = 1 << 16
_NOT_REGULAR = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


class _Refused(Exception):
    """A file the guarded loader will not build: anchors, aliases, nesting too deep."""

    def __init__(self, line: int, message: str, hint: str) -> None:
        super().__init__(message)
        self.line, self.message, self.hint = line, message, hint


_TOO_DEEP = (
    f"lists and mappings nested more than {MAX_DEPTH} deep",
    "the catalog's formats nest a few levels at most; see docs/catalog.md",
)

if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class _Base(yaml.composer.Composer, CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """libyaml's scanner and parser (PyYAML's C extension, in its wheels) with PyYAML's own composer: ten
        times faster than the pure-Python parser, which took most of `check`'s time, with the same nodes."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

else:  # a PyYAML built without libyaml
    _Base = yaml.SafeLoader  # type: ignore[assignment,misc]


class _GuardedLoader(_Base):
    """A safe loader that refuses anchors and aliases and caps nesting, while composing and before any building.

    An alias lets a 1 kB file stand for gigabytes ("billion laughs"), and deep nesting overflows the
    recursive composer; none of our files needs either (an admin copies the text instead).
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0
        self.line = 1  # the line composing has reached, for a problem the parser cannot place

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event: yaml.Event = self.peek_event()  # type: ignore[assignment]  # never None while composing
        line = self.line = event.start_mark.line + 1 if event.start_mark else 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused(
                line,
                "YAML anchors and aliases (&name, *name) are not allowed",
                "write the text out in full where it is needed",
            )
        if not isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            return super().compose_node(parent, index)
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _Refused(line, *_TOO_DEEP)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def read_text(path: Path, root: Path, problems: list[Problem]) -> str | None:
    """The text of one catalog file, read so that the file cannot be turned against the bot.

    Only a regular file whose real path is inside the catalog folder, and at most MAX_FILE_BYTES: a named
    pipe blocks a read forever, a device such as /dev/zero never ends, a link out of the folder would put
    another file's lines into problem messages, and a huge file takes minutes to parse. The type is checked
    before opening (opening some devices does something), the file is opened without blocking and without
    following a link, and the open file is checked again (its name could be swapped in between); the read
    stops at the cap whatever the size said. None (with a Problem at line 1) when refused.
    """
    where = _rel(path, root)

    def refuse(message: str, hint: str) -> None:
        problems.append(Problem(where, 1, message, hint=hint))

    try:
        real, base = os.path.realpath(path), os.path.realpath(root)
        st = os.stat(real)
    except OSError as exc:
        refuse(f"cannot read file: {exc.strerror or exc}", "check that the file exists and can be read")
        return None
    if os.path.commonpath([real, base]) != base:
        refuse("a link to a file outside the catalog folder: not read", "put the file itself in the folder")
        return None
    kind = next((name for test, name in _NOT_REGULAR if test(st.st_mode)), "")
    if kind or not stat.S_ISREG(st.st_mode):
        refuse(f"not a regular file ({kind or 'a special file'}): not read", "replace it with an ordinary YAML file")
        return None
    too_big = (
        f"file is over the {MAX_FILE_BYTES:,} byte limit",
        "split it into several files (content/cards-*.yaml, intents/*.yaml), or remove what is not catalog text",
    )
    if st.st_size > MAX_FILE_BYTES:
        refuse(f"{too_big[0]} ({st.st_size:,} bytes): not read", too_big[1])
        return None
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(real, flags)
    except OSError as exc:
        refuse(f"cannot read file: {exc.strerror or exc}", "check that the file exists and can be read")
        return None
    try:
        now = os.fstat(fd)
        if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            refuse("the file was replaced while it was being read", "save it again; the next reload reads it")
            return None
        data = bytearray()
        while len(data) <= MAX_FILE_BYTES:
            chunk = os.read(fd, min(_READ_CHUNK, MAX_FILE_BYTES + 1 - len(data)))
            if not chunk:
                break
            data += chunk
    except OSError as exc:
        refuse(f"cannot read file: {exc.strerror or exc}", "check that the file exists and can be read")
        return None
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        refuse(f"{too_big[0]} (it grew while being read): not read", too_big[1])
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problems.append(
            Problem(where, line, f"cannot read file: not UTF-8 text ({exc.reason})", hint="save the file as UTF-8")
        )
        return None


def read_yaml(path: Path, root: Path, problems: list[Problem]) -> Any:
    """Parse one file; on a syntax error or a refusal record it with its line and return BROKEN.

    Nothing a file holds escapes as an exception: a parser's RecursionError or MemoryError, or a number too
    long to convert, is a problem at the line the parser had reached.
    """
    where = _rel(path, root)
    text = read_text(path, root, problems)
    if text is None:
        return BROKEN
    loader = _GuardedLoader(text)
    try:
        node = loader.get_single_node()
        return None if node is None else _convert(node, loader, where, problems)
    except _Refused as exc:
        problems.append(Problem(where, exc.line, exc.message, hint=exc.hint))
        return BROKEN
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if "nesting depth" in str(exc.problem):  # libyaml refuses deep nesting before our composer sees it
            problems.append(Problem(where, (mark.line + 1) if mark else 1, _TOO_DEEP[0], hint=_TOO_DEEP[1]))
            return BROKEN
        problems.append(
            Problem(
                where,
                (mark.line + 1) if mark else 1,
                f"YAML syntax: {exc.problem}",
                hint="check the indentation and the '- ' of list items on this line and the one above",
            )
        )
        return BROKEN
    except yaml.YAMLError as exc:
        problems.append(Problem(where, 1, f"YAML: {exc}"))
        return BROKEN
    except (RecursionError, MemoryError, ValueError, OverflowError) as exc:
        problems.append(
            Problem(
                where,
                loader.line,
                f"cannot parse file: {type(exc).__name__}" + (f": {str(exc)[:200]}" if str(exc) else ""),
                hint="simplify the YAML near this line (nesting, very long values)",
            )
        )
        return BROKEN
    finally:
        loader.dispose()


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


# --- field checking ---------------------------------------------------------------------------------


class _Fields:
    """Reads typed fields from one mapping, recording what is missing, unknown or of the wrong type."""

    def __init__(self, m: _Map, where: str, what: str, problems: list[Problem]) -> None:
        self.m, self.where, self.what, self.problems = m, where, what, problems

    def line(self, key: str) -> int:
        return self.m.key_lines.get(key, self.m.line)

    def err(self, key: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.where, self.line(key), f"{self.what}: {message}", hint=hint))

    def unknown(self, allowed: Iterable[str]) -> None:
        allowed = set(allowed)
        for key in self.m:
            if key not in allowed:
                self.err(key, f"unknown key {key!r}", hint="allowed: " + ", ".join(sorted(allowed)))

    def text(self, key: str, *, required: bool = True) -> str:
        value = self.m.get(key)
        if value is None:
            if required:
                self.err(key, f"missing field {key!r}", hint=f"add a line '{key}: ...'")
            return ""
        if not isinstance(value, str) or not value.strip():
            self.err(key, f"{key!r} must be non-empty text")
            return ""
        return value.strip()

    def strings(self, key: str, *, required: bool = True) -> tuple[tuple[str, int], ...]:
        value = self.m.get(key)
        if value is None:
            if required:
                self.err(key, f"missing field {key!r}", hint=f"add '{key}: []' or a list")
            return ()
        if not isinstance(value, _List):
            self.err(key, f"{key!r} must be a list")
            return ()
        out = []
        for item, line in zip(value, value.item_lines, strict=True):
            if not isinstance(item, str) or not item.strip():
                self.problems.append(Problem(self.where, line, f"{self.what}: {key!r} items must be text"))
            else:
                out.append((item.strip(), line))
        return tuple(out)


def _items(data: Any, key: str, where: str, problems: list[Problem]) -> list[_Map]:
    if data is BROKEN:
        return []
    if data is None:
        problems.append(Problem(where, 1, f"file is empty; expected a top-level {key!r} list"))
        return []
    if not isinstance(data, _Map) or key not in data:
        problems.append(Problem(where, 1, f"expected a top-level {key!r} key"))
        return []
    extra = [k for k in data if k != key]
    for k in extra:
        problems.append(Problem(where, data.key_lines[k], f"unknown top-level key {k!r}"))
    items = data[key]
    if not isinstance(items, _List):
        problems.append(Problem(where, data.key_lines[key], f"{key!r} must be a list", hint="one '- item' per line"))
        return []
    out = []
    for item, line in zip(items, items.item_lines, strict=True):
        if isinstance(item, _Map):
            out.append(item)
        else:
            problems.append(Problem(where, line, f"each entry of {key!r} must be a mapping"))
    return out


# --- the parts --------------------------------------------------------------------------------------

_CARD_KEYS = ("id", "title", "label", "condition", "topic", "short", "body", "sources", "related", "review")
_REVIEW_KEYS = ("status", "by", "date", "due")
_INTENT_KEYS = ("id", "card", "examples")


def _load_cards(files: list[Path], root: Path, problems: list[Problem]) -> list[Card]:
    cards = []
    for path in files:
        where = _rel(path, root)
        for m in _items(read_yaml(path, root, problems), "cards", where, problems):
            f = _Fields(m, where, f"card {m.get('id', '?')!r}", problems)
            f.unknown(_CARD_KEYS)
            cid = f.text("id")
            if cid and not ID_RE.match(cid):
                f.err("id", f"bad id {cid!r}", hint="lowercase letters, digits and '-', at most 40")
            title = f.text("title")
            label = f.text("label", required=False) or title
            if len(label) > MAX_LABEL and "label" in m:
                f.err("label", f"label longer than {MAX_LABEL} characters")
            condition = f.text("condition")
            if condition and condition not in CONDITIONS:
                f.err("condition", f"condition {condition!r} is not one of {', '.join(CONDITIONS)}")
            related = f.strings("related", required=True)
            if len(related) > MAX_RELATED:
                f.err("related", f"at most {MAX_RELATED} related cards")
            review = _review(m, where, cid, problems)
            cards.append(
                Card(
                    id=cid,
                    title=title,
                    label=label[:64],
                    condition=condition,
                    topic=f.text("topic"),
                    short=f.text("short"),
                    body=f.text("body"),
                    sources=tuple(s for s, _ in f.strings("sources")),
                    related=tuple(r for r, _ in related),
                    file=where,
                    line=m.line,
                    review=review,
                )
            )
    return cards


def _review(card: _Map, where: str, cid: str, problems: list[Problem]) -> Review:
    """A card's `review: {status, by, date, due}`; a card without one is a draft (check says so)."""
    if "review" not in card:
        return Review(recorded=False)
    raw = card["review"]
    what = f"card {cid or '?'!r} review"
    if not isinstance(raw, _Map):
        problems.append(
            Problem(
                where,
                card.key_lines["review"],
                f"{what}: must be a mapping",
                hint="review: {status: draft} or {status: reviewed, by: Dr A. Name, date: 2026-12-02, due: 2027-12-02}",
            )
        )
        return Review()
    f = _Fields(raw, where, what, problems)
    f.unknown(_REVIEW_KEYS)
    status = f.text("status")
    if status and status not in REVIEW_STATUSES:
        f.err("status", f"status {status!r} is not one of {', '.join(REVIEW_STATUSES)}")
        status = "draft"
    by = f.text("by", required=status == "reviewed")
    signed = _iso_date(f, "date", required=status == "reviewed")
    due = _iso_date(f, "due", required=status == "reviewed")
    if signed and due and due <= signed:
        f.err("due", f"due {due.isoformat()} is not after the review date {signed.isoformat()}")
    return Review(status=status or "draft", by=by, date=signed, due=due)


def _iso_date(f: _Fields, key: str, *, required: bool) -> dt.date | None:
    if key not in f.m:
        if required:
            f.err(key, f"a reviewed card needs {key!r}", hint=f"add '{key}: YYYY-MM-DD'")
        return None
    text = f.text(key)
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        f.err(key, f"{key!r} must be a date written YYYY-MM-DD, not {text!r}")
        return None


def _load_intents(files: list[Path], root: Path, problems: list[Problem]) -> list[Intent]:
    intents = []
    for path in files:
        where = _rel(path, root)
        for m in _items(read_yaml(path, root, problems), "intents", where, problems):
            f = _Fields(m, where, f"intent {m.get('id', '?')!r}", problems)
            f.unknown(_INTENT_KEYS)
            examples = f.strings("examples")
            if "examples" in m and not examples:
                f.err("examples", "an intent needs at least one example")
            intents.append(
                Intent(
                    id=f.text("id"),
                    card=f.text("card"),
                    examples=tuple(e for e, _ in examples),
                    file=where,
                    line=m.line,
                    example_lines=tuple(n for _, n in examples),
                )
            )
    return intents


def _load_sources(path: Path, root: Path, problems: list[Problem]) -> dict[str, Source]:
    where = _rel(path, root)
    out: dict[str, Source] = {}
    if not path.exists():
        problems.append(Problem(where, 1, "missing file: the cards' sources are listed here"))
        return out
    for m in _items(read_yaml(path, root, problems), "sources", where, problems):
        f = _Fields(m, where, f"source {m.get('id', '?')!r}", problems)
        f.unknown(("id", "title", "publisher", "date", "url", "read"))
        src = Source(
            id=f.text("id"),
            title=f.text("title"),
            publisher=f.text("publisher"),
            date=f.text("date", required=False),
            url=f.text("url", required=False),
            read=f.text("read", required=False),
        )
        if src.id in out:
            f.err("id", f"duplicate source id {src.id!r}")
        out[src.id] = src
    return out


def _load_messages(path: Path, root: Path, problems: list[Problem]) -> dict[str, str]:
    where = _rel(path, root)
    if not path.exists():
        problems.append(Problem(where, 1, "missing file: the bot's fixed texts and the disclaimer live here"))
        return {}
    data = read_yaml(path, root, problems)
    if data is BROKEN:
        return {}
    if not isinstance(data, _Map) or not isinstance(data.get("messages"), _Map):
        problems.append(Problem(where, 1, "expected a top-level 'messages' mapping"))
        return {}
    m = data["messages"]
    f = _Fields(m, where, "messages", problems)
    f.unknown(REQUIRED_MESSAGES)
    out = {key: f.text(key) for key in REQUIRED_MESSAGES}
    if out.get("clarify") and "{topic}" not in out["clarify"]:
        f.err("clarify", "the clarify text must contain {topic}")
    for key, text in out.items():
        for problem in template_problems(text, MESSAGE_FIELDS.get(key, ())):
            f.err(key, f"{key!r}: {problem}", hint=_template_hint(MESSAGE_FIELDS.get(key, ())))
    return out


# The placeholders the code fills in each message (render.py: clarify with str.format, other_drug by
# replacing {drug}; the Telegram adapter: group_hello's {bot}). Any other brace in a message is an error:
# in clarify it makes every clarifying reply fail; elsewhere it is shown to users as typed.
MESSAGE_FIELDS: Mapping[str, tuple[str, ...]] = {
    "clarify": ("topic",),
    "other_drug": ("drug",),
    "no_card_drug": ("drug",),
    "in_case": ("advice",),
    "group_hello": ("bot",),
}
_BRACE = re.compile(r"\{([^{}]*)\}|[{}]")


def template_problems(text: str, fields: Iterable[str]) -> list[str]:
    """What is wrong with the braces of a message that may use only `fields` as {name} placeholders."""
    allowed = set(fields)
    problems = []
    for m in _BRACE.finditer(text):
        name = m.group(1)
        if name is None:
            problems.append(f"a stray {m.group(0)!r} at character {m.start() + 1}")
        elif not name.strip() or name.strip().isdigit():
            problems.append(f"a positional placeholder {m.group(0)!r}: placeholders are named")
        elif name not in allowed:
            problems.append(f"{m.group(0)!r} is not a placeholder this message can fill")
    return problems


def _template_hint(fields: tuple[str, ...]) -> str:
    can = ", ".join("{" + f + "}" for f in fields)
    return (
        f"braces mark placeholders; this message can use {can} and no other braces"
        if fields
        else ("braces mark placeholders, and this message has none: remove the braces or write the words without them")
    )


_LEXICON_KEYS = (
    "conditions",
    "condition_drugs",
    "spelling",
    "in_scope",
    "out_of_scope",
    "guards",
    "urgent",
    "stopwords",
)


def _load_lexicon(path: Path, root: Path, problems: list[Problem]) -> Lexicon:
    where = _rel(path, root)
    if not path.exists():
        problems.append(Problem(where, 1, "missing file: condition names, spellings and urgent words"))
        return Lexicon()
    data = read_yaml(path, root, problems)
    if data is BROKEN:
        return Lexicon()
    if not isinstance(data, _Map):
        problems.append(Problem(where, 1, "expected a mapping with keys " + ", ".join(_LEXICON_KEYS)))
        return Lexicon()
    f = _Fields(data, where, "lexicon", problems)
    f.unknown(_LEXICON_KEYS)

    def words_map(key: str) -> dict[str, tuple[str, ...]]:
        value = data.get(key)
        if not isinstance(value, _Map):
            f.err(key, f"{key!r} must be a mapping of name: [words]")
            return {}
        sub = _Fields(value, where, f"lexicon {key}", problems)
        return {str(k): tuple(w for w, _ in sub.strings(k)) for k in value}

    def words(m: _Map, key: str, what: str) -> tuple[str, ...]:
        return tuple(w for w, _ in _Fields(m, where, what, problems).strings(key))

    conditions = words_map("conditions")
    condition_drugs = words_map("condition_drugs") if "condition_drugs" in data else {}
    for key, mapping in (("conditions", conditions), ("condition_drugs", condition_drugs)):
        for name in mapping:
            if name not in ("lems", "als"):
                f.err(key, f"unknown condition {name!r}", hint="use lems or als")
    oos = data.get("out_of_scope")
    drugs: tuple[str, ...] = ()
    diseases: tuple[str, ...] = ()
    alone: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    if isinstance(oos, _Map):
        _Fields(oos, where, "lexicon out_of_scope", problems).unknown(("drugs", "conditions", "alone", "services"))
        drugs, diseases = words(oos, "drugs", "out_of_scope"), words(oos, "conditions", "out_of_scope")
        listed = _Fields(oos, where, "out_of_scope", problems)
        alone = tuple(w for w, _ in listed.strings("alone", required=False))
        services = tuple(w for w, _ in listed.strings("services", required=False))
    else:
        f.err("out_of_scope", "'out_of_scope' must map drugs: [...] and conditions: [...]")
    guards = []
    raw_guards = data.get("guards")
    if isinstance(raw_guards, _List):
        for g in raw_guards:
            if not isinstance(g, _Map):
                f.err("guards", "each guard is a mapping with card and phrases")
                continue
            gf = _Fields(g, where, "guard", problems)
            gf.unknown(("card", "phrases"))
            guards.append(Guard(card=gf.text("card"), phrases=words(g, "phrases", "guard")))
    elif raw_guards is not None:
        f.err("guards", "'guards' must be a list")
    urgent = data.get("urgent")
    phrases: tuple[str, ...] = ()
    exceptions: tuple[str, ...] = ()
    if isinstance(urgent, _Map):
        uf = _Fields(urgent, where, "lexicon urgent", problems)
        uf.unknown(("phrases", "except"))
        phrases = words(urgent, "phrases", "urgent")
        exceptions = tuple(w for w, _ in uf.strings("except", required=False))
    else:
        f.err("urgent", "'urgent' must map phrases: [...] (and optionally except: [...])")
    return Lexicon(
        conditions=conditions,
        spelling=words_map("spelling"),
        in_scope=tuple(w for w, _ in f.strings("in_scope")),
        out_of_scope_drugs=drugs,
        out_of_scope_conditions=diseases,
        out_of_scope_alone=alone,
        out_of_scope_services=services,
        guards=tuple(guards),
        urgent=phrases,
        urgent_except=exceptions,
        stopwords=tuple(w for w, _ in f.strings("stopwords", required=False)),
        condition_drugs=condition_drugs,
    )


LEXICON_FILE = "lexicon.yaml"
UNDERSTANDING_FILE = "understanding.yaml"


def _empty_understanding() -> Understanding:
    from bot.understanding import Understanding

    return Understanding()


def _load_model(root: Path, understanding: Understanding, problems: list[Problem]) -> TopicModel | None:
    """The model `learned: model` names; a missing or stale one is a warning (the rules still answer)."""
    from bot import learned

    settings = understanding.learned
    if not settings.model:
        return None
    path = root / "intents" / settings.model
    where, line = understanding.file, settings.line
    train = "run `python -m bot train` to fit it"
    if not path.is_file():
        problems.append(Problem(where, line, f"learned: no model file {_rel(path, root)}", "warning", train))
        return None
    try:
        model = learned.read(path)
    except (OSError, ValueError, KeyError) as exc:
        problems.append(Problem(where, line, f"learned: {_rel(path, root)} cannot be read ({exc})", hint=train))
        return None
    changed = learned.changed_since(model, root, settings.train_on)
    if changed:
        shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
        problems.append(
            Problem(where, line, f"learned: the model was fitted before changes to {shown}", "warning",
                    "it still answers as fitted; " + train)
        )  # fmt: skip
    return model


def load(root: Path) -> LoadResult:
    """Load `root/content` and `root/intents`; every problem found is returned, none raised."""
    problems: list[Problem] = []
    content, intents_dir = root / "content", root / "intents"
    missing = [d for d in (content, intents_dir) if not d.is_dir()]
    for d in missing:
        problems.append(
            Problem(
                _rel(d, root),
                0,
                f"missing folder: no {d.name}/ folder in {root.resolve()}"
                + ("" if root.is_dir() else ", which does not exist"),
                hint="run it from the repository folder, or pass --root DIR, or set BOT_CATALOG_DIR",
            )
        )
    card_files = sorted(content.glob("cards*.yaml"))
    intent_files = sorted(p for p in intents_dir.glob("*.yaml") if p.name not in (LEXICON_FILE, UNDERSTANDING_FILE))
    cards = _load_cards(card_files, root, problems)
    intents = _load_intents(intent_files, root, problems)
    sources = _load_sources(content / "sources.yaml", root, problems)
    messages = _load_messages(content / "messages.yaml", root, problems)
    lexicon = _load_lexicon(intents_dir / LEXICON_FILE, root, problems)
    from bot.understanding import load_understanding  # it reads YAML with this module's helpers

    understanding = load_understanding(intents_dir / UNDERSTANDING_FILE, root, problems)
    if missing:  # a missing folder's files are missing too: one line per folder says it, not one per file
        inside = tuple(_rel(d, root) + os.sep for d in missing)
        problems[:] = [p for p in problems if not p.file.startswith(inside)]

    by_id: dict[str, Card] = {}
    for card in cards:
        if card.id in by_id:
            first = by_id[card.id]
            problems.append(
                Problem(
                    card.file,
                    card.line,
                    f"duplicate card id {card.id!r} (first at {first.file}:{first.line})",
                    hint="card ids must be unique",
                )
            )
        elif card.id:
            by_id[card.id] = card
    for card in by_id.values():
        for rel in card.related:
            if rel not in by_id:
                problems.append(
                    Problem(
                        card.file,
                        card.line,
                        f"card {card.id!r}: related card {rel!r} does not exist",
                        hint="check the spelling, or add the card",
                    )
                )
        for sid in card.sources:
            if sid not in sources:
                problems.append(
                    Problem(
                        card.file,
                        card.line,
                        f"card {card.id!r}: source {sid!r} is not in sources.yaml",
                        hint="add it to content/sources.yaml or fix the id",
                    )
                )
        if card.is_content and card.topic != "urgent" and not card.sources:
            problems.append(
                Problem(
                    card.file,
                    card.line,
                    f"card {card.id!r}: a content card needs a source",
                    hint="sources: [id from content/sources.yaml]",
                )
            )
    for cid in REQUIRED_CARD_IDS:
        if cid not in by_id and card_files:
            problems.append(
                Problem(
                    _rel(content, root),
                    0,
                    f"required card {cid!r} is missing",
                    hint="the bot's commands and routing need it; see docs/catalog.md",
                )
            )
    seen_topic: dict[tuple[str, str], Card] = {}
    for card in by_id.values():
        key = (card.topic, card.condition)
        if key in seen_topic and card.topic != "smalltalk":
            problems.append(
                Problem(
                    card.file,
                    card.line,
                    f"two {card.condition} cards for topic {card.topic!r}: {seen_topic[key].id!r} and {card.id!r}",
                    hint="the router swaps cards by topic",
                )
            )
        seen_topic[key] = card

    intent_ids: dict[str, Intent] = {}
    example_at: dict[str, tuple[Intent, int]] = {}
    for intent in intents:
        if intent.id in intent_ids:
            problems.append(
                Problem(
                    intent.file,
                    intent.line,
                    f"duplicate intent id {intent.id!r}",
                    hint="rename one, or merge their examples",
                )
            )
        intent_ids[intent.id] = intent
        if intent.card and intent.card not in by_id:
            problems.append(
                Problem(
                    intent.file,
                    intent.line,
                    f"intent {intent.id!r}: card {intent.card!r} does not exist",
                    hint="check the spelling against the ids in content/cards-*.yaml",
                )
            )
        for example, line in zip(intent.examples, intent.example_lines, strict=True):
            folded = " ".join(example.casefold().split())
            if folded in example_at:
                other, other_line = example_at[folded]
                problems.append(
                    Problem(
                        intent.file,
                        line,
                        f"duplicate example {example!r} (also in intent {other.id!r} at {other.file}:{other_line})",
                    )
                )
            else:
                example_at[folded] = (intent, line)
    for guard in lexicon.guards:
        if guard.card and guard.card not in by_id:
            problems.append(
                Problem(_rel(intents_dir / LEXICON_FILE, root), 1, f"guard card {guard.card!r} does not exist")
            )

    catalog = Catalog(
        cards=by_id,
        intents=tuple(intents),
        sources=sources,
        messages=messages,
        lexicon=lexicon,
        understanding=understanding,
        model=_load_model(root, understanding, problems),
    )
    has_errors = any(p.severity == "error" for p in problems)
    return LoadResult(catalog=None if has_errors else catalog, problems=tuple(problems))
