"""Every table, imported in one place so that Alembic and `create_all` see the whole metadata; and every
synced entity's declaration (backend/sync/registry.py), which each feature makes beside its record's shape,
so that whatever loads the schema (the app, the worker, the demo seeder, the CLI) captures every change."""

from sqlmodel import SQLModel

from backend.audit.models import AuditEntry
from backend.auth.models import AuthToken, LoginFailure
from backend.channels.models import ChannelMessage, TeamChannel
from backend.coaching import service as coaching_service
from backend.coaching.models import ImprovementPlan, PlanAction, Review, ReviewDimension
from backend.customers import service as customers_service
from backend.customers.models import Customer
from backend.digest.models import EmailDigest, EmailDigestChoice
from backend.goals import service as goals_service
from backend.goals.models import Goal, GoalChange, Seasonality
from backend.kpi import service as kpi_service
from backend.kpi.models import CalendarDay, DailyActivity, OfficialSchedule, Progress
from backend.notify import service as notify_service
from backend.notify.models import Delivery, Notification, PushSubscription
from backend.opportunities import service as opportunities_service
from backend.opportunities.models import Opportunity, StageChange
from backend.org import service as org_service
from backend.org.models import Unit, User
from backend.rewards import badges
from backend.rewards.models import Badge, CommissionAssignment, CommissionPlan, Statement
from backend.sync.models import ChangeLog, ConflictRecord, RejectedCreate, SyncClient, SyncReceipt, SyncState
from backend.visits import service as visits_service
from backend.visits.models import Amendment, Attachment, PeriodLock, Visit

metadata = SQLModel.metadata

SYNCED_FEATURES = (
    badges,
    coaching_service,
    customers_service,
    goals_service,
    kpi_service,
    notify_service,
    opportunities_service,
    org_service,
    visits_service,
)

__all__ = [
    "Amendment",
    "Attachment",
    "AuditEntry",
    "AuthToken",
    "Badge",
    "CalendarDay",
    "ChangeLog",
    "ChannelMessage",
    "CommissionAssignment",
    "CommissionPlan",
    "ConflictRecord",
    "Customer",
    "DailyActivity",
    "Delivery",
    "EmailDigest",
    "EmailDigestChoice",
    "Goal",
    "GoalChange",
    "ImprovementPlan",
    "LoginFailure",
    "Notification",
    "OfficialSchedule",
    "Opportunity",
    "PeriodLock",
    "PlanAction",
    "Progress",
    "PushSubscription",
    "RejectedCreate",
    "Review",
    "ReviewDimension",
    "Seasonality",
    "StageChange",
    "Statement",
    "SyncClient",
    "SyncReceipt",
    "SyncState",
    "TeamChannel",
    "Unit",
    "User",
    "Visit",
    "metadata",
]
