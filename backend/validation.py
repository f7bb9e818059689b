"""Strict field validation shared by the HTTP API and the sync engine.

Everything a client sends passes through `validate` before the database sees it, because garbage that
reaches PostgreSQL turns into a 500 instead of a clear error: `\\u0000` in text is a DataError, 2**63
overflows BIGINT, Python's `json` accepts NaN, and `True` is an `int` in Python. Each rule returns the
Python value to store or raises `_Broken` with a stable code; `validate` collects every broken rule of a
record into one `InvalidInput`, so the user sees all of them at once.
"""

from __future__ import annotations

import math
import re
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import available_timezones

from email_validator import EmailNotValidError, validate_email

from backend.errors import FieldError, InvalidInput
from backend.periods import InvalidPeriod, parse_period


class _Broken(Exception):
    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Rule:
    required: bool = False
    nullable: bool = True

    def check(self, value: Any, max_text: int) -> Any:
        raise NotImplementedError


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# The form `str(uuid.UUID(...))` gives: most ids arrive in it already, and need no parsing.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def canonical_uuid(value: Any) -> str | None:
    """`value` as the canonical text of a UUID, or None when it is not one."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    if _CANONICAL_UUID.fullmatch(value):
        return value
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _clean_text(value: Any, max_len: int) -> str:
    if not isinstance(value, str):
        raise _Broken("wrong_type", expected="string")
    # NUL and lone surrogates cannot be stored by PostgreSQL (and mean nothing to a person).
    if _UNSTORABLE.search(value):
        raise _Broken("invalid_text")
    if len(value) > max_len:
        raise _Broken("too_long", max=max_len)
    return value


# Letters that draw nothing (Hangul fillers, the blank Braille pattern): text that shows none.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _invisible(char: str) -> bool:
    """Whitespace, format characters (Cf: zero-width space and joiners, word joiner, BOM, direction marks),
    control characters and blank letters: a text made only of these looks empty to a person."""
    return char.isspace() or unicodedata.category(char) in ("Cf", "Cc") or char in _BLANK_LETTERS


def _strip_invisible(text: str) -> str:
    start, end = 0, len(text)
    while start < end and _invisible(text[start]):
        start += 1
    while end > start and _invisible(text[end - 1]):
        end -= 1
    return text[start:end]


@dataclass(frozen=True)
class Text(Rule):
    """Text; `min_len` counts the characters a person sees, so a name of zero-width spaces is not a name."""

    max_len: int | None = None  # None: the server's text limit (characters, not bytes)
    min_len: int = 0
    strip: bool = True  # drop invisible characters at both ends (whitespace, zero-width, BOM)

    def check(self, value: Any, max_text: int) -> Any:
        text = _clean_text(value, self.max_len or max_text)
        if self.strip:
            text = _strip_invisible(text)
        # Blank-ish text (only spaces or zero-width characters) is as empty as no text.
        if self.min_len and sum(1 for char in text if not _invisible(char)) < self.min_len:
            raise _Broken("required" if self.min_len == 1 else "too_short", min=self.min_len)
        return text


def _canonical_email(text: str) -> str:
    """The address in the one form it is stored and compared in; EmailNotValidError when it is none.

    NFKC first, so that a full-width look-alike (`ａｄｍｉｎ＠example.com`) is the address it imitates;
    email-validator then checks the syntax and normalises the domain (lower case, IDNA: `xn--mller-kva.de`
    and `müller.de` are one domain); the local part is case-folded (`Rep1@` and `rep1@` are one person here).
    """
    # `strict`: a local part of at most 64 characters, as the library advises when an address is created.
    found = validate_email(unicodedata.normalize("NFKC", text.strip()), check_deliverability=False, strict=True)
    local = unicodedata.normalize("NFKC", found.local_part.casefold())
    return f"{local}@{found.domain}"


def normalize_email(text: str) -> str:
    """An address as stored, to look one up (signing in): text that is no address at all is only folded,
    and so matches nobody."""
    try:
        return _canonical_email(text)
    except EmailNotValidError:
        return unicodedata.normalize("NFKC", text.strip()).casefold()


@dataclass(frozen=True)
class Email(Rule):
    def check(self, value: Any, max_text: int) -> Any:
        text = _clean_text(value, 254)
        try:
            return _canonical_email(text)
        except EmailNotValidError:
            raise _Broken("invalid_format", format="email") from None


@dataclass(frozen=True)
class Integer(Rule):
    min: int = -(2**31)
    max: int = 2**31 - 1

    def check(self, value: Any, max_text: int) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Broken("wrong_type", expected="integer")
        if not self.min <= value <= self.max:
            raise _Broken("out_of_range", min=self.min, max=self.max)
        return value


@dataclass(frozen=True)
class Number(Rule):
    min: float = -1e12
    max: float = 1e12

    def check(self, value: Any, max_text: int) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Broken("wrong_type", expected="number")
        if isinstance(value, float) and not math.isfinite(value):
            raise _Broken("wrong_type", expected="number")
        if not self.min <= value <= self.max:
            raise _Broken("out_of_range", min=self.min, max=self.max)
        return float(value)


@dataclass(frozen=True)
class Money(Rule):
    """Yuan as a decimal string ("12000.50"): never a float, at most two decimals.

    `places` allows more decimals (goal targets such as a conversion of "0.3550"); `whole_numbers` also
    takes a JSON integer (a target of 60 visits), never a float.
    """

    min: Decimal = Decimal(0)
    max: Decimal = Decimal("999999999999.99")
    places: int = 2
    whole_numbers: bool = False

    def check(self, value: Any, max_text: int) -> Any:
        # integers accepted where asked for (counts); bool is an int to Python, so refused first.
        if self.whole_numbers and isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**15:
            value = str(value)
        if not isinstance(value, str) or len(value) > 32:
            raise _Broken("wrong_type", expected="decimal")
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            raise _Broken("wrong_type", expected="decimal") from None
        unit = Decimal(1).scaleb(-self.places)
        if not amount.is_finite() or amount != amount.quantize(unit):
            raise _Broken("wrong_type", expected="decimal")
        if not self.min <= amount <= self.max:
            raise _Broken("out_of_range", min=str(self.min), max=str(self.max))
        return amount.quantize(unit)


@dataclass(frozen=True)
class Uuid(Rule):
    def check(self, value: Any, max_text: int) -> Any:
        canonical = canonical_uuid(value)
        if canonical is None:
            raise _Broken("wrong_type", expected="uuid")
        return canonical


@dataclass(frozen=True)
class UuidList(Rule):
    """Distinct ids, in the order sent; an empty list is stored as null (nothing listed)."""

    max_items: int = 100

    def check(self, value: Any, max_text: int) -> Any:
        if not isinstance(value, list):
            raise _Broken("wrong_type", expected="list")
        if len(value) > self.max_items:
            raise _Broken("too_many_items", max=self.max_items)
        ids = [canonical_uuid(item) for item in value]
        if None in ids:
            raise _Broken("wrong_type", expected="uuid")
        if len(set(ids)) != len(ids):
            raise _Broken("repeated_item")
        return ids or None


@dataclass(frozen=True)
class Day(Rule):
    def check(self, value: Any, max_text: int) -> Any:
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise _Broken("wrong_type", expected="date")
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise _Broken("wrong_type", expected="date") from None
        if not 2000 <= day.year <= 2100:
            raise _Broken("out_of_range", min="2000-01-01", max="2100-12-31")
        return day


@dataclass(frozen=True)
class Instant(Rule):
    """An RFC 3339 time with its offset: the offset is evidence of where the rep was."""

    def check(self, value: Any, max_text: int) -> Any:
        if not isinstance(value, str) or len(value) > 40:
            raise _Broken("wrong_type", expected="datetime")
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise _Broken("wrong_type", expected="datetime") from None
        if moment.tzinfo is None or "T" not in value.upper():
            raise _Broken("wrong_type", expected="datetime")
        if not 2000 <= moment.year <= 2100:
            raise _Broken("out_of_range", min="2000", max="2100")
        return moment


@dataclass(frozen=True)
class PeriodKey(Rule):
    """[goals/kpi] A period as CONTRACT.md writes it: 2026, 2026-Q4, 2026-11, 2026-W48; its canonical key."""

    def check(self, value: Any, max_text: int) -> Any:
        if not isinstance(value, str) or len(value) > 16:
            raise _Broken("wrong_type", expected="period")
        try:
            return parse_period(value).key
        except InvalidPeriod:
            raise _Broken("wrong_type", expected="period") from None


@dataclass(frozen=True)
class Flag(Rule):
    def check(self, value: Any, max_text: int) -> Any:
        if not isinstance(value, bool):
            raise _Broken("wrong_type", expected="boolean")
        return value


@dataclass(frozen=True)
class Choice(Rule):
    choices: tuple[str, ...] = ()

    def check(self, value: Any, max_text: int) -> Any:
        if not isinstance(value, str):
            raise _Broken("wrong_type", expected="string")
        if value not in self.choices:
            raise _Broken("invalid_choice", choices=", ".join(self.choices))
        return value


@dataclass(frozen=True)
class TimeZone(Rule):
    def check(self, value: Any, max_text: int) -> Any:
        text = _clean_text(value, 64)
        if text not in _zones():
            raise _Broken("invalid_timezone")
        return text


_ZONES: set[str] = set()


def _zones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
    return _ZONES


def validate(
    data: Any,
    spec: Mapping[str, Rule],
    *,
    partial: bool = False,
    max_text: int = 4000,
    prefix: str = "",
    read_only: Sequence[str] = (),
) -> dict[str, Any]:
    """The cleaned values of `data` by `spec`, or one InvalidInput naming every broken field.

    `partial` (an update) makes nothing required; `read_only` names fields the server sets, refused with
    `not_writable` rather than `unknown_field` so the client learns why.
    """
    if not isinstance(data, dict):
        raise InvalidInput.one(prefix.rstrip(".") or "body", "wrong_type", expected="object")
    errors: list[FieldError] = []
    cleaned: dict[str, Any] = {}
    for name, value in data.items():
        key = f"{prefix}{name}"
        rule = spec.get(name)
        if rule is None:
            errors.append(FieldError(key[:100], "not_writable" if name in read_only else "unknown_field"))
            continue
        if value is None:
            if rule.required or not rule.nullable:
                errors.append(FieldError(key, "required"))
            else:
                cleaned[name] = None
            continue
        try:
            cleaned[name] = rule.check(value, max_text)
        except _Broken as broken:
            errors.append(FieldError(key, broken.code, broken.params))
    if not partial:
        errors.extend(
            FieldError(f"{prefix}{name}", "required")
            for name, rule in spec.items()
            if rule.required and name not in data
        )
    if errors:
        raise InvalidInput(errors=errors)
    return cleaned
