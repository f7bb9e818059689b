"""Every table, imported in one place so that Alembic and `create_all` see the whole metadata."""

from sqlmodel import SQLModel

from backend.audit.models import AuditEntry
from backend.auth.models import AuthToken, LoginFailure
from backend.channels.models import ChannelMessage, TeamChannel  # [channels]
from backend.coaching.models import ImprovementPlan, PlanAction, Review, ReviewDimension  # [coaching]
from backend.customers.models import Customer
from backend.digest.models import EmailDigest, EmailDigestChoice  # [digest]
from backend.goals.models import Goal, GoalChange, Seasonality  # [goals/kpi]
from backend.kpi.models import CalendarDay, DailyActivity, OfficialSchedule, Progress  # [goals/kpi]
from backend.notify.models import Delivery, Notification, PushSubscription
from backend.opportunities.models import Opportunity, StageChange
from backend.org.models import Unit, User
from backend.rewards.models import Badge, CommissionAssignment, CommissionPlan, Statement  # [rewards]
from backend.sync.models import ChangeLog, ConflictRecord, RejectedCreate, SyncClient, SyncReceipt, SyncState
from backend.visits.models import Amendment, PeriodLock, Visit

metadata = SQLModel.metadata

__all__ = [
    "Amendment",
    "AuditEntry",
    "AuthToken",
    "Badge",  # [rewards]
    "CalendarDay",  # [goals/kpi]
    "ChangeLog",
    "ChannelMessage",  # [channels]
    "CommissionAssignment",  # [rewards]
    "CommissionPlan",  # [rewards]
    "ConflictRecord",
    "Customer",
    "DailyActivity",  # [goals/kpi]
    "Delivery",  # [notify]
    "EmailDigest",  # [digest]
    "EmailDigestChoice",  # [digest]
    "Goal",
    "GoalChange",  # [goals/kpi]
    "ImprovementPlan",  # [coaching]
    "LoginFailure",
    "Notification",
    "OfficialSchedule",  # [goals/kpi]
    "Opportunity",
    "PeriodLock",
    "PlanAction",  # [coaching]
    "Progress",  # [goals/kpi]
    "PushSubscription",  # [notify]
    "RejectedCreate",
    "Review",  # [coaching]
    "ReviewDimension",  # [coaching]
    "Seasonality",  # [goals/kpi]
    "StageChange",
    "Statement",  # [rewards]
    "SyncClient",
    "SyncReceipt",
    "SyncState",
    "TeamChannel",  # [channels]
    "Unit",
    "User",
    "Visit",
    "metadata",
]
