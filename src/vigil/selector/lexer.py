"""Selector text -> tokens, following Sensu's lexer plus ``||``, ``(``, ``)`` and digit words.

Positions are 1-based character offsets, so error messages point where a person counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from vigil.errors import InvalidArgument

TokenKind = Literal[
    "ident",  # a key, or a bare value (check.name, linux)
    "string",  # '...' or "..."
    "word",  # an unquoted value starting with a digit (2, 1b04994n, 10.0.0.1)
    "bool",  # true / false, lowercased
    "in",
    "notin",
    "matches",
    "==",
    "!=",
    "&&",
    "||",
    "(",
    ")",
    "[",
    "]",
    ",",
    "end",
]

# The whitespace Sensu (Go's unicode.IsSpace) skips between tokens and trims from list items.
SPACES = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

KEYWORDS: dict[str, TokenKind] = {
    "in": "in",
    "notin": "notin",
    "matches": "matches",
    "true": "bool",
    "false": "bool",
}
SINGLE: dict[str, TokenKind] = {"[": "[", "]": "]", ",": ",", "(": "(", ")": ")"}
DOUBLE: dict[str, TokenKind] = {"=": "==", "!": "!=", "&": "&&", "|": "||"}
# Characters that end an identifier or word without needing whitespace first.
TERMINATORS = frozenset("[]()!&|,\"'")
QUOTES = "\"'"
WORD_EXTRA = frozenset("_./-:")


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    text: str
    position: int


def selector_error(
    kind: str, problem: str, position: int, expected: str | None = None
) -> InvalidArgument:
    """The one shape of every selector error: which selector, what, where, what would fit."""
    hint = f"; expected {expected}" if expected else ""
    return InvalidArgument(f"invalid {kind}: {problem} at position {position}{hint}")


def tokenize(text: str, kind: str = "fieldSelector") -> list[Token]:
    """Split ``text`` into tokens, ending with an ``end`` token; raise InvalidArgument."""
    return _Lexer(text, kind).run()


def _ident_char(char: str) -> bool:
    return char == "_" or char.isalpha() or char.isdecimal()


class _Lexer:
    def __init__(self, text: str, kind: str) -> None:
        self.text = text
        self.kind = kind
        self.index = 0
        self.tokens: list[Token] = []

    def run(self) -> list[Token]:
        while True:
            while self.index < len(self.text) and self.text[self.index] in SPACES:
                self.index += 1
            if self.index >= len(self.text):
                self.tokens.append(Token("end", "", self.index + 1))
                return self.tokens
            self.tokens.append(self._next())

    def _error(self, problem: str, index: int) -> InvalidArgument:
        return selector_error(self.kind, problem, index + 1)

    def _next(self) -> Token:
        start, char = self.index, self.text[self.index]
        if char in SINGLE:
            self.index += 1
            return Token(SINGLE[char], char, start + 1)
        if char in DOUBLE:
            return self._double(char)
        if char in QUOTES:
            return self._string()
        if char == "_" or char.isalpha():
            return self._ident()
        if "0" <= char <= "9":
            return self._word()
        raise self._error(f"invalid character {show(char)}", start)

    def _double(self, char: str) -> Token:
        start = self.index
        if self.text[start + 1 : start + 2] != ("=" if char in "=!" else char):
            raise self._error(f"unexpected token {show(char)}", start)
        self.index += 2
        return Token(DOUBLE[char], self.text[start : start + 2], start + 1)

    def _string(self) -> Token:
        start = self.index
        ends = [i for i in (self.text.find(q, start + 1) for q in QUOTES) if i >= 0]
        if not ends:
            raise self._error("unterminated string", start)
        end = min(ends)
        value = self.text[start + 1 : end]
        if "\x00" in value:
            raise self._error("invalid character NUL in string", start + 1 + value.index("\x00"))
        self.index = end + 1
        return Token("string", value, start + 1)

    def _scan(self, allowed: frozenset[str]) -> str:
        """Consume a bare run of characters; anything unexpected before a terminator is an error."""
        start = self.index
        while self.index < len(self.text):
            char = self.text[self.index]
            if char in SPACES or char in TERMINATORS:
                break
            if not (_ident_char(char) or char in allowed):
                raise self._error(f"invalid character {show(char)}", self.index)
            self.index += 1
        return self.text[start : self.index]

    def _ident(self) -> Token:
        start = self.index
        name = self._scan(frozenset("./"))
        for offset, char in enumerate(name):
            if char == "." and not _dot_follow_ok(name, offset):
                raise self._error(f"invalid identifier {show(name)}", start)
        keyword = KEYWORDS.get(name.lower())
        if keyword is not None:
            return Token(keyword, name.lower(), start + 1)
        return Token("ident", name, start + 1)

    def _word(self) -> Token:
        start = self.index
        return Token("word", self._scan(WORD_EXTRA), start + 1)


def _dot_follow_ok(name: str, offset: int) -> bool:
    """Sensu: the character after a ``.`` must start a new identifier part."""
    following = name[offset + 1 : offset + 2]
    return following == "_" or following.isalpha()


def show(text: str) -> str:
    """Quote user text for an error message, escaping what would not print."""
    shown = text if len(text) <= 40 else text[:40] + "..."
    escaped = "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in shown)
    return '"' + escaped + '"'
