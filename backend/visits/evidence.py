"""What a visit's evidence says: the flags the server sets on it for the lead who reviews it.

A flag is a hint for a person, never a decision: setting one never changes a visit's status. In this order:

- `far`: the check-in lies farther from the customer than the radius: the customer's own (`radius_m`), else
  that of the nearest unit up the rep's unit path (`check_in_radius_m`), else the `check_in_radius_m` setting;
- `poor_accuracy`: the phone reported an accuracy worse than `max_accuracy_m`;
- `impossible_travel`: the rep's previous or next check-in (by `check_in_at`, both with a position) is too far
  away for the time between them (faster than `max_travel_kmh`), beyond what the two reported accuracies
  explain; two check-ins at the same instant in different places are impossible, at the same place (within
  their accuracies) they are not;
- `repeated_position`: the same latitude and longitude, to the last digit, as a check-in of the rep at another
  customer within `repeated_position_minutes`: a position typed in, or replayed, rather than measured.

The first two are the visit's own and follow its position, accuracy and customer. The last two are between
check-ins: a check-in that arrives late, moves or goes changes them for its neighbours too, so those are
recomputed, and each whose flags change gets a new version (phones pull it). The sync engine writes a run of
new visits in one statement (`insert_visits`); the rep's stored check-ins around the whole run are read in one
query, not one per visit.
"""

from __future__ import annotations

import json
import math
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Text, cast, literal, select, union_all
from sqlalchemy.orm import Session
from sqlmodel import col

from backend.customers.models import Customer
from backend.org.models import Unit, User
from backend.settings import Settings, session_settings
from backend.visits.models import Visit

FLAGS = ("far", "poor_accuracy", "impossible_travel", "repeated_position")
# The flags a visit's own fields decide; the others depend on the rep's other check-ins.
OWN = frozenset({"far", "poor_accuracy"})
BETWEEN = frozenset(FLAGS) - OWN


@dataclass(frozen=True)
class Rules:
    """The thresholds the flags are judged by (from the settings)."""

    radius_m: int
    max_accuracy_m: int
    max_travel_kmh: int
    repeated_within: timedelta


def rules_from(settings: Settings) -> Rules:
    return Rules(
        settings.check_in_radius_m,
        settings.max_accuracy_m,
        settings.max_travel_kmh,
        timedelta(minutes=settings.repeated_position_minutes),
    )


def rules_of(session: Session) -> Rules:
    """The session's rules, built once per session (a sync batch asks for every visit)."""
    rules = session.info.get("fieldgoal.evidence_rules")
    if rules is None:
        rules = session.info["fieldgoal.evidence_rules"] = rules_from(session_settings(session))
    return rules


class CheckIn(NamedTuple):
    """A check-in with a position, as the flags between check-ins read it (a tuple: a batch reads the rep's
    check-ins around it by the thousand)."""

    id: str
    at: datetime
    lat: float
    lon: float
    accuracy_m: float | None
    customer_id: str


def in_order(flags: Iterable[str]) -> list[str] | None:
    """Flags as stored and sent: in the fixed order, null when there are none."""
    present = set(flags)
    return [name for name in FLAGS if name in present] or None


def own_flags(distance: float | None, accuracy: float | None, radius_m: int, rules: Rules) -> set[str]:
    flags = set()
    if distance is not None and distance > radius_m:
        flags.add("far")
    if accuracy is not None and accuracy > rules.max_accuracy_m:
        flags.add("poor_accuracy")
    return flags


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine): how far the check-in was from the customer."""
    radius = 6_371_000.0
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return round(2 * radius * math.asin(math.sqrt(a)), 1)


def _impossible(a: CheckIn, b: CheckIn, rules: Rules) -> bool:
    if a.lat == b.lat and a.lon == b.lon:
        return False  # the same place is never a journey (and spares the trigonometry)
    # Each position is only known to within its accuracy: the journey is at least what they leave of it.
    metres = max(0.0, distance_m(a.lat, a.lon, b.lat, b.lon) - (a.accuracy_m or 0) - (b.accuracy_m or 0))
    seconds = abs((b.at - a.at).total_seconds())
    if seconds == 0:
        return metres > 0
    return metres / 1000 / (seconds / 3600) > rules.max_travel_kmh


def between_flags(ordered: Sequence[CheckIn], index: int, rules: Rules) -> set[str]:
    """The flags between check-ins of `ordered[index]`, given all of the rep's check-ins around it in
    (check_in_at, id) order: its neighbours and every one within `repeated_within`."""
    here = ordered[index]
    flags = set()
    neighbours = [ordered[i] for i in (index - 1, index + 1) if 0 <= i < len(ordered)]
    if any(_impossible(other, here, rules) for other in neighbours):
        flags.add("impossible_travel")
    if _repeated(ordered, index, rules):
        flags.add("repeated_position")
    return flags


def _repeated(ordered: Sequence[CheckIn], index: int, rules: Rules) -> bool:
    here = ordered[index]
    for step in (-1, 1):
        i = index + step
        while 0 <= i < len(ordered) and abs(ordered[i].at - here.at) <= rules.repeated_within:
            other = ordered[i]
            if other.lat == here.lat and other.lon == here.lon and other.customer_id != here.customer_id:
                return True
            i += step
    return False


# --- radii ------------------------------------------------------------------------------------------------


def radius_for(session: Session, rep_id: str, customer: Customer | Any) -> int:
    """How far from `customer` a check-in by the rep may be before it is `far`, in metres."""
    if customer.radius_m is not None:
        return int(customer.radius_m)
    unit_radius = _unit_radius(session, rep_id)
    return unit_radius if unit_radius is not None else rules_of(session).radius_m


def _unit_radius(session: Session, rep_id: str) -> int | None:
    """The radius of the nearest unit up the rep's unit path that sets one, read once per session (a sync
    batch asks for every visit; units are edited by other requests)."""
    cache: dict[str, int | None] = session.info.setdefault("fieldgoal.unit_radius", {})
    if rep_id not in cache:
        path = session.execute(
            select(col(Unit.path)).join(User, col(User.unit_id) == col(Unit.id)).where(col(User.id) == rep_id)
        ).scalar_one_or_none()
        ancestors = [part for part in (path or "").split("/") if part]
        radii: dict[str, int] = dict(
            session.execute(  # type: ignore[arg-type]
                select(col(Unit.id), col(Unit.check_in_radius_m)).where(
                    col(Unit.id).in_(ancestors), col(Unit.check_in_radius_m).is_not(None)
                )
            ).all()
        )
        cache[rep_id] = next((radii[unit] for unit in reversed(ancestors) if unit in radii), None)
    return cache[rep_id]


# --- recomputing ------------------------------------------------------------------------------------------


def _parsed(flags_text: str | None) -> frozenset[str]:
    return frozenset(json.loads(flags_text) or ()) if flags_text else frozenset()


def _stored_around(
    session: Session, rep_id: str, low: datetime, high: datetime
) -> tuple[list[CheckIn], dict[str, str], bool, bool]:
    """The rep's live check-ins with a position from `low` to `high`, with the two before and the two after
    them, in one statement; their flags as stored (JSON text, by id, for those that have any: parsed only
    for the check-ins recomputed); and whether those reach the rep's first and last check-ins."""
    at, visit_id = col(Visit.check_in_at), col(Visit.id)
    columns = (
        visit_id,
        at,
        col(Visit.lat),
        col(Visit.lon),
        col(Visit.accuracy_m),
        col(Visit.customer_id),
        cast(col(Visit.flags), Text),
    )
    live = (
        col(Visit.rep_id) == rep_id,
        col(Visit.deleted_at).is_(None),
        col(Visit.lat).is_not(None),
        col(Visit.lon).is_not(None),
    )
    inside = select(*columns, literal(0).label("part")).where(*live, at >= low, at <= high)
    before = (
        select(*columns, literal(-1).label("part"))
        .where(*live, at < low)
        .order_by(at.desc(), visit_id.desc())
        .limit(2)
        .subquery()
    )
    after = (
        select(*columns, literal(1).label("part"))
        .where(*live, at > high)
        .order_by(at, visit_id)
        .limit(2)
        .subquery()
    )
    rows = session.execute(union_all(inside, select(before), select(after))).all()
    stored = [CheckIn(row[0], row[1], row[2], row[3], row[4], row[5]) for row in rows]
    flags = {row[0]: row[6] for row in rows if row[6] and row[6] != "null"}
    parts = [row[7] for row in rows]
    return stored, flags, parts.count(-1) < 2, parts.count(1) < 2


class _Around:
    """The rep's check-ins around some moments, in (check_in_at, id) order, with what is known of them:
    whether they reach the rep's first and last check-in, and which share a position."""

    def __init__(
        self, check_ins: list[CheckIn], low: datetime, high: datetime, from_first: bool, to_last: bool
    ) -> None:
        self.ordered = sorted(check_ins, key=lambda c: (c.at, c.id))
        self.times = [c.at for c in self.ordered]
        self.low, self.high, self.from_first, self.to_last = low, high, from_first, to_last
        # Per position, the indices of its check-ins (in time order) and the customers they were at: a
        # position held at one customer only can never be repeated, which spares scanning its neighbours.
        self.spots: dict[tuple[float, float], list[int]] = defaultdict(list)
        self.customers: dict[tuple[float, float], set[str]] = defaultdict(set)
        for i, c in enumerate(self.ordered):
            self.spots[(c.lat, c.lon)].append(i)
            self.customers[(c.lat, c.lon)].add(c.customer_id)

    def shared(self, i: int) -> bool:
        c = self.ordered[i]
        return len(self.customers[(c.lat, c.lon)]) > 1

    def travel_known(self, i: int) -> bool:
        return (i > 0 or self.from_first) and (i < len(self.ordered) - 1 or self.to_last)

    def window_known(self, i: int, window: timedelta) -> bool:
        at = self.times[i]
        return (at - window >= self.low or self.from_first) and (at + window <= self.high or self.to_last)

    def impossible(self, i: int, rules: Rules) -> bool:
        here = self.ordered[i]
        return any(_impossible(self.ordered[j], here, rules) for j in (i - 1, i + 1) if 0 <= j < len(self.ordered))

    def repeated(self, i: int, rules: Rules) -> bool:
        if not self.shared(i):
            return False
        here = self.ordered[i]
        return any(
            self.ordered[j].customer_id != here.customer_id
            and abs(self.ordered[j].at - here.at) <= rules.repeated_within
            for j in self.spots[(here.lat, here.lon)]
        )


def refresh_around(
    session: Session,
    rep_id: str,
    moments: Iterable[datetime],
    now: datetime,
    arriving: Sequence[dict[str, Any]] = (),
    settled: frozenset[str] = frozenset(),
) -> None:
    """Recompute the flags between check-ins of the rep's check-ins near `moments` (where check-ins arrive,
    moved from or to, or went), and of the `arriving` rows (new visits not written yet, whose own flags are
    set). A stored visit whose flags change gets a new version, unless it is `settled` (already given one
    by the change that brought us here)."""
    # In UTC, as stored: comparing instants of one zone is several times faster than of mixed offsets.
    moments = sorted({moment.astimezone(UTC) for moment in moments})
    if not moments:
        return
    rules = rules_of(session)
    window = rules.repeated_within
    # A check-in near a moment reads its neighbours and what lies within `repeated_within` of it.
    low, high = moments[0] - 2 * window, moments[-1] + 2 * window
    stored, stored_flags, from_first, to_last = _stored_around(session, rep_id, low, high)
    new = [
        CheckIn(
            row["id"],
            row["check_in_at"].astimezone(UTC),
            row["lat"],
            row["lon"],
            row["accuracy_m"],
            row["customer_id"],
        )
        for row in arriving
        if row["lat"] is not None and row["lon"] is not None
    ]
    around = _Around(stored + new, low, high, from_first, to_last)
    affected = _affected(around, moments, stored_flags, window)

    def between(i: int, before: frozenset[str]) -> set[str]:
        """Its flags between check-ins, each one kept as stored where its context was not read (then no
        moment is near enough to change it)."""
        flags = set()
        if around.impossible(i, rules) if around.travel_known(i) else "impossible_travel" in before:
            flags.add("impossible_travel")
        if around.repeated(i, rules) if around.window_known(i, window) else "repeated_position" in before:
            flags.add("repeated_position")
        return flags

    by_id = {row["id"]: row for row in arriving}
    for i in sorted(affected):
        check_in = around.ordered[i]
        if check_in.id in by_id:
            row = by_id[check_in.id]
            row["flags"] = in_order(set(row["flags"] or ()) & OWN | between(i, frozenset()))
            continue
        before = _parsed(stored_flags.get(check_in.id))
        after = before & OWN | between(i, before)
        if after != before:
            _set_flags(session, check_in.id, in_order(after), now, bump=check_in.id not in settled)


def _affected(
    around: _Around, moments: list[datetime], stored_flags: dict[str, str], window: timedelta
) -> set[int]:
    """Which check-ins' flags between check-ins a check-in arriving, leaving or going at `moments` may
    change: those at each moment and the one on either side of them (their neighbours changed), and those
    within `window` of it whose position another customer shares or that are flagged `repeated_position`."""
    times, count = around.times, len(around.ordered)
    affected: set[int] = set()
    repeated = {visit_id for visit_id, text in stored_flags.items() if "repeated_position" in text}
    repeats_possible = bool(repeated) or any(len(c) > 1 for c in around.customers.values())
    for moment in moments:
        first, last = bisect_left(times, moment), bisect_right(times, moment)
        affected.update(range(max(first - 1, 0), min(last + 1, count)))
        if not repeats_possible:
            continue
        for i in range(bisect_left(times, moment - window), bisect_right(times, moment + window)):
            if around.shared(i) or around.ordered[i].id in repeated:
                affected.add(i)
    return affected


def _set_flags(session: Session, visit_id: str, flags: list[str] | None, now: datetime, *, bump: bool) -> None:
    visit = session.get_one(Visit, visit_id)
    visit.flags = flags
    if bump:
        visit.version += 1
        visit.updated_at = now
