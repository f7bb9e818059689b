"""Every table, imported in one place so that Alembic and `create_all` see the whole metadata."""

from sqlmodel import SQLModel

from backend.audit.models import AuditEntry
from backend.auth.models import AuthToken, LoginFailure
from backend.customers.models import Customer
from backend.goals.models import Goal
from backend.notify.models import Notification
from backend.opportunities.models import Opportunity
from backend.org.models import Unit, User
from backend.sync.models import ChangeLog, ConflictRecord, RejectedCreate, SyncClient, SyncReceipt, SyncState
from backend.visits.models import Amendment, PeriodLock, Visit

metadata = SQLModel.metadata

__all__ = [
    "Amendment",
    "AuditEntry",
    "AuthToken",
    "ChangeLog",
    "ConflictRecord",
    "Customer",
    "Goal",
    "LoginFailure",
    "Notification",
    "Opportunity",
    "PeriodLock",
    "RejectedCreate",
    "SyncClient",
    "SyncReceipt",
    "SyncState",
    "Unit",
    "User",
    "Visit",
    "metadata",
]
