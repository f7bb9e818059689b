"""Paging of every collection GET: `limit`, an opaque keyset cursor, and the next page's `Link` header.

A list answers at most `limit` rows (default 100, at most 500, as the inbox always did) in the list's own
order, and stays a plain JSON list (CONTRACT.md). When more rows follow, the answer carries
`Link: <…>; rel="next"` (RFC 8288): the same request with `cursor` set to the sort key of the last row sent.

Why a keyset and not an offset: the next page starts strictly after that key, so a row inserted or deleted
meanwhile never shifts a page boundary (no row is sent twice or skipped). Every ordering ends with the
row's id, which makes the key unique. The cursor is a position, never a grant: the service applies the
caller's scope again on every page, so a cursor someone else made only ever reaches the caller's own rows.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response
from litestar.datastructures import ResponseHeader
from litestar.params import QueryParameter
from sqlalchemy import ColumnElement, TypeDecorator, and_, or_
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine
from sqlmodel.sql.expression import SelectOfScalar

from backend.errors import InvalidInput

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
# A cursor is a few sort-key values; anything much longer was not made here.
MAX_CURSOR_CHARS = 1024

# The handler inputs every list takes. `limit` is read as text so that a wrong one is refused naming
# `limit` (Litestar's own conversion would blame the request as a whole).
Limit = Annotated[
    str | None,
    QueryParameter(description=f"rows in this page: 1 to {MAX_LIMIT}, default {DEFAULT_LIMIT}"),
]
Cursor = Annotated[
    str | None,
    QueryParameter(description="where this page starts, as the previous page's `Link` rel=next gave it"),
]
# For the OpenAPI document: the header is set per answer, only when there is a next page.
LINK_HEADER = [
    ResponseHeader(
        name="Link",
        documentation_only=True,
        description='`<…>; rel="next"`: the address of the next page; absent on the last page',
    )
]


@dataclass(frozen=True)
class SortKey:
    """One term of a list's order: a column (or SQL expression), its direction, and how to read a row's value
    of it (by default the attribute of the same name)."""

    column: Any
    descending: bool = False
    value: Callable[[Any], Any] | None = None

    def of(self, row: Any) -> Any:
        return self.value(row) if self.value is not None else getattr(row, self.column.key)


@dataclass(frozen=True)
class Ordering:
    """A list's order. `name` is written into its cursors, so a cursor of another list is refused."""

    name: str
    keys: tuple[SortKey, ...]

    @classmethod
    def of(cls, name: str, *keys: SortKey) -> Ordering:
        return cls(name, keys)


@dataclass(frozen=True)
class PageRequest:
    """What the caller asked for: how many rows, and after which position (a decoded cursor, not yet checked
    against the list's order)."""

    limit: int = DEFAULT_LIMIT
    after: list[Any] | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of rows, and the cursor of the next page (None on the last)."""

    rows: list[T]
    next_cursor: str | None = None

    def map(self, public: Callable[[T], R]) -> Page[R]:
        return Page([public(row) for row in self.rows], self.next_cursor)


def page_request(limit: str | None, cursor: str | None) -> PageRequest:
    """The caller's `limit` and `cursor`, checked; 422 naming the one that is wrong."""
    count = DEFAULT_LIMIT
    if limit not in (None, ""):
        assert limit is not None
        # Only spaces and tabs around it: str.strip() also drops control characters such as \x1c that int()
        # refuses, which turned `limit=2%1C` into a 500.
        text = limit.strip(" \t")
        if not re.fullmatch(r"[+-]?[0-9]{1,12}", text):
            raise InvalidInput.one("limit", "wrong_type", expected="integer")
        count = int(text)
        if not 1 <= count <= MAX_LIMIT:
            raise InvalidInput.one("limit", "out_of_range", min=1, max=MAX_LIMIT)
    if cursor in (None, ""):
        return PageRequest(count)
    assert cursor is not None
    return PageRequest(count, _decode(cursor))


def _encode(ordering: Ordering, values: list[Any]) -> str:
    raw = msgspec.json.encode([ordering.name, *values])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(cursor: str) -> list[Any]:
    if len(cursor) > MAX_CURSOR_CHARS or not re.fullmatch(r"[A-Za-z0-9_-]+", cursor):
        raise InvalidInput.one("cursor", "invalid_cursor")
    try:
        decoded = msgspec.json.decode(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise InvalidInput.one("cursor", "invalid_cursor") from None
    if not isinstance(decoded, list) or not decoded:
        raise InvalidInput.one("cursor", "invalid_cursor")
    return decoded


def _position(ordering: Ordering, after: list[Any]) -> list[Any]:
    """The cursor's values as the types of the order's columns; 422 when it is not a cursor of this list."""
    if len(after) != len(ordering.keys) + 1 or after[0] != ordering.name:
        raise InvalidInput.one("cursor", "invalid_cursor")
    values = []
    for key, raw in zip(ordering.keys, after[1:], strict=True):
        expected = _python_type(key.column.type)
        try:
            value = msgspec.convert(raw, expected, strict=False)
        except msgspec.ValidationError:
            raise InvalidInput.one("cursor", "invalid_cursor") from None
        if getattr(value, "tzinfo", True) is None:  # an instant without its offset was not written here
            raise InvalidInput.one("cursor", "invalid_cursor")
        values.append(value)
    return values


def _python_type(column_type: TypeEngine[Any]) -> type[Any]:
    """The Python type of a column's values; a decorated type (a UTC instant, SQLModel's strings) is asked
    through the type it decorates, and one that says nothing takes text (our ids)."""
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    python_type: type[Any] = column_type.python_type
    return str if python_type is object else python_type


def _beyond(keys: Sequence[SortKey], values: list[Any]) -> ColumnElement[bool]:
    """Rows strictly after the position in this order: (a > x) or (a = x and b > y) or …, each term in its
    own direction (a row-value comparison cannot mix directions)."""
    terms = []
    for index, key in enumerate(keys):
        equal = [k.column == v for k, v in zip(keys[:index], values[:index], strict=True)]
        past = key.column < values[index] if key.descending else key.column > values[index]
        terms.append(and_(*equal, past))
    return or_(*terms)


def fetch_page(session: Session, query: SelectOfScalar[T], ordering: Ordering, page: PageRequest) -> Page[T]:
    """One page of the query's rows in the ordering, starting after the page's cursor."""
    if page.after is not None:
        query = query.where(_beyond(ordering.keys, _position(ordering, page.after)))
    query = query.order_by(*(k.column.desc() if k.descending else k.column for k in ordering.keys))
    # One row more than asked tells whether a next page exists without counting the rest.
    rows = list(session.scalars(query.limit(page.limit + 1)))
    if len(rows) <= page.limit:
        return Page(rows)
    rows = rows[: page.limit]
    return Page(rows, _encode(ordering, [key.of(rows[-1]) for key in ordering.keys]))


def respond(request: Request[Any, Any, Any], page: Page[T]) -> Response[list[T]]:
    """The page as a JSON list, with `Link: <…>; rel="next"` when another page follows.

    The link is relative (RFC 8288 resolves it against the request), so it is right behind any proxy, and it
    repeats every other query parameter (filters, `limit`) so the next page is of the same list.
    """
    headers: dict[str, str] = {}
    if page.next_cursor is not None:
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        query.append(("cursor", page.next_cursor))
        headers["Link"] = f'<{request.url.path}?{urlencode(query)}>; rel="next"'
    return Response(page.rows, headers=headers)
