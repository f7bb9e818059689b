"""A visit's evidence flags, set by the server as phones sync: `far` (beyond the customer's, the unit's or the
default radius), `poor_accuracy`, `impossible_travel` and `repeated_position`; neighbours recomputed when a
check-in arrives late, moves or goes, never changing a status; check-out through sync like any field."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from backend.settings import Settings
from backend.visits.evidence import distance_m
from backend.visits.models import Visit
from tests.sync.helpers import Phone, checked_database, phones

CST = timezone(timedelta(hours=8))
SHANGHAI = (31.2304, 121.4737)
BEIJING = (39.9042, 116.4074)


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from checked_database(request.param, tmp_path)


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """The test settings, with what a test's `settings` parameter changes."""
    changed = getattr(request, "param", {})
    return Settings(database_url="sqlite://", data_dir=tmp_path / "data", secret_key="s" * 32, **changed)


@pytest.fixture
def phone(sign_in: Any) -> Callable[[str], Phone]:
    return phones(sign_in)


def north_of(place: tuple[float, float], metres: float) -> tuple[float, float]:
    return (place[0] + metres / 111_195, place[1])


def morning(clock: Any, hour: int = 9, minute: int = 0) -> datetime:
    """A time of the day before the test clock's, in China: the field work being synced."""
    day = (clock.now - timedelta(days=1)).astimezone(CST)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


def shop(p: Phone, place: tuple[float, float] = SHANGHAI, name: str = "华东五金") -> str:
    customer_id = str(uuid.uuid4())
    p.queue_mutation("customer", "create", customer_id, fields={"name": name, "lat": place[0], "lon": place[1]})
    return customer_id


def check_in(
    p: Phone, customer_id: str, at: datetime, place: tuple[float, float] | None, accuracy: float = 10, **extra: Any
) -> str:
    visit_id = str(uuid.uuid4())
    position = {} if place is None else {"lat": place[0], "lon": place[1]}
    fields = {"customer_id": customer_id, "check_in_at": at.isoformat(), "accuracy_m": accuracy} | position
    p.queue_mutation("visit", "create", visit_id, fields=fields | extra)
    return visit_id


def flags(p: Phone, visit_id: str) -> list[str] | None:
    return p.of("visit")[visit_id]["flags"]


def submit(p: Phone, visit_id: str) -> None:
    p.queue_mutation("visit", "action", visit_id, name="submit", args={})


# --- own flags: far, poor_accuracy --------------------------------------------------------------------------


def test_a_check_in_beyond_the_radius_is_far_and_a_vague_one_poor_accuracy(org, phone, clock):
    rep = phone("rep1")
    customer = shop(rep)
    near = check_in(rep, customer, morning(clock, 9), north_of(SHANGHAI, 100))
    far = check_in(rep, customer, morning(clock, 11), north_of(SHANGHAI, 800))
    vague = check_in(rep, customer, morning(clock, 13), north_of(SHANGHAI, 120), accuracy=250)
    both = check_in(rep, customer, morning(clock, 15), north_of(SHANGHAI, 900), accuracy=201)
    unplaced = check_in(rep, customer, morning(clock, 17), None, accuracy=None)
    rep.sync()
    assert [flags(rep, v) for v in (near, far, vague, both, unplaced)] == [
        None,
        ["far"],
        ["poor_accuracy"],
        ["far", "poor_accuracy"],
        None,
    ]
    assert rep.of("visit")[far]["distance_m"] == pytest.approx(800, abs=1)


def test_the_customers_radius_comes_before_the_units_which_comes_before_the_setting(org, phone, sign_in, clock):
    boss, lead = sign_in("boss@example.com"), sign_in("lead1@example.com")
    # The company allows 2 km, the team 300 m: the team is nearer the rep.
    assert boss.patch(f"/api/v1/units/{org.unit('company')}", json={"check_in_radius_m": 2000}).status_code == 200
    answer = boss.patch(f"/api/v1/units/{org.unit('team1')}", json={"check_in_radius_m": 300})
    assert (answer.status_code, answer.json()["check_in_radius_m"]) == (200, 300)
    rep = phone("rep1")
    own_radius, unit_radius = shop(rep), shop(rep)
    rep.sync()
    answer = lead.patch(f"/api/v1/customers/{own_radius}", json={"radius_m": 1000})
    assert (answer.status_code, answer.json()["radius_m"]) == (200, 1000)
    within_own = check_in(rep, own_radius, morning(clock, 9), north_of(SHANGHAI, 800))
    beyond_unit = check_in(rep, unit_radius, morning(clock, 12), north_of(SHANGHAI, 400))
    rep.sync()
    assert (flags(rep, within_own), flags(rep, beyond_unit)) == (None, ["far"])
    # Without the team's radius, the company's 2 km holds.
    assert boss.patch(f"/api/v1/units/{org.unit('team1')}", json={"check_in_radius_m": None}).status_code == 200
    later = check_in(rep, unit_radius, morning(clock, 15), north_of(SHANGHAI, 1500))
    rep.sync()
    assert flags(rep, later) is None


@pytest.mark.parametrize("settings", [{"check_in_radius_m": 1000}], indirect=True)
def test_without_a_radius_on_the_customer_or_its_units_the_setting_decides(org, phone, clock):
    rep = phone("rep1")
    customer = shop(rep)
    inside = check_in(rep, customer, morning(clock, 9), north_of(SHANGHAI, 900))
    outside = check_in(rep, customer, morning(clock, 12), north_of(SHANGHAI, 1100))
    rep.sync()
    assert (flags(rep, inside), flags(rep, outside)) == (None, ["far"])


def test_a_rep_cannot_set_a_customers_radius_through_sync_nor_a_lead_a_units(org, phone, sign_in):
    rep = phone("rep1")
    customer = shop(rep)
    rep.sync()
    rep.queue_mutation("customer", "update", customer, base_version=1, fields={"radius_m": 5000})
    result = rep.send()["results"][0]
    assert (result["status"], result["errors"][0]["field"], result["errors"][0]["code"]) == (
        "rejected",
        "radius_m",
        "not_writable",
    )
    answer = sign_in("lead1@example.com").patch(
        f"/api/v1/units/{org.unit('team1')}", json={"check_in_radius_m": 900}
    )
    assert answer.status_code == 403
    answer = sign_in("boss@example.com").patch(f"/api/v1/units/{org.unit('team1')}", json={"check_in_radius_m": 5})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "check_in_radius_m"


# --- flags between check-ins --------------------------------------------------------------------------------


def test_a_journey_faster_than_the_limit_is_impossible_travel_on_both_ends(org, phone, clock):
    rep = phone("rep1")
    shanghai, beijing = shop(rep), shop(rep, BEIJING, "北京五金")
    # About 1,070 km: two hours apart is over 500 km/h; eight hours apart is about 134 km/h.
    first = check_in(rep, shanghai, morning(clock, 8), SHANGHAI)
    flown = check_in(rep, beijing, morning(clock, 10), BEIJING)
    stayed = check_in(rep, beijing, morning(clock, 14), north_of(BEIJING, 50))
    driven = check_in(rep, shanghai, morning(clock, 22), SHANGHAI)
    rep.sync()
    assert distance_m(*SHANGHAI, *BEIJING) / 1000 / 8 < 150
    assert [flags(rep, v) for v in (first, flown, stayed, driven)] == [
        ["impossible_travel"],
        ["impossible_travel"],
        None,
        None,
    ]


def test_two_check_ins_at_the_same_instant_are_impossible_only_in_different_places(org, phone, clock):
    rep = phone("rep1")
    one, other = shop(rep), shop(rep, north_of(SHANGHAI, 20), "华联超市")
    at = morning(clock, 9)
    same_a = check_in(rep, one, at, SHANGHAI)
    same_b = check_in(rep, other, at, north_of(SHANGHAI, 0.5))
    later = morning(clock, 15)
    apart_a = check_in(rep, one, later, SHANGHAI)
    apart_b = check_in(rep, other, later, north_of(SHANGHAI, 1500))
    rep.sync()
    assert (flags(rep, same_a), flags(rep, same_b)) == (None, None)
    assert (flags(rep, apart_a), flags(rep, apart_b)) == (["impossible_travel"], ["far", "impossible_travel"])


def test_the_same_position_at_another_customer_within_the_hour_is_repeated(org, phone, clock):
    rep = phone("rep1")
    one, other = shop(rep), shop(rep, north_of(SHANGHAI, 300), "华联超市")
    spot = north_of(SHANGHAI, 150)
    first = check_in(rep, one, morning(clock, 9), spot)
    copied = check_in(rep, other, morning(clock, 9, 50), spot)
    # The same customer again at the same spot is no copy; another customer 70 minutes on is out of reach.
    again = check_in(rep, other, morning(clock, 10, 20), spot)
    late = check_in(rep, one, morning(clock, 11, 31), spot)
    rep.sync()
    assert [flags(rep, v) for v in (first, copied, again, late)] == [
        ["repeated_position"],
        ["repeated_position"],
        None,
        None,
    ]


# --- neighbours recomputed ----------------------------------------------------------------------------------


def _approved_day(phone: Any, clock: Any) -> tuple[Phone, Phone, dict[str, str]]:
    """rep1 checks in at a Shanghai customer at 9:00 and 13:00, submitted; lead1 approves the first."""
    rep, lead = phone("rep1"), phone("lead1")
    shanghai = shop(rep)
    ids = {
        "shanghai": shanghai,
        "morning": check_in(rep, shanghai, morning(clock, 9), SHANGHAI),
        "afternoon": check_in(rep, shanghai, morning(clock, 13), SHANGHAI),
    }
    submit(rep, ids["morning"])
    submit(rep, ids["afternoon"])
    rep.sync()
    lead.sync()
    lead.queue_mutation(
        "visit", "action", ids["morning"], name="approve", base_version=lead.versions[("visit", ids["morning"])]
    )
    assert lead.send()["results"][0]["status"] == "applied"
    rep.sync()
    return rep, lead, ids


def test_a_late_check_in_flags_its_neighbours_without_touching_their_status(org, phone, clock):
    rep, lead, ids = _approved_day(phone, clock)
    before = {v: rep.versions[("visit", ids[v])] for v in ("morning", "afternoon")}
    assert flags(rep, ids["morning"]) is None
    # Logged on another phone that synced only now: Beijing at 11:00, between two Shanghai check-ins.
    other = phone("rep1")
    beijing = shop(other, BEIJING, "北京五金")
    late = check_in(other, beijing, morning(clock, 11), BEIJING)
    other.sync()
    rep.sync()
    lead.sync()
    assert flags(rep, late) == ["impossible_travel"]
    for held in (rep, lead):
        assert flags(held, ids["morning"]) == ["impossible_travel"]
        assert flags(held, ids["afternoon"]) == ["impossible_travel"]
        assert held.of("visit")[ids["morning"]]["status"] == "approved"
        assert held.of("visit")[ids["afternoon"]]["status"] == "submitted"
    assert rep.versions[("visit", ids["morning"])] == before["morning"] + 1
    assert rep.versions[("visit", ids["afternoon"])] == before["afternoon"] + 1


def test_a_check_in_moved_away_or_deleted_clears_what_it_flagged(org, phone, clock, engine):
    rep, _, ids = _approved_day(phone, clock)
    beijing = shop(rep, BEIJING, "北京五金")
    late = check_in(rep, beijing, morning(clock, 11), BEIJING)
    rep.sync()
    assert flags(rep, ids["afternoon"]) == ["impossible_travel"]
    # Moved to the evening (13:00 → 22:00 is nine hours: about 119 km/h), the morning is cleared.
    rep.queue_mutation(
        "visit", "update", late, base_version=1, fields={"check_in_at": morning(clock, 22).isoformat()}
    )
    rep.sync()
    assert flags(rep, ids["morning"]) is None
    assert flags(rep, ids["afternoon"]) is None
    assert flags(rep, late) is None
    # Back between them as a new draft, then deleted: the neighbours are cleared again.
    again = check_in(rep, beijing, morning(clock, 12), BEIJING)
    rep.sync()
    assert flags(rep, ids["afternoon"]) == ["impossible_travel"]
    rep.queue_mutation("visit", "delete", again, base_version=1)
    rep.sync()
    assert flags(rep, ids["afternoon"]) is None
    with Session(engine) as session:
        assert session.get_one(Visit, ids["morning"]).status == "approved"


def test_an_accepted_amendment_that_moves_a_check_in_recomputes_the_flags(org, phone, clock):
    rep, lead, ids = _approved_day(phone, clock)
    beijing = shop(rep, BEIJING, "北京五金")
    rep.sync()
    # The approved morning check-in was really in Beijing (say the rep): 9:00 Beijing, 13:00 Shanghai.
    base = rep.versions[("visit", ids["morning"])]
    moved = {"customer_id": beijing, "lat": BEIJING[0], "lon": BEIJING[1]}
    rep.queue_mutation("visit", "update", ids["morning"], base_version=base, fields=moved)
    amendment_id = rep.send()["results"][0]["amendment_id"]
    lead.sync()
    lead.queue_mutation("amendment", "action", amendment_id, name="accept", args={})
    assert lead.send()["results"][0]["status"] == "applied"
    rep.sync()
    assert flags(rep, ids["morning"]) == ["impossible_travel"]
    assert flags(rep, ids["afternoon"]) == ["impossible_travel"]
    assert rep.of("visit")[ids["morning"]]["status"] == "approved"


# --- the desk ------------------------------------------------------------------------------------------------


def test_the_desk_shows_the_visits_with_a_flag(org, phone, sign_in, clock):
    rep = phone("rep1")
    customer = shop(rep)
    near = check_in(rep, customer, morning(clock, 9), north_of(SHANGHAI, 100))
    far = check_in(rep, customer, morning(clock, 11), north_of(SHANGHAI, 800))
    both = check_in(rep, customer, morning(clock, 15), north_of(SHANGHAI, 900), accuracy=201)
    for visit_id in (near, far, both):
        submit(rep, visit_id)
    rep.sync()
    lead = sign_in("lead1@example.com")

    def shown(**query: str) -> list[str]:
        answer = lead.get("/api/v1/visits", params=query)
        assert answer.status_code == 200, answer.text
        return [visit["id"] for visit in answer.json()]

    assert shown() == [near, far, both]
    assert shown(flag="far") == [far, both]
    assert shown(flag="poor_accuracy") == [both]
    assert shown(flag="impossible_travel") == []
    refused = lead.get("/api/v1/visits", params={"flag": "suspicious"})
    assert (refused.status_code, refused.json()["errors"][0]["field"]) == (422, "flag")


def test_the_evidence_report_lists_flagged_visits_in_words(org, phone, sign_in, clock):
    rep = phone("rep2")  # reads Chinese
    customer = shop(rep, name="上海华联超市")
    quiet = check_in(rep, customer, morning(clock, 9), north_of(SHANGHAI, 100))
    far = check_in(
        rep, customer, morning(clock, 11), north_of(SHANGHAI, 3200), check_out_at=morning(clock, 12, 5).isoformat()
    )
    vague = check_in(rep, customer, morning(clock, 15), north_of(SHANGHAI, 850), accuracy=250)
    for visit_id in (quiet, far, vague):
        submit(rep, visit_id)
    rep.sync()
    period = morning(clock).strftime("%Y-%m")
    query = {"subject_type": "user", "subject_id": org.user("rep2"), "period": period}
    chinese = sign_in("rep2@example.com").get("/api/v1/reports/evidence", params=query).json()
    assert chinese["tables"]["evidence"]["rows"][0]["flagged"] == 2
    rows = chinese["tables"]["flagged"]["rows"]
    assert [(r["visit_id"], r["distance"], r["time_on_site"], r["flags"], r["status"]) for r in rows] == [
        (far, "3.2 公里", "1 小时 5 分钟", "远离客户", "待审批"),
        (vague, "850 米", None, "远离客户、定位精度差", "待审批"),
    ]
    assert (rows[0]["check_in"], rows[0]["customer"]) == (
        morning(clock, 11).strftime("%Y-%m-%d %H:%M"),
        "上海华联超市",
    )
    english = sign_in("lead1@example.com").get("/api/v1/reports/evidence", params=query).json()
    assert [(r["distance"], r["flags"]) for r in english["tables"]["flagged"]["rows"]] == [
        ("3.2 km", "far from customer"),
        ("850 m", "far from customer, poor accuracy"),
    ]
    csv = sign_in("lead1@example.com").get(
        "/api/v1/reports/evidence", params=query | {"format": "csv", "table": "flagged"}
    )
    assert "far from customer, poor accuracy" in csv.content.decode("utf-8-sig")


# --- check-out ----------------------------------------------------------------------------------------------


def test_check_out_travels_through_sync_merges_and_locks_on_approval(org, phone, clock):
    rep, lead = phone("rep1"), phone("lead1")
    customer = shop(rep)
    out = north_of(SHANGHAI, 30)
    visit_id = check_in(
        rep,
        customer,
        morning(clock, 9),
        SHANGHAI,
        check_out_at=morning(clock, 9, 40).isoformat(),
        check_out_lat=out[0],
        check_out_lon=out[1],
        check_out_accuracy_m=15,
    )
    rep.sync()
    held = rep.of("visit")[visit_id]
    assert (held["check_out_lat"], held["check_out_lon"], held["check_out_accuracy_m"]) == (out[0], out[1], 15)
    assert datetime.fromisoformat(held["check_out_at"]) == morning(clock, 9, 40)
    # A second phone, still on version 1, sends another check-out position: the first recorded stands.
    second = phone("rep1")
    rep.queue_mutation("visit", "update", visit_id, base_version=1, fields={"check_out_accuracy_m": 8})
    rep.sync()
    second.queue_mutation("visit", "update", visit_id, base_version=1, fields={"check_out_accuracy_m": 30})
    result = second.send()["results"][0]
    assert result["conflicts"] == [
        {
            "field": "check_out_accuracy_m",
            "yours": 30,
            "theirs": 8,
            "kept": "theirs",
            "rule": "evidence_first_wins",
        }
    ]
    submit(rep, visit_id)
    rep.sync()
    lead.sync()
    lead.queue_mutation(
        "visit", "action", visit_id, name="approve", base_version=lead.versions[("visit", visit_id)]
    )
    lead.send()
    rep.sync()
    rep.queue_mutation(
        "visit", "update", visit_id, base_version=rep.versions[("visit", visit_id)], fields={"check_out_lat": 31.3}
    )
    result = rep.send()["results"][0]
    assert (result["status"], result["conflicts"][0]["rule"]) == ("conflict", "approved_is_locked")
    assert "amendment_id" in result
    rep.sync()
    assert rep.of("visit")[visit_id]["check_out_lat"] == out[0]


def test_a_check_out_position_off_the_globe_is_refused_and_nothing_stored(org, phone, clock):
    rep = phone("rep1")
    customer = shop(rep)
    bad = check_in(rep, customer, morning(clock, 9), SHANGHAI, check_out_lat=91, check_out_accuracy_m=-1)
    rep.sync()
    result = rep.result(2)
    assert result["status"] == "rejected"
    assert sorted((e["field"], e["code"]) for e in result["errors"]) == [
        ("check_out_accuracy_m", "out_of_range"),
        ("check_out_lat", "out_of_range"),
    ]
    assert bad not in rep.of("visit")
