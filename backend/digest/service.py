"""The email digest: a user's choice, and the morning digest written for each user who chose it.

From `FIELDGOAL_MORNING_HOUR` in the user's own time zone (until the quiet hours), once per local day (a
unique key: several workers write it once), when SMTP is configured (`FIELDGOAL_SMTP_HOST`). It says, in
the user's language, in plain text and HTML:

- yesterday's figures: the KPI engine's tally of their local yesterday (visits, deals won, revenue, new
  customers) — read, never recomputed;
- what is needed per working day on each of their running goals (the engine's progress records);
- the follow-ups due today;
- for leads, how many of their team's visits wait for approval.
"""

from __future__ import annotations

import html
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.customers.models import Customer
from backend.digest.models import EmailDigest, EmailDigestChoice
from backend.digest.schemas import DigestChoicePublic
from backend.goals.models import ADDITIVE_METRICS
from backend.kpi.engine import Tally, amount_text
from backend.kpi.models import Progress
from backend.kpi.service import rep_tallies
from backend.notify.milestones import METRIC_NAMES
from backend.notify.rules import waiting_by_unit
from backend.org.models import DEFAULT_TIMEZONE, User
from backend.periods import PERIOD_KINDS, period_containing
from backend.policy import Actor
from backend.settings import Settings
from backend.validation import Flag, validate
from backend.visits.models import Visit

TEXTS: dict[str, dict[str, str]] = {
    "subject": {"zh-CN": "Fieldgoal 每日简报 {day}", "en": "Fieldgoal daily digest, {day}"},
    "hello": {"zh-CN": "{name}，早上好！", "en": "Good morning, {name}!"},
    "yesterday": {"zh-CN": "昨日业绩（{day}）", "en": "Yesterday ({day})"},
    "figures": {
        "zh-CN": "拜访 {visits} 次，赢单 {won_count} 个，销售额 ¥{won_amount}，新客户 {new_customers} 个",
        "en": "{visits} visits, {won_count} deals won, ¥{won_amount} revenue, {new_customers} new customers",
    },
    "needed": {"zh-CN": "每个工作日需完成", "en": "Needed per working day"},
    "needed_line": {
        "zh-CN": "{period}{metric}：已完成 {actual}/{target}，剩余 {days_left} 个工作日，每天需 {needed}",
        "en": "{metric} {period}: {actual} of {target}, {needed} a day for the {days_left} working days left",
    },
    "follow_ups": {"zh-CN": "今日待跟进", "en": "Follow-ups due today"},
    "approvals": {"zh-CN": "待审批拜访：{count} 条", "en": "Visits waiting for your approval: {count}"},
    "nothing": {"zh-CN": "无", "en": "none"},
}


def _t(key: str, locale: str, **params: Any) -> str:
    texts = TEXTS[key]
    return (texts.get(locale) or texts["zh-CN"]).format(**params)


# --- the user's choice ----------------------------------------------------------------------------------------


def choice_public(session: Session, actor: Actor, settings: Settings) -> DigestChoicePublic:
    choice = session.get(EmailDigestChoice, actor.id)
    return DigestChoicePublic(
        enabled=bool(choice and choice.enabled), email=actor.email, available=bool(settings.smtp_host)
    )


def choose(session: Session, actor: Actor, settings: Settings, data: Any, now: datetime) -> DigestChoicePublic:
    """{enabled: bool}: the caller's own choice."""
    values = validate(data, {"enabled": Flag(required=True, nullable=False)})
    choice = session.get(EmailDigestChoice, actor.id) or EmailDigestChoice(user_id=actor.id)
    choice.enabled, choice.updated_at = values["enabled"], now
    session.add(choice)
    session.flush()
    return choice_public(session, actor, settings)


# --- the morning's digests ------------------------------------------------------------------------------------


def queue_mornings(session: Session, settings: Settings, now: datetime) -> int:
    """Write the digest of every opted-in user whose morning it is and who has none for today."""
    if not settings.smtp_host:
        return 0
    end_hour = settings.quiet_hours_start if settings.quiet_hours_start > settings.morning_hour else 24
    users = session.scalars(
        select(User)
        .join(EmailDigestChoice, col(EmailDigestChoice.user_id) == User.id)
        .where(col(EmailDigestChoice.enabled).is_(True), col(User.active).is_(True))
    )
    made = 0
    for user in list(users):
        local = now.astimezone(_zone(user.timezone))
        if not settings.morning_hour <= local.hour < end_hour:
            continue
        day = local.date()
        exists = session.scalars(
            select(EmailDigest.id).where(EmailDigest.user_id == user.id, EmailDigest.day == day)
        ).first()
        if exists:
            continue
        subject, text, html_body = compose(session, user, day)
        digest = EmailDigest(
            user_id=user.id,
            day=day,
            to_address=user.email,
            subject=subject,
            text_body=text,
            html_body=html_body,
            due_at=now,
            created_at=now,
        )
        try:
            with session.begin_nested():  # another worker wrote it meanwhile: only this insert is undone
                session.add(digest)
                session.flush()
        except IntegrityError:
            continue
        made += 1
    return made


def compose(session: Session, user: User, day: date) -> tuple[str, str, str]:
    """The subject, plain text and HTML of `user`'s digest for their local `day`."""
    locale = user.locale
    sections: list[tuple[str, list[str]]] = []
    yesterday = day - timedelta(days=1)
    tally = rep_tallies(session, [user.id], yesterday, day).get(user.id, Tally())
    figures = _t(
        "figures",
        locale,
        visits=tally.visits,
        won_count=tally.won_count,
        won_amount=amount_text("revenue", tally.won_amount),
        new_customers=tally.new_customers,
    )
    sections.append((_t("yesterday", locale, day=yesterday.isoformat()), [figures]))

    running = {period_containing(kind, day).key for kind in PERIOD_KINDS}
    needed = [
        _t(
            "needed_line",
            locale,
            period=p.period,
            metric=METRIC_NAMES[p.metric].get(locale) or METRIC_NAMES[p.metric]["zh-CN"],
            actual=amount_text(p.metric, p.actual or Decimal(0)),
            target=amount_text(p.metric, p.target),
            days_left=p.working_days_left,
            needed=str(p.needed_per_working_day.normalize()),
        )
        for p in session.scalars(
            select(Progress)
            .where(
                col(Progress.subject_type) == "user",
                col(Progress.subject_id) == user.id,
                col(Progress.period).in_(running),
                col(Progress.metric).in_(ADDITIVE_METRICS),
            )
            .order_by(col(Progress.period), col(Progress.metric))
        )
        if p.needed_per_working_day is not None and p.working_days_left
    ]
    sections.append((_t("needed", locale), needed or [_t("nothing", locale)]))

    customers = list(
        dict.fromkeys(
            session.scalars(
                select(Customer.name)
                .join(Visit, col(Visit.customer_id) == Customer.id)
                .where(
                    col(Visit.rep_id) == user.id,
                    col(Visit.next_follow_up_on) == day,
                    col(Visit.deleted_at).is_(None),
                )
                .order_by(col(Customer.name))
            )
        )
    )
    sections.append((_t("follow_ups", locale), customers or [_t("nothing", locale)]))
    if user.role == "lead":
        count = waiting_by_unit(session, {user.unit_id}).get(user.unit_id, 0)
        sections.append((_t("approvals", locale, count=count), []))

    subject = _t("subject", locale, day=day.isoformat())
    hello = _t("hello", locale, name=user.name)
    text = "\n\n".join(
        [hello, *(f"{head}\n" + "\n".join(f"- {line}" for line in lines) for head, lines in sections)]
    )
    body = "".join(
        f"<h2>{html.escape(head)}</h2>"
        + (("<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>") if lines else "")
        for head, lines in sections
    )
    page = (
        f'<!doctype html><html lang="{html.escape(locale)}"><body><p>{html.escape(hello)}</p>{body}</body></html>'
    )
    return subject, text.strip() + "\n", page


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (KeyError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)
