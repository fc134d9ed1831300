"""Label and field selectors: Sensu's grammar plus ``||`` and parentheses.

``parse``/``parse_selection`` turn query parameters into the AST of ``ast.py``;
``matches``/``selection_matches`` are the reference semantics over flat string maps;
``compile_selection`` turns a Selection into SQL that agrees with them.
"""

from vigil.selector.ast import Selection
from vigil.selector.evaluate import matches, selection_matches
from vigil.selector.parser import parse, parse_selection
from vigil.selector.sql import compile_selection

__all__ = [
    "Selection",
    "compile_selection",
    "matches",
    "parse",
    "parse_selection",
    "selection_matches",
]
