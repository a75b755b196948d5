"""«…» spans: Halo text made inert and delimited. What gets delimited, and what not, is render.py's rule.

`escape()` runs on every Halo string the server renders, wrapped or not:
- the delimiters and their look-alikes (‹ › 《 》 ⟪ ⟫ ≪ ≫) become < and >, also when written as HTML entities
  (&raquo; &#187; &#xBB;, with or without the semicolon), so no span closes early and no bare text opens one;
- chat-template and tool-result markup (</function_results>, <system>, <|im_end|>, [/INST], <<SYS>>) gets
  full-width brackets, so it reads as text rather than as the end of a tool result or the start of a new turn;
- everything else is kept as written: the span, and the server's instructions saying a span is data, do the rest.

A leaf module, so any tool module (resolve.py included) can delimit without an import circle.
"""

from __future__ import annotations

import html as html_lib
import re

UNTRUSTED_OPEN, UNTRUSTED_CLOSE = "«", "»"

_LOOKALIKES = str.maketrans(dict.fromkeys("«‹《⟪≪", "<") | dict.fromkeys("»›》⟫≫", ">"))
_ENTITY = re.compile(r"&(?:#\d{1,8}|#[xX][0-9a-fA-F]{1,8}|[A-Za-z][A-Za-z0-9]{1,31});?")
_MARKUP = re.compile(
    r"<\s*/?\s*(?:function_results|function_calls|results?|tool_(?:use|result|call)s?|system|assistant|human|user"
    r"|invoke|parameter|instructions?|im_(?:start|end)|antml:\w+)(?:\s[^<>]{0,80})?\s*/?\s*>"
    r"|<\|[^|<>\s]{1,40}\|>|\[\s*/?\s*(?:INST|SYS)\s*\]|<</?SYS>>",
    re.IGNORECASE,
)
_FULL_WIDTH = str.maketrans("<>[]", "＜＞［］")


def _entity(match: re.Match[str]) -> str:
    """An HTML entity that decodes to a delimiter (or a look-alike) is neutralised like the character itself."""
    decoded = html_lib.unescape(match.group())
    neutral = decoded.translate(_LOOKALIKES)
    return neutral if neutral != decoded else match.group()


def escape(text: str) -> str:
    """Halo text made inert for the rendered output: no delimiter, look-alike or markup survives (see above)."""
    if not text.isascii():  # every look-alike is outside ASCII (and most Halo text is inside it)
        text = text.translate(_LOOKALIKES)
    if "&" in text:
        text = _ENTITY.sub(_entity, text)
    if "<" not in text and "[" not in text:  # all markup opens with one of them: no scan needed
        return text
    return _MARKUP.sub(lambda m: m.group().translate(_FULL_WIDTH), text)


def untrusted(text: str) -> str:
    """Delimit text written in Halo; it is escaped first, so the span cannot be closed early."""
    return f"{UNTRUSTED_OPEN}{escape(text)}{UNTRUSTED_CLOSE}"
