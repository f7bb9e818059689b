"""Every table, imported in one place so that Alembic and `create_all` see the whole metadata."""

from sqlmodel import SQLModel

from backend.audit.models import AuditEntry
from backend.auth.models import AuthToken, LoginFailure
from backend.channels.models import ChannelMessage, TeamChannel
from backend.coaching.models import ImprovementPlan, PlanAction, Review, ReviewDimension
from backend.customers.models import Customer
from backend.digest.models import EmailDigest, EmailDigestChoice
from backend.goals.models import Goal, GoalChange, Seasonality
from backend.kpi.models import CalendarDay, DailyActivity, OfficialSchedule, Progress
from backend.notify.models import Delivery, Notification, PushSubscription
from backend.opportunities.models import Opportunity, StageChange
from backend.org.models import Unit, User
from backend.rewards.models import Badge, CommissionAssignment, CommissionPlan, Statement
from backend.sync.models import ChangeLog, ConflictRecord, RejectedCreate, SyncClient, SyncReceipt, SyncState
from backend.visits.models import Amendment, PeriodLock, Visit

metadata = SQLModel.metadata

__all__ = [
    "Amendment",
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
