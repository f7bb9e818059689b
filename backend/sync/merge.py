"""Per-field three-way merge (SYNC.md rule 5) and the policy table that settles real conflicts.

An update carries `base_version`, the version the phone edited. A field nobody else changed since then
(its per-field version is at or below the base) is applied as sent. A field also changed on the server
since then is a conflict, settled by the entity's policy for that field in the record's state. The rule
names are part of the protocol: clients show them and tests assert them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.versioning import field_version, wire

# rule -> which side it keeps
RULES = {
    # The later write is the rep's latest word (notes, outcome, satisfaction, a customer's phone number).
    "last_arrival_wins": "yours",
    # Evidence (where and when a check-in happened) is what was recorded first; a later copy can't move it.
    "evidence_first_wins": "theirs",
    # An approved visit counts in the KPIs: the edit becomes an amendment for the lead.
    "approved_is_locked": "theirs",
    # A delete of a record changed since the phone last saw it would throw away someone's edit.
    "changed_since_read": "theirs",
    # A lead's review of a version older than the current one: the lead must look again.
    "stale_review": "theirs",
}

# entity -> state ("*" for any) -> field ("*" for any other) -> rule
POLICY: dict[str, dict[str, dict[str, str]]] = {
    "visit": {
        "*": {
            "check_in_at": "evidence_first_wins",
            "check_out_at": "evidence_first_wins",
            "lat": "evidence_first_wins",
            "lon": "evidence_first_wins",
            "accuracy_m": "evidence_first_wins",
            "check_out_lat": "evidence_first_wins",
            "check_out_lon": "evidence_first_wins",
            "check_out_accuracy_m": "evidence_first_wins",
            "*": "last_arrival_wins",
        },
        "approved": {"*": "approved_is_locked"},
    },
    "customer": {"*": {"*": "last_arrival_wins"}},
    "opportunity": {"*": {"*": "last_arrival_wins"}},
}


def rule_for(entity: str, state: str, field: str) -> str:
    table = POLICY[entity]
    for by_state in (table.get(state), table["*"]):
        if by_state is not None and (field in by_state or "*" in by_state):
            return by_state.get(field, by_state["*"])
    return "last_arrival_wins"


@dataclass(frozen=True)
class FieldConflict:
    field: str
    yours: Any
    theirs: Any
    kept: str
    rule: str
    theirs_by: str | None

    def receipt(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "yours": self.yours,
            "theirs": self.theirs,
            "kept": self.kept,
            "rule": self.rule,
        }


@dataclass(frozen=True)
class MergeOutcome:
    apply: dict[str, Any]
    conflicts: list[FieldConflict]

    @property
    def wholly_applied(self) -> bool:
        return all(c.kept == "yours" for c in self.conflicts)


def three_way(entity: str, state: str, record: Any, values: dict[str, Any], base_version: int) -> MergeOutcome:
    """What to apply of an update made on `base_version`, and the conflicts the policy settled."""
    apply: dict[str, Any] = {}
    conflicts: list[FieldConflict] = []
    for name, value in values.items():
        changed_at, changed_by = field_version(record, name)
        current = getattr(record, name)
        if changed_at <= base_version or current == value:
            apply[name] = value
            continue
        rule = rule_for(entity, state, name)
        kept = RULES[rule]
        conflicts.append(FieldConflict(name, wire(value), wire(current), kept, rule, changed_by))
        if kept == "yours":
            apply[name] = value
    return MergeOutcome(apply, conflicts)
