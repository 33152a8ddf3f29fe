"""Telegram's HTML parse mode: the visible text and entities, or the error Telegram gives."""

import html
import re
from dataclasses import dataclass, field
from typing import Any

from local_bot_api.errors import BotApiError, bad_request

# Tags Telegram accepts in parse_mode HTML and the entity each one makes.
_ENTITY_OF_TAG = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_ATTRIBUTE = re.compile(r"""\s*([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
# The longest named or numeric character reference worth trying to decode.
_LONGEST_REFERENCE = 12


@dataclass(slots=True)
class FormattedText:
    """What the recipient sees: plain text plus entities with UTF-16 offsets, like Telegram."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class _OpenTag:
    name: str
    attributes: dict[str, str]
    start: int


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram measures entity offsets in."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> FormattedText:
    """Strip and check the markup as Telegram does, so a bad tag fails here as it would there."""
    parts: list[str] = []
    position = 0  # UTF-16 offset of the next visible character
    open_tags: list[_OpenTag] = []
    entities: list[dict[str, Any]] = []
    index = 0
    while index < len(source):
        special = _next_special(source, index)
        if special > index:
            chunk = source[index:special]
            parts.append(chunk)
            position += utf16_length(chunk)
            index = special
            continue
        if source[index] == "&":
            decoded, index = _character_reference(source, index)
            parts.append(decoded)
            position += utf16_length(decoded)
            continue
        end = source.find(">", index)
        if end == -1:
            raise _parse_error(f"Unclosed start tag at byte offset {_byte_offset(source, index)}")
        tag_source = source[index + 1 : end]
        if tag_source.startswith("/"):
            _close_tag(
                source, index, tag_source[1:].strip().lower(), open_tags, position, entities
            )
        else:
            open_tags.append(_open_tag(source, index, tag_source, position))
        index = end + 1
    if open_tags:
        raise _parse_error(
            f'Can\'t find end tag corresponding to start tag "{open_tags[-1].name}"'
        )
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return FormattedText("".join(parts), entities)


def _next_special(source: str, start: int) -> int:
    tag = source.find("<", start)
    reference = source.find("&", start)
    candidates = [found for found in (tag, reference) if found != -1]
    return min(candidates) if candidates else len(source)


def _character_reference(source: str, index: int) -> tuple[str, int]:
    """Decode ``&amp;``-style references; a lone ampersand stays text, as Telegram keeps it."""
    semicolon = source.find(";", index + 1, index + _LONGEST_REFERENCE)
    if semicolon != -1:
        reference = source[index : semicolon + 1]
        decoded = html.unescape(reference)
        if decoded != reference:
            return decoded, semicolon + 1
    return "&", index + 1


def _open_tag(source: str, index: int, tag_source: str, position: int) -> _OpenTag:
    name_match = _TAG_NAME.match(tag_source)
    name = name_match.group(0).lower() if name_match else ""
    if name not in _ENTITY_OF_TAG:
        raise _parse_error(
            f'Unsupported start tag "{name}" at byte offset {_byte_offset(source, index)}'
        )
    attributes = {
        match.group(1).lower(): next((g for g in match.groups()[1:] if g is not None), "")
        for match in _ATTRIBUTE.finditer(tag_source, len(name))
    }
    if name == "span" and attributes.get("class") != "tg-spoiler":
        raise _parse_error('Tag "span" must have class "tg-spoiler"')
    return _OpenTag(name, attributes, position)


def _close_tag(
    source: str,
    index: int,
    name: str,
    open_tags: list[_OpenTag],
    position: int,
    entities: list[dict[str, Any]],
) -> None:
    if not open_tags:
        raise _parse_error(f"Unexpected end tag at byte offset {_byte_offset(source, index)}")
    tag = open_tags.pop()
    if tag.name != name:
        raise _parse_error(
            f"Unmatched end tag at byte offset {_byte_offset(source, index)}, "
            f'expected "</{tag.name}>", found "</{name}>"'
        )
    language = tag.attributes.get("class", "").removeprefix("language-")
    if tag.name == "code" and open_tags and open_tags[-1].name == "pre" and language:
        # <pre><code class="language-x"> is one pre entity with a language, not two entities.
        open_tags[-1].attributes["language"] = language
        return
    length = position - tag.start
    if length == 0:
        return
    entity: dict[str, Any] = {
        "type": _ENTITY_OF_TAG[tag.name],
        "offset": tag.start,
        "length": length,
    }
    if tag.name == "a":
        if "href" not in tag.attributes:
            return
        entity["url"] = tag.attributes["href"]
    elif tag.name == "pre" and "language" in tag.attributes:
        entity["language"] = tag.attributes["language"]
    elif tag.name == "blockquote" and "expandable" in tag.attributes:
        entity["type"] = "expandable_blockquote"
    elif tag.name == "tg-emoji":
        entity["custom_emoji_id"] = tag.attributes.get("emoji-id", "")
    entities.append(entity)


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode())


def _parse_error(reason: str) -> BotApiError:
    return bad_request(f"can't parse entities: {reason}")
