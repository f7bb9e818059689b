"""Whatever check-ins a rep logs, in whatever order and however they are batched, every visit ends with the
flags it would have if all of them were judged at once: the sync engine's bulk path (a run of creates
written together, neighbours read once per run) and the one-at-a-time path agree, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from backend.customers.service import add_customer
from backend.visits import evidence
from backend.visits.models import Visit
from backend.visits.service import create_visit, insert_visits, new_visit_row
from tests.conftest import Clock, database
from tests.kpi.helpers import actor
from tests.sync.test_convergence import reset_database

CST = timezone(timedelta(hours=8))
SHANGHAI = (31.2304, 121.4737)
# Where a check-in may be: at either customer, 300 m and 5 km off, in another city, or without a position.
PLACES: list[tuple[float, float] | None] = [
    SHANGHAI,
    (SHANGHAI[0] + 0.0027, SHANGHAI[1]),
    (SHANGHAI[0] + 0.045, SHANGHAI[1]),
    (39.9042, 116.4074),
    None,
]
CUSTOMERS = [PLACES[0], PLACES[1]]
RULES = evidence.Rules(radius_m=500, max_accuracy_m=200, max_travel_kmh=150, repeated_within=timedelta(hours=1))

# (minutes after 8:00 in steps of 5, so that equal times and the one-hour edge both happen, mostly within a
# morning and sometimes over the next day, beyond the reach of one check-in's neighbourhood; place; customer;
# accuracy)
check_ins = st.lists(
    st.tuples(
        st.one_of(st.integers(min_value=0, max_value=48), st.integers(min_value=0, max_value=400)),
        st.integers(min_value=0, max_value=len(PLACES) - 1),
        st.integers(min_value=0, max_value=1),
        st.sampled_from([5.0, 150.0, 250.0]),
    ),
    min_size=1,
    max_size=9,
)


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from database(request.param, tmp_path)


def _visit_id(index: int, rep: int) -> str:
    # Ids that sort by index for every rep: visits at the same instant are ordered alike on each path.
    return f"{index:08x}-0000-4000-8000-{rep:012x}"


def _values(start: datetime, customers: list[str], item: tuple[int, int, int, float]) -> dict[str, Any]:
    minutes, place, customer, accuracy = item
    position = PLACES[place]
    values: dict[str, Any] = {
        "customer_id": customers[customer],
        "check_in_at": start + timedelta(minutes=5 * minutes),
    }
    if position is not None:
        values |= {"lat": position[0], "lon": position[1], "accuracy_m": accuracy}
    return values


def _judged_at_once(start: datetime, items: list[tuple[int, int, int, float]]) -> list[list[str] | None]:
    """Each check-in's flags with every check-in known: what both paths must end with."""
    placed = [
        evidence.CheckIn(_visit_id(i, 0), start + timedelta(minutes=5 * m), *PLACES[p], a, str(c))  # type: ignore[misc]
        for i, (m, p, c, a) in enumerate(items)
        if PLACES[p] is not None
    ]
    ordered = sorted(placed, key=lambda c: (c.at, c.id))
    between = {c.id: evidence.between_flags(ordered, i, RULES) for i, c in enumerate(ordered)}
    expected = []
    for i, (_, p, c, a) in enumerate(items):
        position = PLACES[p]
        if position is None:
            expected.append(None)
            continue
        own = evidence.own_flags(evidence.distance_m(*position, *CUSTOMERS[c]), a, RULES.radius_m, RULES)  # type: ignore[misc]
        expected.append(evidence.in_order(own | between[_visit_id(i, 0)]))
    return expected


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=check_ins, batch=st.integers(min_value=1, max_value=9), order=st.randoms(use_true_random=False))
def test_bulk_and_one_at_a_time_give_the_flags_of_judging_all_at_once(
    engine: Engine, clock: Clock, items: list[tuple[int, int, int, float]], batch: int, order: Any
) -> None:
    org = reset_database(engine)
    now = clock.now
    start = (now - timedelta(days=1)).astimezone(CST).replace(hour=8, minute=0, second=0, microsecond=0)
    with Session(engine) as session:
        bulk, single = actor(session, org.user("rep1")), actor(session, org.user("rep2"))
        shops = {
            who.id: [add_customer(session, who, f"{n:08x}-0000-4000-8000-{k:012x}", {"name": "五金", "lat": spot[0], "lon": spot[1]}, now).id for n, spot in enumerate(CUSTOMERS)]  # type: ignore[index]
            for k, who in enumerate((bulk, single), start=1)
        }  # fmt: skip
        # rep1's visits arrive in runs of `batch`, in the order logged; rep2's one at a time, shuffled.
        for first in range(0, len(items), batch):
            rows = [
                new_visit_row(session, bulk, _visit_id(i, 1), _values(start, shops[bulk.id], items[i]), now)
                for i in range(first, min(first + batch, len(items)))
            ]
            insert_visits(session, rows)
        shuffled = list(range(len(items)))
        order.shuffle(shuffled)
        for i in shuffled:
            create_visit(session, single, _visit_id(i, 2), _values(start, shops[single.id], items[i]), now)
        session.commit()
        stored = {row.id: row.flags for row in session.execute(select(Visit.id, Visit.flags))}
    expected = _judged_at_once(start, items)
    assert [stored[_visit_id(i, 1)] for i in range(len(items))] == expected
    assert [stored[_visit_id(i, 2)] for i in range(len(items))] == expected
