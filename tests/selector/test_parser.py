"""Parser tables: every example of Sensu's response-filtering docs, our additions, and errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.api.responses import status_of
from vigil.errors import InvalidArgument
from vigil.selector.ast import And, Expr, Ident, Literal_, Operation, Or, Selection
from vigil.selector.parser import MAX_DEPTH, MAX_LENGTH, parse, parse_selection

L = Literal_


def op(left: str | Literal_, operator: str, right: object) -> Operation:
    """Shorthand: a str left is an identifier, a str right of ==/!=/matches a literal."""
    lhs = Ident(left) if isinstance(left, str) else left
    rhs = L(right) if isinstance(right, str) and operator not in ("in", "notin") else right
    if isinstance(right, str) and operator in ("in", "notin"):
        rhs = Ident(right)
    return Operation(lhs, operator, rhs)  # type: ignore[arg-type]


# Every filter statement of the "Response filtering" section of Sensu's API overview (6.6).
DOC_EXAMPLES: list[tuple[str, str, Expr]] = [
    (
        "eq-bool",
        "silenced.expire_on_resolve == true",
        op("silenced.expire_on_resolve", "==", "true"),
    ),
    ("in-list-field", "linux in check.subscriptions", op("linux", "in", "check.subscriptions")),
    ("digit-start-quoted", 'entity.name == "1b04994n"', op("entity.name", "==", "1b04994n")),
    ("hyphen-quoted", 'region == "us-west-1"', op("region", "==", "us-west-1")),
    ("shell-variable-expanded", "host == webserver01", op("host", "==", "webserver01")),
    ("publish-true", "check.publish == true", op("check.publish", "==", "true")),
    ("ne-default", 'check.namespace != "default"', op("check.namespace", "!=", "default")),
    ("notin-handlers", "slack notin check.handlers", op("slack", "notin", "check.handlers")),
    ("matches-linux-dash", 'check.name matches "linux-"', op("check.name", "matches", "linux-")),
    (
        "and-publish-slack",
        "check.publish == true && slack in check.handlers",
        And((op("check.publish", "==", "true"), op("slack", "in", "check.handlers"))),
    ),
    ("label-type", 'type == "server"', op("type", "==", "server")),
    ("ne-production", 'check.namespace != "production"', op("check.namespace", "!=", "production")),
    ("matches-linux", 'check.name matches "linux"', op("check.name", "matches", "linux")),
    (
        "matches-webserver",
        'entity.name matches "webserver-"',
        op("entity.name", "matches", "webserver-"),
    ),
    ("label-matches-us", 'region matches "us"', op("region", "matches", "us")),
    (
        "and-two",
        "check.publish != true && linux in check.subscriptions",
        And((op("check.publish", "!=", "true"), op("linux", "in", "check.subscriptions"))),
    ),
    (
        "and-three",
        "check.publish != true && linux in check.subscriptions && dev in check.namespace",
        And(
            (
                op("check.publish", "!=", "true"),
                op("linux", "in", "check.subscriptions"),
                op("dev", "in", "check.namespace"),
            )
        ),
    ),
    ("label-ne-server", 'type != "server"', op("type", "!=", "server")),
    (
        "quoted-left-in",
        '"entity:i-0c1f8a116b84ea50c" in entity.subscriptions',
        op(L("entity:i-0c1f8a116b84ea50c"), "in", "entity.subscriptions"),
    ),
    (
        "in-array",
        "check.namespace in [dev,production]",
        op("check.namespace", "in", ("dev", "production")),
    ),
    ("in-check-name", "checkhttp in event.check.name", op("checkhttp", "in", "event.check.name")),
    ("in-entity-name", "server in event.entity.name", op("server", "in", "event.entity.name")),
    ("status-quoted", 'event.check.status == "2"', op("event.check.status", "==", "2")),
    ("incidents", 'event.entity.status != "0"', op("event.entity.status", "!=", "0")),
    ("entity-subs", "linux in entity.subscriptions", op("linux", "in", "entity.subscriptions")),
    (
        "event-entity-subs",
        "linux in event.entity.subscriptions",
        op("linux", "in", "event.entity.subscriptions"),
    ),
    ("silenced-ns", 'silenced.namespace == "default"', op("silenced.namespace", "==", "default")),
    (
        "silenced-not-ns",
        'silenced.namespace != "default"',
        op("silenced.namespace", "!=", "default"),
    ),
    ("is-silenced", "event.is_silenced == true", op("event.is_silenced", "==", "true")),
    ("creator-alice", 'silenced.creator == "alice"', op("silenced.creator", "==", "alice")),
    ("creator-not-admin", 'silenced.creator != "admin"', op("silenced.creator", "!=", "admin")),
    (
        "silenced-sub",
        'silenced.subscription == "linux"',
        op("silenced.subscription", "==", "linux"),
    ),
    (
        "silenced-sub-in",
        "linux in silenced.subscription",
        op("linux", "in", "silenced.subscription"),
    ),
    (
        "spec-incidents-not-silenced",
        'event.check.status != "0" && event.is_silenced == false',
        And((op("event.check.status", "!=", "0"), op("event.is_silenced", "==", "false"))),
    ),
]

GRAMMAR: list[tuple[str, str, Expr]] = [
    ("keyword-IN", "a IN [x]", op("a", "in", ("x",))),
    ("keyword-NotIn", "a NotIn b", op("a", "notin", "b")),
    ("keyword-MATCHES", "a MATCHES b", op("a", "matches", "b")),
    ("bool-TRUE-lowercased", "a == TRUE", op("a", "==", "true")),
    ("bool-False", "a != False", op("a", "!=", "false")),
    ("matches-keyword-as-value", "a == matches", op("a", "==", "matches")),
    ("bare-value", "entity.entity_class == agent", op("entity.entity_class", "==", "agent")),
    ("single-quotes", "a == 'x y'", op("a", "==", "x y")),
    ("string-ends-at-either-quote", "a == 'x\"", op("a", "==", "x")),
    ("empty-string", 'a == ""', op("a", "==", "")),
    ("quoted-key", "'app-tier' == web", op(L("app-tier"), "==", "web")),
    ("slash-key", "app.kubernetes.io/name == web", op("app.kubernetes.io/name", "==", "web")),
    ("underscore-start", "_a.b_c == x", op("_a.b_c", "==", "x")),
    ("unicode-key", "région == ouest", op("région", "==", "ouest")),
    ("no-space-before-ne", "a!= b", op("a", "!=", "b")),
    ("no-space-around-and", "a == b&&c == d", And((op("a", "==", "b"), op("c", "==", "d")))),
    ("juxtaposition-is-and", "a == b c != d", And((op("a", "==", "b"), op("c", "!=", "d")))),
    ("juxtaposed-string", 'a == "b"c == d', And((op("a", "==", "b"), op("c", "==", "d")))),
    ("tabs-and-newlines", "\ta ==\nb\r\n", op("a", "==", "b")),
    ("list-no-commas", "a in [x y,z]", op("a", "in", ("x", "y", "z"))),
    ("list-stray-commas", "a in [,x,,y,]", op("a", "in", ("x", "y"))),
    ("list-empty", "a in []", op("a", "in", ())),
    ("list-quoted", "a notin [\"x y\", 'z']", op("a", "notin", ("x y", "z"))),
    ("list-digits-and-bools", "a in [1, 2.5, TRUE]", op("a", "in", ("1", "2.5", "true"))),
    ("list-no-space", "a in[x]", op("a", "in", ("x",))),
    ("digit-value", "event.check.status == 2", op("event.check.status", "==", "2")),
    ("digit-word", "entity.name == 1b04994n", op("entity.name", "==", "1b04994n")),
    ("digit-address", "ip == 10.0.0.1", op("ip", "==", "10.0.0.1")),
    ("digit-date", "day == 2024-01-02", op("day", "==", "2024-01-02")),
    ("digit-matches", "a matches 42", op("a", "matches", "42")),
    (
        "or",
        "a == 1 || b == 2",
        Or((op("a", "==", "1"), op("b", "==", "2"))),
    ),
    (
        "and-binds-tighter-than-or",
        "a == 1 || b == 2 && c == 3",
        Or((op("a", "==", "1"), And((op("b", "==", "2"), op("c", "==", "3"))))),
    ),
    (
        "juxtaposition-binds-like-and",
        "a == 1 b == 2 || c == 3",
        Or((And((op("a", "==", "1"), op("b", "==", "2"))), op("c", "==", "3"))),
    ),
    (
        "parentheses-override",
        "(a == 1 || b == 2) && c == 3",
        And((Or((op("a", "==", "1"), op("b", "==", "2"))), op("c", "==", "3"))),
    ),
    ("redundant-parentheses", "((a == 1))", op("a", "==", "1")),
    (
        "and-flattened",
        "a == 1 && (b == 2 && c == 3)",
        And((op("a", "==", "1"), op("b", "==", "2"), op("c", "==", "3"))),
    ),
    (
        "or-flattened",
        "a == 1 || (b == 2 || c == 3)",
        Or((op("a", "==", "1"), op("b", "==", "2"), op("c", "==", "3"))),
    ),
    (
        "parenthesis-juxtaposed",
        "(a == 1)(b == 2)",
        And((op("a", "==", "1"), op("b", "==", "2"))),
    ),
    ("no-space-or", "a == b||c == d", Or((op("a", "==", "b"), op("c", "==", "d")))),
]


@pytest.mark.parametrize(
    ("text", "want"), [c[1:] for c in DOC_EXAMPLES], ids=[c[0] for c in DOC_EXAMPLES]
)
def test_doc_examples_parse(text: str, want: Expr) -> None:
    assert parse(text) == want


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in GRAMMAR], ids=[c[0] for c in GRAMMAR])
def test_grammar(text: str, want: Expr) -> None:
    assert parse(text) == want


INVALID: list[tuple[str, str, str]] = [
    ("lone-equals", "a = b", 'unexpected token "=" at position 3'),
    ("no-spaces-around-equals", "a==b", 'invalid character "=" at position 2'),
    ("lone-bang", "a ! b", 'unexpected token "!" at position 3'),
    ("lone-ampersand", "a == b & c == d", 'unexpected token "&" at position 8'),
    ("lone-pipe", "a == b | c == d", 'unexpected token "|" at position 8'),
    ("trailing-and", "a == b &&", "unexpected end of input at position 10; expected a key"),
    ("leading-and", "&& a == b", 'unexpected token "&&" at position 1'),
    ("doubled-and", "a == b && && c == d", 'unexpected token "&&" at position 11'),
    ("trailing-or", "a == b ||", "unexpected end of input at position 10"),
    ("leading-or", "|| a == b", 'unexpected token "||" at position 1'),
    ("unterminated-string", 'a == "b', "unterminated string at position 6"),
    ("unterminated-single", "a == 'b", "unterminated string at position 6"),
    ("in-bare-string", 'x in "str"', 'unexpected string "str" at position 6'),
    ("in-digit", "x in 2", 'unexpected token "2" at position 6'),
    ("missing-value", "a ==", "unexpected end of input at position 5; expected a value"),
    ("key-only", "a", "unexpected end of input at position 2; expected an operator"),
    ("no-operator", "a b", 'unexpected token "b" at position 3; expected an operator'),
    ("operator-as-value", "a == in", 'unexpected token "in" at position 6; expected a value'),
    ("unclosed-list", "a in [x", "unexpected end of input at position 8"),
    ("and-in-list", "a in [x && y]", 'unexpected token "&&" at position 9'),
    ("parenthesis-in-list", "a in [(x)]", 'unexpected token "(" at position 7'),
    ("digit-key", "2 == a", 'unexpected token "2" at position 1; expected a key'),
    ("bool-key", "true == a", 'unexpected token "true" at position 1; expected a key'),
    ("keyword-key", "in in a", 'unexpected token "in" at position 1'),
    ("digit-after-dot", "a.1 == b", 'invalid identifier "a.1" at position 1'),
    ("trailing-dot", "a. == b", 'invalid identifier "a." at position 1'),
    ("double-dot", "a..b == c", 'invalid identifier "a..b" at position 1'),
    ("unquoted-hyphen", "region == us-west-1", 'invalid character "-" at position 13'),
    ("unquoted-colon", "a == entity:web1", 'invalid character ":" at position 12'),
    ("shell-variable", "host == $HOSTNAME", 'invalid character "$" at position 9'),
    ("empty-parentheses", "()", 'unexpected token ")" at position 2'),
    ("unclosed-parenthesis", "(a == b", 'unexpected end of input at position 8; expected ")"'),
    ("unopened-parenthesis", "a == b)", 'unexpected token ")" at position 7'),
    ("parenthesised-value", "a == (b)", 'unexpected token "(" at position 6; expected a value'),
    ("nul", 'a == "x\x00"', "invalid character NUL in string at position 8"),
    ("nul-bare", "a == \x00", 'invalid character "\\x00" at position 6'),
    ("empty", "", "unexpected end of input at position 1; expected a selector"),
    ("blank", "   ", "unexpected end of input at position 4; expected a selector"),
]


@pytest.mark.parametrize(("text", "message"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid(text: str, message: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse(text)
    assert caught.value.message.startswith("invalid fieldSelector: ")
    assert message in caught.value.message
    assert status_of(caught.value) == 400


def test_error_names_position_like_the_docs_example() -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse('check.name = "x"')
    assert caught.value.message.startswith(
        'invalid fieldSelector: unexpected token "=" at position 12'
    )


def test_error_names_the_selector_kind() -> None:
    with pytest.raises(InvalidArgument, match=r"^invalid labelSelector: "):
        parse("a ==", kind="labelSelector")


@pytest.mark.parametrize(
    "text",
    [
        "a == b && " * (MAX_LENGTH // 10 + 1) + "a == b",
        "(" * (MAX_DEPTH + 1) + "a == b" + ")" * (MAX_DEPTH + 1),
        "(" * 100_000,
        "[" * 5000,
        '"' * 3001,
    ],
    ids=["too-long", "too-deep", "huge-paren-run", "bracket-run", "quote-run"],
)
def test_pathological_input_is_a_clean_error(text: str) -> None:
    with pytest.raises(InvalidArgument):
        parse(text)


def test_deepest_allowed_nesting_parses() -> None:
    text = "(" * MAX_DEPTH + "a == b" + ")" * MAX_DEPTH
    assert parse(text) == op("a", "==", "b")


def test_parse_selection_ands_repeats_and_ignores_blanks() -> None:
    selection = parse_selection(["a == 1", "", "  ", "b == 2 || c == 3"], ["x in [y]"])
    assert selection == Selection(
        fields=And((op("a", "==", "1"), Or((op("b", "==", "2"), op("c", "==", "3"))))),
        labels=op("x", "in", ("y",)),
    )


def test_parse_selection_flattens_repeated_ands() -> None:
    selection = parse_selection(["a == 1 && b == 2", "c == 3"], [])
    assert selection.fields == And((op("a", "==", "1"), op("b", "==", "2"), op("c", "==", "3")))
    assert selection.labels is None


def test_parse_selection_empty() -> None:
    assert parse_selection([], []) == Selection()
    assert parse_selection([""], [" "]) == Selection()
    assert not parse_selection([], [])


def test_parse_selection_names_the_failing_parameter() -> None:
    with pytest.raises(InvalidArgument, match=r"^invalid labelSelector: "):
        parse_selection(["a == 1"], ["b = 2"])


SELECTOR_ALPHABET = st.sampled_from(
    [*"ab.c_/ 9=!&|,[]()\"'-:$\t\x00é", "in", "notin", "matches", "true", "==", "!=", "&&", "||"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(SELECTOR_ALPHABET, max_size=40).map("".join))
def test_parser_never_crashes_on_selector_like_text(text: str) -> None:
    _parse_or_reject(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_parser_never_crashes_on_any_text(text: str) -> None:
    _parse_or_reject(text)


def _parse_or_reject(text: str) -> None:
    try:
        result = parse(text)
    except InvalidArgument as error:
        assert error.message.startswith("invalid fieldSelector: ")
    else:
        assert isinstance(result, Operation | And | Or)
