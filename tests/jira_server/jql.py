"""A small JQL subset: fields project, key/issuekey/id, labels, status, statusCategory, issuetype/type;
operators = != IN, NOT IN, IS [NOT] EMPTY; AND, OR, NOT, parentheses; ORDER BY key|id|created|updated.

Anything else is answered the way Jira answers an invalid query: 400 with an error message. That
includes `issue.property[...]` (only searchable when an app indexes the property, contract §9) and
JQL functions. Like Jira, unknown projects/statuses and non-existent issue keys are errors, and a
query without a restriction is rejected as unbounded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from tests.jira_server.errors import JiraHTTPError
from tests.jira_server.model import Issue

_TOKEN = re.compile(
    r"""\s*(?:(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<op>!=|!~|>=|<=|=|~|>|<|\(|\)|,)"""
    r"""|(?P<word>[A-Za-z0-9_.\-@\[\]*+/:]+))"""
)
_KEYWORDS = {"and", "or", "not", "in", "is", "empty", "null", "order", "by", "asc", "desc"}
_ISSUE_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*-[0-9]+$")

Predicate = Callable[[Issue], bool]


class Catalog(Protocol):
    """What compiling a query needs to know about the site."""

    def has_project(self, value: str) -> bool: ...

    def has_status(self, value: str) -> bool: ...

    def has_issue(self, key_or_id: str) -> bool: ...


@dataclass(frozen=True)
class Token:
    kind: str  # string | op | word
    text: str
    position: int

    @property
    def lowered(self) -> str:
        return self.text.lower() if self.kind == "word" else self.text


@dataclass(frozen=True)
class Clause:
    field: str
    operator: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Logical:
    operator: str  # and | or | not
    operands: tuple[Node, ...]


Node = Clause | Logical


@dataclass(frozen=True)
class Query:
    where: Node | None
    order_by: tuple[tuple[str, bool], ...]  # (field, descending)


def jql_error(detail: str) -> JiraHTTPError:
    return JiraHTTPError(400, [detail])


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise jql_error(
                f"Error in the JQL Query: The character '{text[position:].strip()[0]}' is a reserved "
                f"JQL character. (line 1, character {position + 1})"
            )
        kind = match.lastgroup or "word"
        tokens.append(Token(kind, match.group(kind), match.start(kind)))
        position = match.end()
    return tokens


def _unquote(token: Token) -> str:
    if token.kind != "string":
        return token.text
    return re.sub(r"\\(.)", r"\1", token.text[1:-1])


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self._tokens = tokens
        self._index = 0

    def parse(self) -> Query:
        where = None if self._at_order() or self._done() else self._or()
        order = self._order_by() if self._at_order() else ()
        if not self._done():
            self._fail("end of query")
        return Query(where, order)

    def _done(self) -> bool:
        return self._index >= len(self._tokens)

    def _peek(self) -> Token | None:
        return None if self._done() else self._tokens[self._index]

    def _next(self, expected: str) -> Token:
        token = self._peek()
        if token is None:
            raise jql_error(f"Error in the JQL Query: Expecting {expected} but reached the end of the query.")
        self._index += 1
        return token

    def _fail(self, expected: str) -> None:
        token = self._tokens[min(self._index, len(self._tokens) - 1)]
        raise jql_error(
            f"Error in the JQL Query: Expecting {expected} but got '{token.text}'. "
            f"(line 1, character {token.position + 1})"
        )

    def _is(self, word: str) -> bool:
        token = self._peek()
        return token is not None and token.lowered == word

    def _at_order(self) -> bool:
        return self._is("order")

    def _or(self) -> Node:
        operands = [self._and()]
        while self._is("or"):
            self._index += 1
            operands.append(self._and())
        return operands[0] if len(operands) == 1 else Logical("or", tuple(operands))

    def _and(self) -> Node:
        operands = [self._unary()]
        while self._is("and"):
            self._index += 1
            operands.append(self._unary())
        return operands[0] if len(operands) == 1 else Logical("and", tuple(operands))

    def _unary(self) -> Node:
        if self._is("not"):
            self._index += 1
            return Logical("not", (self._unary(),))
        if self._is("("):
            self._index += 1
            node = self._or()
            if not self._is(")"):
                self._fail("')'")
            self._index += 1
            return node
        return self._clause()

    def _clause(self) -> Clause:
        field_token = self._next("a field name")
        if field_token.kind == "op" or field_token.lowered in _KEYWORDS:
            self._index -= 1
            self._fail("a field name")
        operator = self._operator()
        if operator in ("is", "is not"):
            value = self._next("EMPTY")
            if value.lowered not in ("empty", "null"):
                self._index -= 1
                self._fail("EMPTY")
            return Clause(_unquote(field_token), operator, ())
        values = self._list() if operator in ("in", "not in") else (self._value(),)
        return Clause(_unquote(field_token), operator, values)

    def _operator(self) -> str:
        token = self._next("an operator")
        word = token.lowered
        if word == "not" and self._is("in"):
            self._index += 1
            return "not in"
        if word == "is" and self._is("not"):
            self._index += 1
            return "is not"
        if word in ("=", "!=", "in", "is", "~", "!~", ">", "<", ">=", "<="):
            return word
        self._index -= 1
        self._fail("an operator")
        raise AssertionError  # unreachable

    def _list(self) -> tuple[str, ...]:
        if not self._is("("):
            return (self._value(),)  # a function call (unsupported) or a single value
        self._index += 1
        values = [self._value()]
        while self._is(","):
            self._index += 1
            values.append(self._value())
        if not self._is(")"):
            self._fail("')'")
        self._index += 1
        return tuple(values)

    def _value(self) -> str:
        token = self._next("a value")
        if token.kind == "op" or (token.kind == "word" and token.lowered in _KEYWORDS):
            self._index -= 1
            self._fail("a value")
        if self._is("("):
            raise jql_error(f"Error in the JQL Query: Unable to find JQL function '{token.text}(...)'.")
        return _unquote(token)

    def _order_by(self) -> tuple[tuple[str, bool], ...]:
        self._index += 1
        if not self._is("by"):
            self._fail("'by'")
        self._index += 1
        order = [self._order_item()]
        while self._is(","):
            self._index += 1
            order.append(self._order_item())
        return tuple(order)

    def _order_item(self) -> tuple[str, bool]:
        field_name = self._next("a field name").lowered
        descending = False
        if self._is("asc") or self._is("desc"):
            descending = self._next("direction").lowered == "desc"
        return field_name, descending


def parse(text: str) -> Query:
    """Parse JQL; raises JiraHTTPError(400) for syntax errors."""
    return _Parser(tokenize(text)).parse()


def compile_query(text: str, catalog: Catalog) -> tuple[Predicate, Callable[[list[Issue]], list[Issue]]]:
    """A predicate and a sorter for `text`; unbounded or unsupported queries raise JiraHTTPError(400)."""
    query = parse(text)
    if query.where is None:
        raise jql_error(
            "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
        )
    predicate = _compile(query.where, catalog)
    return predicate, _sorter(query.order_by)


def _compile(node: Node, catalog: Catalog) -> Predicate:
    if isinstance(node, Logical):
        parts = [_compile(operand, catalog) for operand in node.operands]
        if node.operator == "not":
            return lambda issue: not parts[0](issue)
        if node.operator == "and":
            return lambda issue: all(part(issue) for part in parts)
        return lambda issue: any(part(issue) for part in parts)
    return _clause_predicate(node, catalog)


_FIELD_ALIASES = {
    "issuekey": "key", "issue": "key", "key": "key", "id": "key", "project": "project", "labels": "labels",
    "label": "labels", "status": "status", "statuscategory": "statuscategory", "issuetype": "issuetype",
    "type": "issuetype",
}  # fmt: skip
_OPERATORS = {
    "key": {"=", "!=", "in", "not in"},
    "project": {"=", "!=", "in", "not in"},
    "labels": {"=", "!=", "in", "not in", "is", "is not"},
    "status": {"=", "!=", "in", "not in"},
    "statuscategory": {"=", "!=", "in", "not in"},
    "issuetype": {"=", "!=", "in", "not in"},
}


def _clause_predicate(clause: Clause, catalog: Catalog) -> Predicate:
    field_name = _FIELD_ALIASES.get(clause.field.lower())
    if field_name is None:
        raise jql_error(f"Field '{clause.field}' does not exist or you do not have permission to view it.")
    if clause.operator not in _OPERATORS[field_name]:
        raise jql_error(
            f"The operator '{clause.operator.upper()}' is not supported by the '{clause.field}' field."
        )
    _check_values(field_name, clause, catalog)
    if clause.operator in ("is", "is not"):
        empty = clause.operator == "is"
        return lambda issue: (not issue.labels) == empty
    matcher = _matcher(field_name, clause.values)
    if clause.operator in ("!=", "not in"):
        return lambda issue: not matcher(issue)
    return matcher


def _check_values(field_name: str, clause: Clause, catalog: Catalog) -> None:
    for value in clause.values:
        if field_name == "project" and not catalog.has_project(value):
            raise jql_error(f"The value '{value}' does not exist for the field '{clause.field}'.")
        if field_name == "status" and not catalog.has_status(value):
            raise jql_error(f"The value '{value}' does not exist for the field '{clause.field}'.")
        if field_name == "key":
            if not (_ISSUE_KEY.match(value) or value.isdigit()):
                raise jql_error(f"The issue key '{value}' for field '{clause.field}' is invalid.")
            if not catalog.has_issue(value):
                raise jql_error(f"An issue with key '{value}' does not exist for field '{clause.field}'.")


def _matcher(field_name: str, raw_values: Iterable[str]) -> Predicate:
    values = {value.casefold() for value in raw_values}
    if field_name == "key":
        return lambda issue: issue.key.casefold() in values or issue.id in values
    if field_name == "project":
        return lambda issue: bool(
            {issue.project.key.casefold(), issue.project.id, issue.project.name.casefold()} & values
        )
    if field_name == "labels":
        return lambda issue: any(label.casefold() in values for label in issue.labels)
    if field_name == "status":
        return lambda issue: issue.status.name.casefold() in values or issue.status.id in values
    if field_name == "statuscategory":
        return lambda issue: bool(
            {issue.status.category.key, issue.status.category.name.casefold(), str(issue.status.category.id)}
            & values
        )
    return lambda issue: issue.issue_type.name.casefold() in values or issue.issue_type.id in values


_SORT_KEYS: dict[str, Callable[[Issue], object]] = {
    "key": lambda issue: (issue.project.key, int(issue.key.rsplit("-", 1)[1])),
    "issuekey": lambda issue: (issue.project.key, int(issue.key.rsplit("-", 1)[1])),
    "id": lambda issue: int(issue.id),
    "created": lambda issue: (issue.created, int(issue.id)),
    "updated": lambda issue: (issue.updated, int(issue.id)),
}


def _sorter(order_by: tuple[tuple[str, bool], ...]) -> Callable[[list[Issue]], list[Issue]]:
    for field_name, _ in order_by:
        if field_name not in _SORT_KEYS:
            raise jql_error(f"Field '{field_name}' does not exist or you do not have permission to view it.")
    steps = order_by or (("created", True),)

    def sort(issues: list[Issue]) -> list[Issue]:
        ordered = list(issues)
        for field_name, descending in reversed(steps):
            ordered.sort(key=_SORT_KEYS[field_name], reverse=descending)  # type: ignore[arg-type]
        return ordered

    return sort
