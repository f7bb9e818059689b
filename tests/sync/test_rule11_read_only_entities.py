"""SYNC.md rule 11: read-only entities reach clients through changes; writing them is refused."""

from __future__ import annotations

import pytest

from tests.sync.conftest import new_id


@pytest.mark.parametrize("entity", ["goal", "progress", "conflict", "badge", "user", "unit", "review", "plan"])
def test_mutations_on_read_only_entities_are_rejected(org, phone, entity):
    rep = phone("rep1")
    rep.queue_mutation(
        entity, "update", org.user("rep1") if entity == "user" else new_id(), base_version=1, fields={"name": "x"}
    )
    result = rep.send()["results"][0]
    assert result["status"] == "rejected"
    assert result["errors"][0]["code"] == "read_only"


def test_unknown_entities_and_ops_are_rejected_by_name(org, phone):
    rep = phone("rep1")
    rep.queue_mutation("spaceship", "create", fields={})
    rep.queue_mutation("opportunity", "delete", base_version=1)
    rep.queue_mutation("visit", "action", name="teleport")
    results = rep.send()["results"]
    assert [(r["errors"][0]["field"], r["errors"][0]["code"]) for r in results] == [
        ("entity", "invalid_choice"),
        ("op", "invalid_op"),
        ("name", "invalid_choice"),
    ]
