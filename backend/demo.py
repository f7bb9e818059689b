"""The demo company: a realistic, repeatable org with months of field work, to try Fieldgoal and to measure it.

`seed_demo` fills an empty database with 远航工业: a company, three regions (华东, 华南, 华北), eight teams,
about `reps` reps with a lead per team, a manager per region and one for the company, and an admin. Each rep
owns 50 customers in real cities of their region, logs 2–6 visits on every working day of the China calendar
for `months` months up to yesterday, and moves a funnel of opportunities to won or lost. Goals cascade as in
the method's table (seeds/000: company 1亿 a year, 华东 3000万, 销售一部 800万, a rep per month), scaled
to the number of reps.

Everything is derived from `seed` and `today`: the same pair gives the same rows, ids included. The
exceptions: the password hash (argon2 draws its own salt) and the KPI progress records, computed as of now.
Reps differ in skill, and skill drives their visit counts, GPS discipline, satisfaction, win rate and
revenue, so the dashboards have a spread to show: rep01 (张三) is strong, rep02 is struggling; recent visits
wait in the leads' approval queues.

Why the rows are written here rather than through the services: the KPI benchmark seeds millions of visits.
Rows go out as Core bulk inserts in chunks, generated rep by rep (memory stays flat whatever the size), and
their change-log rows are written alongside with consecutive positions, ending with `sync_state.last_seq`
(the ORM's capture would keep a pending change per record until the commit); `changelog.bulk_log_row`
gives each row the keys its entity's declaration says. Goals get their `allocated` figure and first history entry as
goals/service.py writes them; the KPI service's per-day rows and progress records, which hooks in the
services normally keep, are rebuilt once at the end (`kpi.service.rebuild`). One transaction for it all.
"""

from __future__ import annotations

import logging
import math
import random
import time as timer
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.orm import Session

from backend.auth.service import hash_password
from backend.customers.pinyin import initials
from backend.db import make_engine, session_scope, utcnow
from backend.kpi import service as kpi
from backend.kpi.workdays import WorkCalendar
from backend.models import metadata
from backend.periods import Period, period_containing, split_target
from backend.rewards.models import CommissionAssignment, CommissionPlan
from backend.settings import Settings
from backend.sync.changelog import bulk_log_row, ensure_state
from backend.visits.evidence import CheckIn, Rules, between_flags, distance_m, in_order, own_flags, rules_from

log = logging.getLogger("fieldgoal.demo")

# The tables as Core sees them: every statement here is Core, bulk or not.
UNITS = metadata.tables["unit"]
USERS = metadata.tables["user"]
CUSTOMERS = metadata.tables["customer"]
CHANGE_LOG = metadata.tables["change_log"]
SYNC_STATE = metadata.tables["sync_state"]

DEMO_DOMAIN = "demo.fieldgoal"
DEMO_PASSWORD = "fieldgoal-demo"
COMPANY_NAME = "远航工业"
CUSTOMERS_PER_REP = 50
# Rows (records and their change-log rows together) per bulk insert.
CHUNK_ROWS = 5000

ZONE = ZoneInfo("Asia/Shanghai")
# China has kept UTC+8 all year since 1991, so a fixed offset turns local wall-clock minutes into instants.
OFFSET_MIN = 480
DAY_START_MIN = 9 * 60
DAY_END_MIN = 18 * 60

# The method's table: 1亿 a year for a company of 40 reps; regions and teams take these shares of it. They
# add up to less than the whole on purpose: what a level keeps back shows as an unallocated gap.
REPS_AT_TABLE = 40
COMPANY_YEAR_TARGET = Decimal(100_000_000)
WAN = Decimal(10_000)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class RegionPlan:
    name: str
    share: Decimal
    teams: tuple[tuple[str, Decimal], ...]
    # (city, latitude, longitude) of the city centre.
    cities: tuple[tuple[str, float, float], ...]


REGIONS = (
    RegionPlan(
        "华东",
        Decimal("0.30"),
        (("销售一部", Decimal("0.08")), ("销售二部", Decimal("0.10")), ("销售三部", Decimal("0.10"))),
        (
            ("上海", 31.2304, 121.4737),
            ("杭州", 30.2741, 120.1551),
            ("苏州", 31.2990, 120.5853),
            ("南京", 32.0603, 118.7969),
            ("宁波", 29.8683, 121.5440),
            ("无锡", 31.4912, 120.3119),
            ("合肥", 31.8206, 117.2272),
        ),
    ),
    RegionPlan(
        "华南",
        Decimal("0.34"),
        (("销售四部", Decimal("0.11")), ("销售五部", Decimal("0.11")), ("销售六部", Decimal("0.10"))),
        (
            ("广州", 23.1291, 113.2644),
            ("深圳", 22.5431, 114.0579),
            ("东莞", 23.0207, 113.7518),
            ("佛山", 23.0215, 113.1214),
            ("厦门", 24.4798, 118.0894),
            ("珠海", 22.2710, 113.5767),
            ("福州", 26.0745, 119.2965),
        ),
    ),
    RegionPlan(
        "华北",
        Decimal("0.30"),
        (("销售七部", Decimal("0.14")), ("销售八部", Decimal("0.14"))),
        (
            ("北京", 39.9042, 116.4074),
            ("天津", 39.3434, 117.3616),
            ("石家庄", 38.0428, 114.5149),
            ("济南", 36.6512, 117.1201),
            ("青岛", 36.0671, 120.3826),
            ("太原", 37.8706, 112.5489),
        ),
    ),
)

# The province (or municipality) of each city the regions above draw customers from.
PROVINCE_OF = {
    "上海": "上海",
    "杭州": "浙江",
    "宁波": "浙江",
    "苏州": "江苏",
    "南京": "江苏",
    "无锡": "江苏",
    "合肥": "安徽",
    "广州": "广东",
    "深圳": "广东",
    "东莞": "广东",
    "佛山": "广东",
    "珠海": "广东",
    "厦门": "福建",
    "福州": "福建",
    "北京": "北京",
    "天津": "天津",
    "石家庄": "河北",
    "济南": "山东",
    "青岛": "山东",
    "太原": "山西",
}

# Year targets split into months by this profile: the Spring Festival and National Day are slow, December
# closes the year.
SEASONALITY = tuple(
    Decimal(w) for w in ("0.8", "0.6", "1.0", "1.0", "1.0", "1.1", "0.9", "0.9", "1.1", "0.9", "1.1", "1.3")
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈任姚卢"
GIVEN_NAMES = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "霞",
    "平",
    "刚",
    "辉",
    "鹏",
    "华",
    "飞",
    "鑫",
    "波",
    "宇",
    "浩",
    "凯",
    "健",
    "俊",
    "帆",
    "帅",
    "旭",
    "宁",
    "龙",
    "林",
    "欣",
    "佳",
    "颖",
    "晨",
    "阳",
    "婷",
    "雪",
    "琳",
    "晶",
    "亮",
    "斌",
    "志强",
    "建华",
    "晓东",
    "海燕",
    "文博",
    "子涵",
    "思远",
    "一鸣",
    "嘉怡",
    "雨欣",
    "国庆",
    "建国",
    "丽娟",
]
NAME_SYLLABLES = "华鑫达盛泰宏昌恒瑞通联隆丰源兴锦嘉博利德诚永天金新亚中正元安康汇广信宝富顺祥"
INDUSTRIES = [
    "五金",
    "机电",
    "机械",
    "电气",
    "自动化",
    "精密",
    "科技",
    "材料",
    "化工",
    "塑胶",
    "模具",
    "电子",
    "仪器",
    "液压",
    "包装",
    "物流",
    "建材",
    "环保",
    "能源",
    "纺织",
]
COMPANY_SUFFIXES = ("有限公司", "有限公司", "股份有限公司", "实业有限公司", "制造有限公司", "贸易有限公司")
ROADS = [
    "人民路",
    "解放路",
    "中山路",
    "建设路",
    "工业大道",
    "科技路",
    "长江路",
    "黄河路",
    "新华路",
    "迎宾大道",
    "创业路",
    "光明路",
    "振兴路",
]
DISTRICTS = ["高新区", "经开区", "工业园区", "新区", "开发区", "城东区", "城西区"]
TITLES = ("经理", "总", "采购经理", "厂长", "主管")
PRODUCTS = [
    "数控机床",
    "伺服系统",
    "工业机器人",
    "传感器",
    "变频器",
    "液压站",
    "输送线",
    "空压机",
    "PLC控制柜",
    "检测设备",
    "刀具",
    "备件",
]
DEAL_KINDS = ("采购", "改造项目", "年度框架", "试用订单", "扩产配套")
WON_REASONS = ("价格有竞争力", "客户关系稳固", "产品性能满足要求", "交期快", "售后服务好")
LOST_REASONS = ("价格高于竞品", "预算被削减", "选择了竞品", "项目延期", "客户无回应")
PURPOSES = ("需求沟通", "产品演示", "商务洽谈", "技术交流", "售后回访", "新品介绍", "催收回款", "关系维护")
NOTES = (
    "客户对交期比较关注,下周再确认。",
    "采购负责人不在,约了下次拜访。",
    "演示效果好,技术部门认可。",
    "价格有压力,需要申请特价。",
    "竞争对手也在接触,需要加快节奏。",
    "客户提出新的需求,回去出方案。",
    "现场设备运行正常,客户满意。",
    "老板亲自参加,意向明确。",
)
REJECT_COMMENTS = {
    "far": ("定位距离客户超过500米,请补充说明。", "签到位置与客户地址不符,请重新提交。"),
    "other": ("拜访记录过于简单,请补充沟通内容。", "满意度与备注不一致,请核实。"),
}
OPEN_STAGES = ("lead", "qualified", "proposal", "negotiation")


@dataclass
class RepPlan:
    """One rep's identity, team and the traits that drive their numbers."""

    id: str
    email: str
    name: str
    team_index: int
    skill: float  # 0 struggling … 1 strong
    weight: float  # their share of the team's revenue target, relative to teammates
    revenue_targets: dict[str, Decimal] = field(default_factory=dict)  # month key -> target


@dataclass(frozen=True)
class TeamPlan:
    id: str
    name: str
    region_index: int
    share: Decimal
    lead_id: str
    city: tuple[str, float, float]


def database_is_empty(engine: Engine) -> bool:
    """True when there is nothing to keep: no customers and no users but (at most) the bootstrap admin."""
    with Session(engine) as session:
        return _is_empty(session)


def _is_empty(session: Session) -> bool:
    users = session.execute(select(USERS.c.role)).scalars().all()
    customers = session.execute(select(func.count()).select_from(CUSTOMERS)).scalar_one()
    units = session.execute(select(func.count()).select_from(UNITS)).scalar_one()
    return customers == 0 and units <= 1 and (not users or (len(users) == 1 and users[0] == "admin"))


def demo_sign_ins(password: str = DEMO_PASSWORD) -> list[tuple[str, str, str]]:
    """(role, email, password) to try the demo as: admin, company manager, a lead, a strong and a weak rep."""
    return [
        ("admin", f"admin@{DEMO_DOMAIN}", password),
        ("manager", f"manager01@{DEMO_DOMAIN}", password),
        ("lead", f"lead01@{DEMO_DOMAIN}", password),
        ("rep", f"rep01@{DEMO_DOMAIN}", password),
        ("rep", f"rep02@{DEMO_DOMAIN}", password),
    ]


def seed_demo(
    settings: Settings,
    *,
    reps: int = 40,
    months: int = 6,
    seed: int = 7,
    today: date | None = None,
    stats: dict[str, Any] | None = None,
) -> list[tuple[str, str, str]]:
    """Seed the demo company into an empty, migrated database; returns the sign-ins to try it with.

    A database that already holds data is left alone (`make run` calls this on every start): the sign-ins
    of the demo users it holds are returned. `stats`, when given, receives the rows written per table and
    the seconds it took.
    """
    if reps < 1 or months < 1:
        raise ValueError("the demo needs at least one rep and one month")
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            ensure_state(session)
            _lock_counter(session)
            if not _is_empty(session):
                return _working_sign_ins(session)
            started = timer.perf_counter()
            rules = rules_from(settings)
            counts = _Seeder(session, reps, months, seed, today or date.today(), rules).run()
            seconds = round(timer.perf_counter() - started, 2)
            sign_ins = _working_sign_ins(session)
    finally:
        engine.dispose()
    log.info("seeded the demo company in %.1f s: %s", seconds, dict(counts))
    if stats is not None:
        stats.update(rows=dict(counts), seconds=seconds)
    return sign_ins


def _working_sign_ins(session: Session) -> list[tuple[str, str, str]]:
    """The demo sign-ins that work here: users the demo made that still have the demo password's hash.

    A bootstrap admin who took `admin@demo.fieldgoal`, or a rep who changed their password, is left out.
    """
    query = select(USERS.c.email, USERS.c.password_hash).where(USERS.c.email.like(f"%@{DEMO_DOMAIN}"))
    hashes: dict[str, str] = {email: password_hash for email, password_hash in session.execute(query)}
    if not hashes:
        return []
    demo_hash = Counter(hashes.values()).most_common(1)[0][0]
    return [sign_in for sign_in in demo_sign_ins() if hashes.get(sign_in[1]) == demo_hash]


def _lock_counter(session: Session) -> None:
    # Two servers starting at once on PostgreSQL: the second waits here, then sees the first one's demo.
    query = select(SYNC_STATE.c.last_seq).where(SYNC_STATE.c.id == 1)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    session.execute(query)


class _BulkWriter:
    """Buffers rows per table, each with its change-log row, and inserts them in chunks in FK order."""

    ORDER = (
        "unit",
        "user",
        "seasonality",
        "goal",
        "goal_change",
        "customer",
        "opportunity",
        "opportunity_stage_change",
        "visit",
        "change_log",
    )

    def __init__(self, session: Session, last_seq: int) -> None:
        self.session = session
        self.seq = last_seq
        self.buffers: dict[str, list[dict[str, Any]]] = {name: [] for name in self.ORDER}
        self.pending = 0
        self.counts: Counter[str] = Counter()

    def add(self, entity: str, row: dict[str, Any]) -> None:
        self.buffers[entity].append(row)
        self.log(entity, row)

    def add_unlogged(self, table: str, row: dict[str, Any]) -> None:
        """A row of a table that is not synced (a goal's history, a seasonality profile)."""
        self.buffers[table].append(row)
        self.pending += 1

    def log(self, entity: str, row: dict[str, Any]) -> None:
        """The change-log row of a record, at the next position (what a commit's stamp would write)."""
        self.seq += 1
        self.buffers["change_log"].append(bulk_log_row(entity, row, self.seq))
        self.pending += 2
        if self.pending >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        for name in self.ORDER:
            rows = self.buffers[name]
            if rows:
                self.session.execute(insert(metadata.tables[name]), rows)
                self.counts[name] += len(rows)
                self.buffers[name] = []
        self.pending = 0


class _Seeder:
    """One demo company, written through a `_BulkWriter`; every random choice comes from one seeded stream."""

    def __init__(self, session: Session, reps: int, months: int, seed: int, today: date, rules: Rules) -> None:
        self.session = session
        self.rules = rules
        self.reps_wanted = reps
        self.rng = random.Random(seed)
        # Ids come from a stream of their own, so that they do not shift when a choice is added elsewhere.
        self.id_rng = random.Random(f"fieldgoal-demo-ids-{seed}")
        # Close reasons too: adding them did not change any other figure of a seed's demo.
        self.reason_rng = random.Random(f"fieldgoal-demo-reasons-{seed}")
        self.today = today
        self.calendar = WorkCalendar()
        last_month = period_containing("month", today)
        self.months = [last_month]
        while len(self.months) < months:
            self.months.insert(0, self.months[0].previous())
        self.window_start = self.months[0].start
        self.working_days = [
            self.window_start + timedelta(days=n)
            for n in range((today - self.window_start).days)
            if self.calendar.is_working_day(self.window_start + timedelta(days=n))
        ]
        self.month_days = {
            month.key: [day for day in self.working_days if month.contains_day(day)] for month in self.months
        }
        self.today_start = _instant(today, 0)
        self.founded = _instant(self.window_start - timedelta(days=1200), 9 * 60)
        self.writer = _BulkWriter(
            session, session.execute(select(SYNC_STATE.c.last_seq).where(SYNC_STATE.c.id == 1)).scalar_one()
        )
        self.teams: list[TeamPlan] = []
        self.rep_plans: list[RepPlan] = []
        self.admin_id = ""
        self.company_id = ""
        self.region_ids: list[str] = []

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.id_rng.getrandbits(128), version=4))

    def run(self) -> Counter[str]:
        password_hash = hash_password(DEMO_PASSWORD)  # once: argon2 is slow on purpose
        self._org(password_hash)
        self._goals()
        for rep in self.rep_plans:
            self._rep_work(rep)
        self.writer.flush()
        self.session.execute(update(SYNC_STATE).where(SYNC_STATE.c.id == 1).values(last_seq=self.writer.seq))
        # The per-day KPI rows and the progress records are kept by hooks in the services, which bulk rows
        # bypass: rebuild them once. Progress is as of now, so it alone is not derived from the seed; its
        # change-log rows are stamped after ours at commit.
        kpi.rebuild(self.session, utcnow())
        self._commission_plan()
        for name in ("kpi_daily", "progress"):
            count = self.session.execute(select(func.count()).select_from(metadata.tables[name])).scalar_one()
            self.writer.counts[name] = count
        return self.writer.counts

    def _commission_plan(self) -> None:
        """The method's example plan for the whole company: 3 % up to 80 %, 5 % to 100 %, 8 % above, marginal.

        Made last, so its ids do not shift the seed's other ids."""
        now = utcnow()
        plan_id = self.new_id()
        tiers = [
            {"up_to_attainment": "0.8", "rate": "0.03"},
            {"up_to_attainment": "1", "rate": "0.05"},
            {"up_to_attainment": None, "rate": "0.08"},
        ]
        plan = {
            "id": plan_id,
            "name": "销售提成方案 2026",
            "unit_id": self.company_id,
            "mode": "marginal",
            "tiers": tiers,
        }
        self.session.execute(
            insert(CommissionPlan), [plan | {"created_by": self.admin_id, "created_at": now, "updated_at": now}]
        )
        assignment = {
            "id": self.new_id(),
            "plan_id": plan_id,
            "subject_type": "unit",
            "subject_id": self.company_id,
        }
        self.session.execute(
            insert(CommissionAssignment), [assignment | {"assigned_by": self.admin_id, "assigned_at": now}]
        )

    # -- the org tree ------------------------------------------------------------------------------------

    def _unit(self, name: str, kind: str, parent: tuple[str, str] | None) -> tuple[str, str]:
        unit_id = self.new_id()
        path = f"{parent[1] if parent else '/'}{unit_id}/"
        row = {
            "id": unit_id,
            "name": name,
            "kind": kind,
            "parent_id": parent[0] if parent else None,
            "timezone": ZONE.key,
            "path": path,
            "version": 1,
            "updated_at": self.founded,
        }
        self.writer.add("unit", row)
        return unit_id, path

    def _company(self) -> tuple[str, str]:
        """The root unit: the bootstrap admin's, renamed, when there is one; otherwise a new one."""
        root = self.session.execute(
            select(UNITS.c.id, UNITS.c.path, UNITS.c.version).where(UNITS.c.parent_id.is_(None))
        ).first()
        if root is None:
            return self._unit(COMPANY_NAME, "company", None)
        renamed = {"name": COMPANY_NAME, "version": root.version + 1, "updated_at": self.today_start}
        self.session.execute(update(UNITS).where(UNITS.c.id == root.id).values(**renamed))
        # The log keeps one row per record: the rename takes the root's row to a new position.
        self.session.execute(
            delete(CHANGE_LOG).where(CHANGE_LOG.c.entity == "unit", CHANGE_LOG.c.record_id == root.id)
        )
        self.writer.log("unit", {"id": root.id, **renamed})
        return root.id, root.path

    def _user(self, email: str, name: str, role: str, unit_id: str, password_hash: str, user_id: str) -> None:
        row = {
            "id": user_id,
            "email": email,
            "name": name,
            "role": role,
            "unit_id": unit_id,
            "locale": "zh-CN",
            "timezone": ZONE.key,
            "password_hash": password_hash,
            "active": True,
            "scope_epoch": 0,
            "version": 1,
            "created_at": self.founded,
            "updated_at": self.founded,
        }
        self.writer.add("user", row)

    def _person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN_NAMES)

    def _org(self, password_hash: str) -> None:
        company = self._company()
        self.company_id = company[0]
        admin_email = f"admin@{DEMO_DOMAIN}"
        # A bootstrap admin configured with the demo's admin address stays as it is, and sets the goals.
        existing_admin = self.session.execute(select(USERS.c.id).where(USERS.c.email == admin_email)).scalar()
        self.admin_id = existing_admin or self.new_id()
        if existing_admin is None:
            self._user(admin_email, "系统管理员", "admin", company[0], password_hash, self.admin_id)
        self._user(f"manager01@{DEMO_DOMAIN}", "赵总", "manager", company[0], password_hash, self.new_id())

        shares = [(ri, share) for ri, region in enumerate(REGIONS) for _, share in region.teams]
        headcounts = _largest_remainder(self.reps_wanted, [share for _, share in shares], minimum=1)
        team_index = 0
        for ri, region in enumerate(REGIONS):
            unit = self._unit(region.name, "region", company)
            self.region_ids.append(unit[0])
            self._user(
                f"manager{ri + 2:02d}@{DEMO_DOMAIN}",
                self._person(),
                "manager",
                unit[0],
                password_hash,
                self.new_id(),
            )
            for ti, (team_name, share) in enumerate(region.teams):
                team_unit = self._unit(team_name, "team", unit)
                lead_id = self.new_id()
                team_index += 1
                lead_name = "李四" if team_index == 1 else self._person()
                self._user(
                    f"lead{team_index:02d}@{DEMO_DOMAIN}", lead_name, "lead", team_unit[0], password_hash, lead_id
                )
                self.teams.append(TeamPlan(team_unit[0], team_name, ri, share, lead_id, region.cities[ti]))

        for index, team in enumerate(self.teams):
            for _ in range(headcounts[index]):
                number = len(self.rep_plans) + 1
                skill = self.rng.betavariate(2.2, 2.2)
                # Two reps to show on the first page of 销售一部: a strong one and a struggling one.
                name = self._person()
                if number == 1:
                    skill, name = 0.92, "张三"
                elif number == 2:
                    skill = 0.08
                weight = 0.8 + 0.4 * (0.5 * skill + 0.5 * self.rng.random())
                rep = RepPlan(self.new_id(), f"rep{number:02d}@{DEMO_DOMAIN}", name, index, skill, weight)
                self.rep_plans.append(rep)
                self._user(rep.email, rep.name, "rep", team.id, password_hash, rep.id)

    # -- goals --------------------------------------------------------------------------------------------

    def _goal(
        self,
        subject: tuple[str, str],
        metric: str,
        period: Period,
        target: Decimal,
        parent_id: str | None = None,
        *,
        via: str = "create",
        allocated: Decimal = Decimal(0),
    ) -> str:
        """One goal, its change-log row and the first entry of its history, as goals/service.py writes them.

        `allocated` is what other subjects' child goals take of it (an allocation, not a split in time).
        """
        subject_type, subject_id = subject
        goal_id = self.new_id()
        # Set a few days before the period starts, as a manager would; never after today.
        created = min(_instant(period.start - timedelta(days=5), 10 * 60), self.today_start)
        row = {
            "id": goal_id,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "metric": metric,
            "period": period.key,
            "target": target,
            "parent_id": parent_id,
            "allocated": allocated,
            "created_by": self.admin_id,
            "version": 1,
            "created_at": created,
            "updated_at": created,
        }
        self.writer.add("goal", row)
        change = {
            "id": self.new_id(),
            "goal_id": goal_id,
            "changed_by": self.admin_id,
            "changed_at": created,
            "old_target": None,
            "new_target": target,
            "via": via,
        }
        self.writer.add_unlogged("goal_change", change)
        return goal_id

    def _goals(self) -> None:
        """Year revenue down company → region → team, team years into months, team months into reps."""
        self.writer.add_unlogged(
            "seasonality",
            {
                "unit_id": self.company_id,
                "weights": [str(weight) for weight in SEASONALITY],
                "updated_by": self.admin_id,
                "updated_at": self.founded,
            },
        )
        scale = Decimal(len(self.rep_plans)) / REPS_AT_TABLE
        company_year = _round_to(COMPANY_YEAR_TARGET * scale, WAN)
        region_years = [_round_to(company_year * region.share, WAN) for region in REGIONS]
        team_years = [_round_to(company_year * team.share, WAN) for team in self.teams]
        demo_months = {month.key for month in self.months}
        team_reps: dict[int, list[RepPlan]] = {}
        for rep in self.rep_plans:
            team_reps.setdefault(rep.team_index, []).append(rep)
        for year in sorted({month.start.year for month in self.months}):
            year_period = period_containing("year", date(year, 1, 1))
            company_goal = self._goal(
                ("unit", self.company_id),
                "revenue",
                year_period,
                company_year,
                allocated=sum(region_years, Decimal(0)),
            )
            for ri, region_year in enumerate(region_years):
                indexes = [ti for ti, team in enumerate(self.teams) if team.region_index == ri]
                region_goal = self._goal(
                    ("unit", self.region_ids[ri]),
                    "revenue",
                    year_period,
                    region_year,
                    company_goal,
                    via="allocate",
                    allocated=Decimal(sum(team_years[ti] for ti in indexes)),
                )
                for ti in indexes:
                    team = self.teams[ti]
                    # The team's months are its own goals (a split in time), so nothing of its year is allocated.
                    team_goal = self._goal(
                        ("unit", team.id), "revenue", year_period, team_years[ti], region_goal, via="allocate"
                    )
                    months = year_period.months()
                    monthly = split_target(team_years[ti], months, list(SEASONALITY), quantum=HUNDRED)
                    for month, month_target in zip(months, monthly, strict=True):
                        reps = team_reps.get(ti, []) if month.key in demo_months else []
                        month_goal = self._goal(
                            ("unit", team.id),
                            "revenue",
                            month,
                            month_target,
                            team_goal,
                            via="split",
                            allocated=month_target if reps else Decimal(0),
                        )
                        if reps:
                            self._rep_goals(team, reps, month, month_target, month_goal)

    def _rep_goals(
        self, team: TeamPlan, reps: list[RepPlan], month: Period, team_target: Decimal, parent_id: str
    ) -> None:
        """The team's month to its reps by their weights (adding up exactly), and each rep's other goals."""
        weights = [Decimal(str(round(rep.weight, 3))) for rep in reps]
        revenue = _split(team_target, weights, HUNDRED)
        visits = [Decimal(60 + round(20 * (rep.weight - 0.8) / 0.4)) for rep in reps]
        new_customers = [Decimal(3 + (rep.weight > 1.0) + (rep.weight > 1.1)) for rep in reps]
        unit = ("unit", team.id)
        visits_goal = self._goal(unit, "visits", month, sum(visits, Decimal(0)), allocated=sum(visits, Decimal(0)))
        new_total = sum(new_customers, Decimal(0))
        new_goal = self._goal(unit, "new_customers", month, new_total, allocated=new_total)
        for rep, target, visit_target, new_target in zip(reps, revenue, visits, new_customers, strict=True):
            subject = ("user", rep.id)
            rep.revenue_targets[month.key] = target
            self._goal(subject, "revenue", month, target, parent_id, via="allocate")
            self._goal(subject, "visits", month, visit_target, visits_goal, via="allocate")
            self._goal(subject, "new_customers", month, new_target, new_goal, via="allocate")
            self._goal(subject, "conversion", month, Decimal("0.3"))
            self._goal(subject, "satisfaction", month, Decimal("4.2"))

    # -- one rep's customers, funnel and visits ------------------------------------------------------------

    def _rep_work(self, rep: RepPlan) -> None:
        """Everything one rep did, built in memory (a few thousand rows at most) and then written."""
        team = self.teams[rep.team_index]
        customers = [self._customer(rep, team) for _ in range(CUSTOMERS_PER_REP)]
        deals = self._funnel(rep, customers)
        visits = self._visits(rep, team, customers, deals)
        _add_flags_between(visits, self.rules)

        first_won: dict[int, datetime] = {}
        for deal in deals:
            if deal.stage == "won" and deal.closed_at is not None:
                known = first_won.get(deal.customer)
                if known is None or deal.closed_at < known:
                    first_won[deal.customer] = deal.closed_at
        for index, customer in enumerate(customers):
            won_at = first_won.get(index)
            if won_at is not None:
                # Winning the first deal is what makes a customer active (opportunities/service.py).
                customer.update(
                    status="active",
                    first_won_on=won_at.astimezone(ZONE).date(),
                    version=2,
                    updated_at=max(won_at, customer["created_at"]),
                )
            self.writer.add("customer", customer)
        for deal in deals:
            if deal.outcome is not None:
                deal.reason = self.reason_rng.choice(WON_REASONS if deal.outcome == "won" else LOST_REASONS)
            row = deal.row(rep.id, customers, self.today_start)
            self.writer.add("opportunity", row)
            for change in deal.history(row, rep.id):
                self.writer.add_unlogged("opportunity_stage_change", change)
        for visit in visits:
            self.writer.add("visit", visit)

    def _customer(self, rep: RepPlan, team: TeamPlan) -> dict[str, Any]:
        rng = self.rng
        region = REGIONS[team.region_index]
        city, lat, lon = team.city if rng.random() < 0.7 else rng.choice(region.cities)
        # Uniform within 15 km of the city centre.
        reach, bearing = 15_000 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        lat, lon = _moved(lat, lon, reach, bearing)
        name = "".join(
            (city, rng.choice(NAME_SYLLABLES), rng.choice(NAME_SYLLABLES), rng.choice(INDUSTRIES))
        ) + rng.choice(COMPANY_SUFFIXES)
        created = _instant(self.window_start - timedelta(days=rng.randint(400, 1100)), rng.randint(540, 1080))
        return {
            "id": self.new_id(),
            "name": name,
            "initials": initials(name),
            "address": f"{city}市{rng.choice(DISTRICTS)}{rng.choice(ROADS)}{rng.randint(1, 999)}号",
            "contact": self._person() + rng.choice(TITLES),
            "phone": f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}",
            "province": PROVINCE_OF[city],
            "city": city,
            "lat": lat,
            "lon": lon,
            "owner_id": rep.id,
            "status": "prospect",
            "first_won_on": None,
            "version": 1,
            "field_versions": {},
            "created_at": created,
            "updated_at": created,
            "deleted_at": None,
        }

    def _funnel(self, rep: RepPlan, customers: list[dict[str, Any]]) -> list[_Deal]:
        """Won deals worth about the rep's target times their form, losses by their win rate, open deals."""
        rng = self.rng
        deals: list[_Deal] = []
        prospects = list(range(len(customers)))
        rng.shuffle(prospects)
        # Some customers were won before the demo starts, so not every win is a new customer.
        for _ in range(len(customers) // 5):
            close_day = self._working_day_before(self.window_start - timedelta(days=rng.randint(1, 365)))
            deal = self._deal(prospects.pop(), "won", close_day)
            deal.closed_at = _instant(close_day, rng.randint(600, 1020))
            deals.append(deal)

        win_rate = 0.15 + 0.3 * rep.skill  # 0.3 for an average rep, as the conversion goal asks
        form = 0.5 + rep.skill  # won revenue over target: an average rep lands on it
        busy: Counter[date] = Counter()
        for month in self.months:
            days = self.month_days[month.key]
            if not days:
                continue
            elapsed = len(days) / self.calendar.working_days_in(month)
            target = float(rep.revenue_targets.get(month.key, 0))
            wanted = target * form * rng.lognormvariate(0, 0.15) * elapsed
            won, wins = 0.0, 0
            while won < wanted:
                amount = _deal_amount(rng)
                if won + amount > wanted and rng.random() < 0.5:
                    break
                prefer_new = prospects and rng.random() < 0.75
                customer = prospects.pop() if prefer_new else rng.randrange(len(customers))
                deals.append(self._deal(customer, "won", _close_day(rng, days, busy), amount))
                won, wins = won + amount, wins + 1
            losses = max(0, round(wins * (1 - win_rate) / win_rate + rng.uniform(-0.5, 0.5)))
            for _ in range(losses):
                deals.append(self._deal(rng.randrange(len(customers)), "lost", _close_day(rng, days, busy)))
        for _ in range(rng.randint(3, 8)):
            deals.append(self._deal(rng.randrange(len(customers)), None, None))
        return deals

    def _deal(self, customer: int, outcome: str | None, close_day: date | None, amount: float = 0) -> _Deal:
        rng = self.rng
        reference = close_day or self.today
        created = reference - timedelta(days=rng.randint(10, 75) if close_day else rng.randint(1, 60))
        if outcome == "won":
            stage = "won"
        elif outcome == "lost":
            stage = rng.choice(OPEN_STAGES)  # the furthest stage it reached before it was lost
        else:
            stage = rng.choice(OPEN_STAGES)
        expected = reference + timedelta(days=rng.randint(-15, 15) if close_day else rng.randint(7, 90))
        return _Deal(
            id=self.new_id(),
            customer=customer,
            title=rng.choice(PRODUCTS) + rng.choice(DEAL_KINDS),
            amount=amount or _deal_amount(rng),
            created=_instant(created, rng.randint(540, 1080)),
            created_day=created,
            close_day=close_day,
            outcome=outcome,
            stage=stage,
            expected_close_on=expected,
        )

    def _working_day_before(self, day: date) -> date:
        while not self.calendar.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def _visits(
        self, rep: RepPlan, team: TeamPlan, customers: list[dict[str, Any]], deals: list[_Deal]
    ) -> list[dict[str, Any]]:
        """2–6 visits on each working day, closing visits on the days deals close; statuses by age."""
        rng = self.rng
        closings: dict[date, list[_Deal]] = {}
        by_month: dict[str, list[_Deal]] = {}
        for closing in deals:
            if closing.close_day is not None and closing.close_day >= self.window_start:
                closings.setdefault(closing.close_day, []).append(closing)
                by_month.setdefault(period_containing("month", closing.close_day).key, []).append(closing)
        open_deals = [open_deal for open_deal in deals if open_deal.outcome is None]
        low = 2 + round(2 * rep.skill)
        far_chance = 0.01 + 0.15 * (1 - rep.skill) ** 3
        last_index = len(self.working_days) - 1
        rows: list[dict[str, Any]] = []
        for index, day in enumerate(self.working_days):
            due = closings.get(day, [])
            count = max(rng.randint(low, min(6, low + 2)), len(due))
            spacing = 45
            starts = sorted(rng.sample(range(DAY_START_MIN, DAY_END_MIN - 30 - (count - 1) * spacing + 1), count))
            closing_slots = dict(zip(rng.sample(range(count), len(due)), due, strict=True))
            candidates = by_month.get(period_containing("month", day).key, []) + open_deals
            midnight = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(minutes=OFFSET_MIN)
            for slot in range(count):
                check_in = midnight + timedelta(seconds=(starts[slot] + slot * spacing) * 60 + rng.randint(0, 59))
                deal: _Deal | None = closing_slots.get(slot)
                if deal is not None:
                    deal.closed_at = check_in
                    customer_index = deal.customer
                    outcome = "ordered" if deal.outcome == "won" else "not_interested"
                    purpose = "合同签订" if deal.outcome == "won" else "商务洽谈"
                    satisfaction = rng.choice((4, 5, 5)) if deal.outcome == "won" else rng.randint(2, 4)
                else:
                    deal = _open_on(rng, candidates, day) if rng.random() < 0.35 else None
                    customer_index = deal.customer if deal else rng.randrange(len(customers))
                    if deal is not None:
                        outcome = rng.choice(("follow_up", "interested"))
                    else:
                        outcome = rng.choices(("follow_up", "interested", "not_interested"), (5, 2.5, 2.5))[0]
                    purpose = rng.choice(PURPOSES)
                    satisfaction = min(5, max(1, round(rng.gauss(3.5 + 1.3 * rep.skill, 0.7))))
                customer = customers[customer_index]
                rows.append(
                    self._visit(
                        rep, team, customer, deal, check_in, outcome, purpose, satisfaction,
                        far=rng.random() < far_chance,
                        review_index=index + rng.choices((0, 1, 2), (2, 5.5, 2.5))[0],
                        last_day=index == last_index,
                    )
                )  # fmt: skip
        return rows

    def _visit(
        self,
        rep: RepPlan,
        team: TeamPlan,
        customer: dict[str, Any],
        deal: _Deal | None,
        check_in: datetime,
        outcome: str,
        purpose: str,
        satisfaction: int | None,
        *,
        far: bool,
        review_index: int,
        last_day: bool,
    ) -> dict[str, Any]:
        rng = self.rng
        accuracy = round(rng.uniform(5, 60), 1)
        off_by = rng.uniform(500, 3000) if far else abs(rng.gauss(0, accuracy / 2)) + rng.uniform(0, 40)
        lat, lon = _moved(customer["lat"], customer["lon"], off_by, rng.uniform(0, 2 * math.pi))
        check_out = check_in + timedelta(minutes=rng.randint(20, 40))
        distance = distance_m(lat, lon, customer["lat"], customer["lon"])
        received = check_out + timedelta(minutes=rng.randint(1, 40))
        day = (check_in + timedelta(minutes=OFFSET_MIN)).date()

        status, version, comment, reviewed_by, reviewed_at = "submitted", 2, None, None, None
        if review_index < len(self.working_days):
            # The lead reviews in the evening of the same or one of the next working days.
            review_day = self.working_days[review_index]
            reviewed_at = max(_instant(review_day, rng.randint(1050, 1290)), check_out + timedelta(minutes=30))
            rejected = rng.random() < (0.7 if far else 0.03)
            status, version, reviewed_by = ("rejected" if rejected else "approved"), 3, team.lead_id
            if rejected:
                comment = rng.choice(REJECT_COMMENTS["far" if far else "other"])
        elif last_day and rng.random() < 0.35:
            status, version = "draft", 1  # logged yesterday, not submitted yet
        if status == "draft" and rng.random() < 0.5:
            satisfaction = None
        follow_up = day + timedelta(days=rng.randint(3, 14)) if outcome in ("follow_up", "interested") else None
        return {
            "id": self.new_id(),
            "rep_id": rep.id,
            "customer_id": customer["id"],
            "opportunity_id": deal.id if deal else None,
            "check_in_at": check_in,
            "check_in_offset_min": OFFSET_MIN,
            "check_out_at": check_out,
            "lat": lat,
            "lon": lon,
            "accuracy_m": accuracy,
            "purpose": purpose,
            "outcome": outcome,
            "satisfaction": satisfaction,
            "notes": rng.choice(NOTES) if rng.random() < 0.6 else None,
            "next_follow_up_on": follow_up,
            "status": status,
            "review_comment": comment,
            "reviewed_by": reviewed_by,
            "reviewed_at": reviewed_at,
            "distance_m": distance,
            # Its own flags as the server sets them (the demo's units and customers set no radius: the
            # setting's is every visit's); those between check-ins follow once the rep's day is known.
            "flags": in_order(own_flags(distance, accuracy, self.rules.radius_m, self.rules)),
            "received_at": received,
            "version": version,
            "field_versions": {},
            "created_at": received,
            "updated_at": reviewed_at or received,
            "deleted_at": None,
        }


def _add_flags_between(visits: list[dict[str, Any]], rules: Rules) -> None:
    """The flags between one rep's check-ins (a far customer an hour after a near one), judged all at once
    as the server judges them: the rep's visits are all known here."""
    ordered = sorted(
        (
            CheckIn(v["id"], v["check_in_at"], v["lat"], v["lon"], v["accuracy_m"], v["customer_id"])
            for v in visits
        ),
        key=lambda c: (c.at, c.id),
    )
    by_id = {visit["id"]: visit for visit in visits}
    for index, check_in in enumerate(ordered):
        between = between_flags(ordered, index, rules)
        if between:
            visit = by_id[check_in.id]
            visit["flags"] = in_order(set(visit["flags"] or ()) | between)


@dataclass(slots=True)
class _Deal:
    """An opportunity while its rep's work is generated: its closing visit sets `closed_at`."""

    id: str
    customer: int
    title: str
    amount: float
    created: datetime
    created_day: date
    close_day: date | None
    outcome: str | None  # won, lost, or None while open
    stage: str
    expected_close_on: date
    closed_at: datetime | None = None
    reason: str | None = None

    def history(self, row: dict[str, Any], owner_id: str) -> list[dict[str, Any]]:
        """Its stage changes, as opportunities.service writes them: opened at lead when created, then one move
        per stage it went through, evenly spaced up to its last move (`stage_changed_at`)."""
        if self.outcome is None:
            path = list(OPEN_STAGES[: OPEN_STAGES.index(self.stage) + 1])
        elif self.outcome == "won":
            path = [*OPEN_STAGES, "won"]
        else:
            path = [*OPEN_STAGES[: OPEN_STAGES.index(self.stage) + 1], "lost"]
        last = row["stage_changed_at"]
        step = (last - self.created) / max(len(path) - 1, 1)
        return [
            {
                "id": f"{self.id[:-4]}{n:04d}",
                "opportunity_id": self.id,
                "from_stage": path[n - 1] if n else None,
                "to_stage": stage,
                "version": n + 1,
                "at": self.created + step * n,
                "recorded_at": self.created + step * n,
                "by_id": owner_id,
            }
            for n, stage in enumerate(path)
        ]

    def row(self, owner_id: str, customers: Sequence[dict[str, Any]], today_start: datetime) -> dict[str, Any]:
        if self.outcome is None:
            # lead, then one version per stage it has moved through since.
            version = OPEN_STAGES.index(self.stage) + 1
            changed = self.created + (today_start - self.created) * (0.5 if version > 1 else 0)
            stage, closed = self.stage, None
        else:
            reached = 4 if self.outcome == "won" else OPEN_STAGES.index(self.stage) + 1
            version = reached + 1
            stage, closed = self.outcome, self.closed_at
            changed = self.closed_at or self.created
        return {
            "id": self.id,
            "customer_id": customers[self.customer]["id"],
            "owner_id": owner_id,
            "title": self.title,
            "amount": Decimal(int(self.amount)).quantize(Decimal("0.01")),
            "expected_close_on": self.expected_close_on,
            "stage": stage,
            "stage_changed_at": changed,
            "closed_at": closed,
            "close_reason": self.reason,
            "version": version,
            "field_versions": {},
            "created_at": self.created,
            "updated_at": changed,
            "deleted_at": None,
        }


def _close_day(rng: random.Random, days: list[date], busy: Counter[date]) -> date:
    """A working day to close a deal on, at most four a day: each closing is one of the day's 2–6 visits."""
    for _ in range(20):
        day = rng.choice(days)
        if busy[day] < 4:
            break
    busy[day] += 1
    return day


def _open_on(rng: random.Random, deals: list[_Deal], day: date) -> _Deal | None:
    """One of a few sampled deals that is open on `day`: a visit that works on it links to it."""
    for _ in range(3) if deals else ():
        deal = rng.choice(deals)
        if deal.created_day <= day and (deal.close_day is None or day < deal.close_day):
            return deal
    return None


def _deal_amount(rng: random.Random) -> float:
    """2万 to 80万, most deals a few 万: a log-normal around 3.5万, to the hundred yuan."""
    return float(min(800_000, max(20_000, round(35_000 * rng.lognormvariate(0, 0.8), -2))))


def _moved(lat: float, lon: float, metres: float, bearing: float) -> tuple[float, float]:
    """The point `metres` away towards `bearing` (radians from north); flat-earth is exact enough at 3 km."""
    north, east = metres * math.cos(bearing), metres * math.sin(bearing)
    return (
        round(lat + north / 111_320, 6),
        round(lon + east / (111_320 * math.cos(math.radians(lat))), 6),
    )


def _instant(day: date, minute: int) -> datetime:
    """`minute` minutes after local midnight of `day` in Shanghai, as an aware UTC instant."""
    return datetime.combine(day, time(0), tzinfo=UTC) + timedelta(minutes=minute - OFFSET_MIN)


def _round_to(value: Decimal, unit: Decimal) -> Decimal:
    return (value / unit).to_integral_value() * unit


def _split(total: Decimal, weights: list[Decimal], quantum: Decimal) -> list[Decimal]:
    """`total` in parts proportional to `weights`, adding up exactly: the one splitting rule (periods.py).

    `split_target` splits across months; it only needs one period per part, so the same month stands for
    every part.
    """
    month = period_containing("month", date(2000, 1, 1))
    return split_target(total, [month] * len(weights), weights, quantum=quantum)


def _largest_remainder(total: int, shares: list[Decimal], minimum: int = 0) -> list[int]:
    """`total` whole people in proportion to `shares`, each part at least `minimum` when total allows."""
    parts = [int(part) for part in _split(Decimal(total), shares, Decimal(1))]
    for index, part in enumerate(parts):
        while part < minimum and max(parts) > minimum:
            donor = parts.index(max(parts))
            parts[donor] -= 1
            part += 1
            parts[index] = part
    return parts


def print_sign_ins(sign_ins: list[tuple[str, str, str]]) -> None:
    print("\nDemo sign-ins (email / password):")
    for role, email, password in sign_ins:
        print(f"  {role:<8} {email:<32} {password}")
    print()
