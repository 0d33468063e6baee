"""SQL text with its literals, quoted identifiers and comments masked, so rules and rewrites never touch them.

Every quoted string, dollar-quoted string and quoted identifier becomes a numbered placeholder `\\x00N\\x00`;
comments become a space. `restore()` puts the pieces back, with quoted identifiers folded to lower case:
Redshift folds ASCII letters in delimited identifiers too (enable_case_sensitive_identifier is off by default).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_QUOTED = re.compile(
    r"""[Ee]'(?:[^'\\]|\\.|'')*'"""  # E'...' escape strings
    r"""|'(?:[^']|'')*'"""  # standard strings
    r'''|"(?:[^"]|"")*"'''  # quoted identifiers
    r"""|\$(?P<tag>[A-Za-z_]*)\$.*?\$(?P=tag)\$"""  # dollar quoting
    r"""|--[^\n]*|/\*.*?\*/""",  # comments
    re.DOTALL,
)
PLACEHOLDER = re.compile(r"\x00(\d+)\x00")
IDENT = r"(?:\x00\d+\x00|[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*)"
_BARE_WORD = re.compile(r"[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold(name: str) -> str:
    """Redshift's case folding: ASCII letters only."""
    return name.translate(_ASCII_LOWER)


@dataclass(frozen=True)
class Identifier:
    name: str  # as stored: unquoted and folded
    quoted: bool


class Masked:
    """SQL with literals, quoted identifiers and comments replaced by numbered placeholders."""

    def __init__(self, sql: str) -> None:
        self.pieces: list[str] = []

        def keep(match: re.Match[str]) -> str:
            text = match.group(0)
            if text.startswith(("--", "/*")):
                return " "
            self.pieces.append(text)
            return f"\x00{len(self.pieces) - 1}\x00"

        self.text = _QUOTED.sub(keep, sql)
        self.upper = self.text.upper()

    def restore(self, text: str) -> str:
        """Put the pieces back; quoted identifiers come back folded to lower case."""

        def piece(match: re.Match[str]) -> str:
            text = self.pieces[int(match.group(1))]
            return fold(text) if text.startswith('"') else text

        return PLACEHOLDER.sub(piece, text)

    def identifier(self, token: str) -> Identifier | None:
        """The identifier a token names (a placeholder of a quoted identifier, or a bare word)."""
        found = PLACEHOLDER.fullmatch(token.strip())
        if found:
            text = self.pieces[int(found.group(1))]
            if not text.startswith('"'):
                return None  # a string literal
            return Identifier(fold(text[1:-1].replace('""', '"')), True)
        if _BARE_WORD.fullmatch(token.strip()):
            return Identifier(fold(token.strip()), False)
        return None

    def identifiers(self) -> Iterator[Identifier]:
        """Every quoted identifier and every bare word (keywords included: callers filter by length)."""
        for piece in self.pieces:
            if piece.startswith('"'):
                yield Identifier(fold(piece[1:-1].replace('""', '"')), True)
        for word in _BARE_WORD.findall(self.text):
            yield Identifier(fold(word), False)


def split_top_level(text: str, separator: str = ",") -> list[str]:
    """Split masked text on `separator` outside parentheses and brackets."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def matching_paren(text: str, open_index: int) -> int:
    """Index of the `)` closing the `(` at `open_index` in masked text (-1 when unbalanced)."""
    depth = 0
    for index in range(open_index, len(text)):
        if text[index] == "(":
            depth += 1
        elif text[index] == ")":
            depth -= 1
            if depth == 0:
                return index
    return -1


def first_word(masked: Masked) -> str:
    match = re.match(r"\s*([A-Za-z]+)", masked.text)
    return match.group(1).upper() if match else ""
