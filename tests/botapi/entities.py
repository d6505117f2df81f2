"""Message text handling as the Bot API does it: HTML parse mode, trimming, auto-entities.

The HTML parser is a line-by-line port of tdlib's ``parse_html`` (td/telegram/MessageEntity.cpp),
because the point of the double is to reject exactly what Telegram rejects, with Telegram's own
error text (byte offsets included). Entity offsets and lengths are in UTF-16 code units, as in
the Bot API; the 4096 message limit is checked in code points by the caller, as Telegram does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

Entity = dict[str, Any]

# fmt: off
SUPPORTED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
        "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
    }
)
# tdlib's MessageEntity::get_type_priority, used to order entities that start at one offset.
_PRIORITY: dict[str, int] = {
    "mention": 50, "hashtag": 50, "bot_command": 50, "url": 50, "email": 50, "cashtag": 50,
    "phone_number": 50, "bold": 90, "italic": 91, "code": 20, "pre": 11, "text_link": 49,
    "text_mention": 49, "underline": 92, "strikethrough": 93, "blockquote": 0, "spoiler": 94,
    "custom_emoji": 99, "expandable_blockquote": 0,
}
# Tags that map to an entity type without an argument.
_SIMPLE_TAGS: dict[str, str] = {
    "i": "italic", "em": "italic", "b": "bold", "strong": "bold",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "u": "underline", "ins": "underline", "tg-spoiler": "spoiler", "span": "spoiler",
}
# fmt: on

_WHITESPACE = " \t\n\r\v\f"


class EntityParseError(ValueError):
    """Raised with tdlib's message; the caller prefixes "Bad Request: can't parse entities: "."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Bot API entity offsets."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _utf16_index(text: str) -> list[int]:
    """``result[i]`` is the UTF-16 offset of code point ``i`` (one extra slot for the end)."""
    index = [0] * (len(text) + 1)
    pos = 0
    for i, ch in enumerate(text):
        index[i] = pos
        pos += 2 if ord(ch) > 0xFFFF else 1
    index[len(text)] = pos
    return index


def sort_entities(entities: list[Entity]) -> list[Entity]:
    """Order as tdlib does: by offset, longer first, then by type priority."""
    return sorted(
        entities,
        key=lambda e: (e["offset"], -e["length"], _PRIORITY.get(e["type"], 50)),
    )


# --------------------------------------------------------------------------- HTML parse mode


def _is_space(c: int) -> bool:
    # tdlib's is_space() treats NUL (its end-of-string sentinel) as a space too.
    return c in (0x20, 0x09, 0x0D, 0x0A, 0x00, 0x0B)


def _is_alnum(c: int) -> bool:
    return 0x30 <= c <= 0x39 or 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A


def _decode_html_entity(data: bytes, pos: int) -> tuple[int, int]:
    """Decode ``&...;`` at ``pos``; returns (code point, new pos) or (0, pos) if unsupported."""
    n = len(data)

    def at(i: int) -> int:
        return data[i] if i < n else 0

    end = pos + 1
    code = 0
    if at(pos + 1) == ord("#"):
        end += 1
        if at(pos + 2) == ord("x"):
            end += 1
            while at(end) and chr(at(end)) in "0123456789abcdefABCDEF":
                code = code * 16 + int(chr(at(end)), 16)
                end += 1
        else:
            while 0x30 <= at(end) <= 0x39:
                code = code * 10 + at(end) - 0x30
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while 0x41 <= at(end) <= 0x5A or 0x61 <= at(end) <= 0x7A:
            end += 1
        name = data[pos + 1 : end]
        named = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}
        if name not in named:
            return 0, pos  # unsupported literal entity: '&' is kept as is
        code = ord(named[name])
    return code, (end + 1 if at(end) == ord(";") else end)


def _encode_code_point(code: int) -> bytes:
    if 0xD800 <= code <= 0xDFFF:
        raise EntityParseError(
            "Text contains invalid Unicode characters after decoding HTML entities, "
            "check for unmatched surrogate code units"
        )
    return chr(code).encode()


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    byte_offset: int


def _checked_link(url: str) -> str | None:
    """A simplified LinkManager::get_checked_link: None means "no entity", not an error."""
    url = url.strip()
    if not url or any(ch in url for ch in " \t\n"):
        return None
    lower = url.lower()
    if lower.startswith(("http://", "https://", "tg://", "ton://")):
        return url
    if "://" in url or ":" in url.split("/", 1)[0]:
        return None  # another scheme
    host = url.split("/", 1)[0]
    return "http://" + url if "." in host else None


_TG_USER_LINK = re.compile(r"^tg://user\?id=(\d+)$", re.IGNORECASE)


def parse_html(text: str) -> tuple[str, list[Entity]]:
    """Parse Telegram's HTML subset; returns the plain text and its entities.

    ``text_mention`` entities carry ``{"user": {"id": N}}`` only; the caller fills in the user.
    """
    try:
        data = text.encode()
    except UnicodeEncodeError as exc:
        raise EntityParseError("Strings must be encoded in UTF-8") from exc
    n = len(data)

    def at(i: int) -> int:
        return data[i] if i < n else 0

    def error(message: str) -> EntityParseError:
        return EntityParseError(message)

    out = bytearray()
    entities: list[Entity] = []
    stack: list[_OpenTag] = []
    utf16 = 0
    i = 0
    while i < n:
        c = data[i]
        if c == ord("&"):
            code, new_i = _decode_html_entity(data, i)
            if code:
                utf16 += 2 if code > 0xFFFF else 1
                out += _encode_code_point(code)
                i = new_i
                continue
        if c != ord("<"):
            if c & 0xC0 != 0x80:  # first byte of a UTF-8 sequence
                utf16 += 2 if c >= 0xF0 else 1
            out.append(c)
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != ord("/"):
            # start tag
            while not _is_space(at(i)) and at(i) != ord(">"):
                i += 1
            if at(i) == 0:
                raise error(f"Unclosed start tag at byte offset {begin}")
            tag = data[begin + 1 : i].lower().decode(errors="replace")
            if tag not in SUPPORTED_TAGS:
                raise error(f'Unsupported start tag "{tag}" at byte offset {begin}')

            argument = ""
            while at(i) != ord(">"):
                while at(i) != 0 and _is_space(at(i)):
                    i += 1
                if at(i) == ord(">"):
                    break
                attr_begin = i
                while not _is_space(at(i)) and at(i) not in b"=>/\"'":
                    i += 1
                attr_name = data[attr_begin:i].decode(errors="replace")
                if not attr_name:
                    raise error(f'Empty attribute name in the tag "{tag}" at byte offset {begin}')
                while at(i) != 0 and _is_space(at(i)):
                    i += 1
                if at(i) != ord("="):
                    if at(i) == 0:
                        raise error(f'Unclosed start tag "{tag}" at byte offset {begin}')
                    if tag == "blockquote" and attr_name == "expandable":
                        argument = "1"
                    continue
                i += 1
                while at(i) != 0 and _is_space(at(i)):
                    i += 1
                if at(i) == 0:
                    raise error(f'Unclosed start tag "{tag}" at byte offset {begin}')

                if at(i) not in b"'\"":
                    # a name token: letters, digits, periods or hyphens; case-insensitive
                    token_begin = i
                    while _is_alnum(at(i)) or at(i) in (0x2E, 0x2D):
                        i += 1
                    value = data[token_begin:i].lower().decode()
                    if not _is_space(at(i)) and at(i) != ord(">"):
                        raise error(f"Unexpected end of name token at byte offset {token_begin}")
                else:
                    quote = at(i)
                    i += 1
                    raw = bytearray()
                    while at(i) != quote and at(i) != 0:
                        if at(i) == ord("&"):
                            code, new_i = _decode_html_entity(data, i)
                            if code:
                                raw += _encode_code_point(code)
                                i = new_i
                                continue
                        raw.append(at(i))
                        i += 1
                    if at(i) == quote:
                        i += 1
                    value = raw.decode(errors="replace")
                if at(i) == 0:
                    raise error(f"Unclosed start tag at byte offset {begin}")

                if tag == "a" and attr_name == "href":
                    argument = value
                elif tag == "code" and attr_name == "class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and attr_name == "class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and attr_name == "emoji-id":
                    argument = value
                elif tag == "blockquote" and attr_name == "expandable":
                    argument = "1"

            if tag == "span" and argument != "spoiler":
                raise error(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
            stack.append(_OpenTag(tag, argument, utf16, len(out)))
            i += 1  # skip '>'
            continue

        # end tag
        if not stack:
            raise error(f"Unexpected end tag at byte offset {begin}")
        while not _is_space(at(i)) and at(i) != ord(">"):
            i += 1
        end_name = data[begin + 2 : i].lower().decode(errors="replace")
        while _is_space(at(i)) and at(i) != 0:
            i += 1
        if at(i) != ord(">"):
            raise error(f"Unclosed end tag at byte offset {begin}")
        open_tag = stack[-1]
        if end_name and end_name != open_tag.name:
            raise error(
                f'Unmatched end tag at byte offset {begin}, expected "</{open_tag.name}>", found "</{end_name}>"'
            )
        if utf16 > open_tag.utf16_offset:
            inner = out[open_tag.byte_offset :].decode(errors="replace")
            _close_entity(entities, open_tag, utf16, inner)
        stack.pop()
        i += 1  # skip '>'

    if stack:
        raise error(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return out.decode(errors="replace"), sort_entities(entities)


def _close_entity(entities: list[Entity], tag: _OpenTag, utf16_end: int, inner: str) -> None:
    """Turn a closed tag into its Bot API entity, merging <pre><code class=...> as tdlib does."""
    offset, length = tag.utf16_offset, utf16_end - tag.utf16_offset
    last = entities[-1] if entities else None
    same_range = last is not None and last["offset"] == offset and last["length"] == length
    if tag.name in _SIMPLE_TAGS:
        entities.append({"type": _SIMPLE_TAGS[tag.name], "offset": offset, "length": length})
    elif tag.name == "tg-emoji":
        if not tag.argument.isdigit() or int(tag.argument) == 0 or int(tag.argument) >= 2**63:
            raise EntityParseError("Invalid custom emoji identifier specified")
        entities.append(
            {
                "type": "custom_emoji",
                "offset": offset,
                "length": length,
                "custom_emoji_id": str(int(tag.argument)),
            }
        )
    elif tag.name == "a":
        url = tag.argument or inner
        user = _TG_USER_LINK.match(url)
        if user:
            entities.append(
                {
                    "type": "text_mention",
                    "offset": offset,
                    "length": length,
                    "user": {"id": int(user.group(1))},
                }
            )
        elif (checked := _checked_link(url)) is not None:
            entities.append({"type": "text_link", "offset": offset, "length": length, "url": checked})
    elif tag.name == "pre":
        if last is not None and same_range and last["type"] == "code" and last.get("language"):
            last["type"] = "pre"
        else:
            entities.append({"type": "pre", "offset": offset, "length": length})
    elif tag.name == "code":
        if last is not None and same_range and last["type"] == "pre" and tag.argument:
            last["language"] = tag.argument
        else:
            entity: Entity = {"type": "code", "offset": offset, "length": length}
            if tag.argument:
                entity["language"] = tag.argument  # dropped unless a <pre> wraps it
            entities.append(entity)
    elif tag.name == "blockquote":
        kind = "expandable_blockquote" if tag.argument else "blockquote"
        entities.append({"type": kind, "offset": offset, "length": length})


# --------------------------------------------------------------------------- plain-text fixes


def trim(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Strip leading/trailing whitespace and clip entities, as fix_formatted_text does."""
    stripped = text.strip(_WHITESPACE)
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip(_WHITESPACE))])
    total = utf16_len(stripped)
    result: list[Entity] = []
    for entity in entities:
        start = max(0, entity["offset"] - lead)
        end = min(total, entity["offset"] + entity["length"] - lead)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


_MENTION = re.compile(r"(?<!\w)@([A-Za-z0-9_]{2,32})(?![\w])")
_COMMAND = re.compile(r"(?<![\w/<>])/([A-Za-z0-9_]{1,64})(@[A-Za-z0-9_]*)?")
_HASHTAG = re.compile(r"(?<![\w#])#(\w{1,256})(?![\w]*#)")
_URL = re.compile(r"(?<![\w@/.])(?:https?://)[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_NO_AUTO_INSIDE = frozenset({"code", "pre", "text_link", "text_mention", "url", "email"})


def _auto_spans(text: str) -> list[tuple[str, int, int]]:
    """(type, start, end) in code points for mentions, commands, hashtags, URLs and e-mails."""
    spans: list[tuple[str, int, int]] = []
    for m in _URL.finditer(text):
        spans.append(("url", m.start(), m.end()))
    for m in _EMAIL.finditer(text):
        spans.append(("email", m.start(), m.end()))
    for m in _MENTION.finditer(text):
        # tdlib drops mentions of fewer than five characters (short usernames are not valid)
        if len(m.group(1)) >= 5:
            spans.append(("mention", m.start(), m.end()))
    for m in _COMMAND.finditer(text):
        suffix = m.group(2)
        if suffix is not None and not 3 <= len(suffix) - 1 <= 32:
            continue
        after = text[m.end() : m.end() + 1]
        if after and (after.isalnum() or after in "_/<>"):
            continue
        spans.append(("bot_command", m.start(), m.end()))
    for m in _HASHTAG.finditer(text):
        if any(ch.isalpha() for ch in m.group(1)):
            spans.append(("hashtag", m.start(), m.end()))
    return spans


def with_auto_entities(text: str, entities: list[Entity]) -> list[Entity]:
    """Add the entities Telegram detects by itself, skipping those inside code or links."""
    index = _utf16_index(text)
    taken = [(e["offset"], e["offset"] + e["length"]) for e in entities if e["type"] in _NO_AUTO_INSIDE]
    result = list(entities)
    for kind, start, end in sorted(_auto_spans(text), key=lambda s: (s[1], -s[2])):
        u_start, u_end = index[start], index[end]
        if any(u_start < t_end and t_start < u_end for t_start, t_end in taken):
            continue
        taken.append((u_start, u_end))
        result.append({"type": kind, "offset": u_start, "length": u_end - u_start})
    return sort_entities(result)


def entity_text(text: str, entity: Entity) -> str:
    """The slice of ``text`` an entity covers (offsets are UTF-16)."""
    encoded = text.encode("utf-16-le")
    start, length = entity["offset"] * 2, entity["length"] * 2
    return encoded[start : start + length].decode("utf-16-le")
