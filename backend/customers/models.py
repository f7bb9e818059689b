"""The customer table."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, event
from sqlmodel import Field, SQLModel

from backend.customers.pinyin import initials
from backend.db import UTCDateTime, new_id, stamped

CUSTOMER_STATUSES = ("prospect", "active")


class Customer(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    address: str | None = None
    contact: str | None = None
    phone: str | None = Field(default=None, max_length=64)
    # The province (or municipality) the customer is in, as its people name it ("浙江", "上海").
    province: str | None = Field(default=None, max_length=64)
    city: str | None = Field(default=None, max_length=64)
    lat: float | None = None
    lon: float | None = None
    # How far from the customer a check-in may be before it is flagged `far`, in metres; null: the unit's.
    radius_m: int | None = None
    # Server-set: the pinyin initials of the name ("上海华联" → "shhl"), for search on the phone.
    initials: str | None = Field(default=None, max_length=200)
    owner_id: str = Field(foreign_key="user.id", index=True, max_length=36)
    status: str = Field(default="prospect", max_length=16)
    first_won_on: date | None = None
    version: int = 1
    # field -> [version that last changed it, user who changed it]: the three-way merge reads this.
    field_versions: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = stamped()
    updated_at: datetime = stamped()
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# The initials follow the name wherever the ORM writes it (a phone's create or edit, a lead's, a seeder's);
# rows written around the ORM (the demo's bulk insert, the migration's backfill) compute them themselves.
@event.listens_for(Customer.name, "set")
def _name_set(customer: Customer, name: str | None, _old: Any, _initiator: Any) -> None:
    customer.initials = initials(name)


@event.listens_for(Customer, "before_insert")
def _new_customer(_mapper: Any, _connection: Any, customer: Customer) -> None:
    # SQLModel's constructor fills the columns without the attribute events.
    customer.initials = initials(customer.name)
