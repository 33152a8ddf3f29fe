"""Phone numbers in right-to-left text, kept in the order they are dialled.

In Arabic text "116 123" is two number runs with a space between them. The Unicode
bidirectional algorithm gives that space the direction of the Arabic around it, so the runs
swap and a family reads "123 116". Wrapping the whole group in a left-to-right isolate
(U+2066 ... U+2069) makes it one left-to-right unit that the text around it cannot reorder.

What counts as a number group (and is wrapped):
- digits joined by spaces, as phone numbers are written: "116 123", "0808 802 6869";
  each part may hold dots, commas, colons or slashes ("1,000", "19:00", "14/3/2027");
- a number with a leading plus, as international numbers start: "+44 151 123 4567", "+44".

What is left alone, because the algorithm already shows it the way Arabic readers expect:
- one number with dots, commas, colons or slashes inside ("8.5", "1,000", "19:00",
  "14/3/2027"): those separators join numbers, so the number stays in order;
- ranges with a hyphen or dash ("6–8", "0-19"): they read from right to left like the words
  around them, so "6–8 أسابيع" shows the 6 on the right, read first, as in Arabic print;
- %, £ and ° beside a number: they take their place in the Arabic reading order ("30%"
  reads as thirty per cent).

HTML tags, placeholders ({time}, %(name)s), Markdown link targets and URLs are never
touched, and a left-to-right mark an author typed beside a group is replaced by the isolate,
so applying this twice changes nothing.
"""

from __future__ import annotations

import re

__all__ = ["LRI", "PDI", "isolate_number_groups"]

LRI = "\u2066"  # LEFT-TO-RIGHT ISOLATE
PDI = "\u2069"  # POP DIRECTIONAL ISOLATE
_LRM = "\u200e"  # LEFT-TO-RIGHT MARK, what translators type by hand for the same job

# Spans that are markup or machine text, not words: copied through unchanged.
_PROTECTED = re.compile(
    r"<[^<>]*>"  # an HTML tag with its attributes
    r"|\{[^{}]*\}"  # a str.format placeholder
    r"|%(?:\(\w+\))?[sdif]"  # a %-style placeholder
    r"|\]\([^)\n]*\)"  # a Markdown link target: [text](target)
    r"|(?:https?://|www\.)\S+"  # a URL in the text
)
# Arabic writes its decimal point and thousands separator as U+066B and U+066C.
_PART = r"\d+(?:[.,:/\u066b\u066c]\d+)*"
_GROUP = re.compile(
    rf"{_LRM}*{LRI}?"
    rf"(?P<group>(?<!\d)\+{_PART}(?:[ \u00a0]{_PART})*|(?<![\d+]){_PART}(?:[ \u00a0]{_PART})+)"
    rf"{PDI}?{_LRM}*"
)


def _isolate(text: str) -> str:
    return _GROUP.sub(lambda match: f"{LRI}{match.group('group')}{PDI}", text)


def isolate_number_groups(text: str) -> str:
    """``text`` with every number group wrapped in a left-to-right isolate (see the module)."""
    pieces: list[str] = []
    position = 0
    for protected in _PROTECTED.finditer(text):
        pieces.append(_isolate(text[position : protected.start()]))
        pieces.append(protected.group())
        position = protected.end()
    pieces.append(_isolate(text[position:]))
    return "".join(pieces)
