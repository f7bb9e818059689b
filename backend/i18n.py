"""The user's language: which locale a request speaks, and the messages of every error code in it.

zh-CN is the default (PRODUCT.md: Chinese first). A signed-in user's own `locale` wins; before sign-in the
`Accept-Language` header decides. Messages are looked up by the stable `code` that clients read, so a code's
wording can change without breaking anyone.
"""

from __future__ import annotations

import re
from typing import Any

LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"

# code -> locale -> template; templates take the error's params by name.
MESSAGES: dict[str, dict[str, str]] = {
    # field rules
    "required": {"en": "is required", "zh-CN": "为必填项"},
    "wrong_type": {"en": "must be {expected}", "zh-CN": "必须是{expected}"},
    "too_long": {"en": "must be at most {max} characters", "zh-CN": "不能超过 {max} 个字符"},
    "too_short": {"en": "must be at least {min} characters", "zh-CN": "至少需要 {min} 个字符"},
    "out_of_range": {"en": "must be {min} to {max}", "zh-CN": "必须在 {min} 到 {max} 之间"},
    "invalid_choice": {"en": "must be one of: {choices}", "zh-CN": "必须是以下之一：{choices}"},
    "invalid_format": {"en": "is not a valid {format}", "zh-CN": "不是有效的{format}"},
    "unknown_field": {"en": "is not a field of this record", "zh-CN": "不是该记录的字段"},
    "not_writable": {"en": "is set by the server", "zh-CN": "由服务器设置，不能修改"},
    "invalid_text": {"en": "contains characters that are not allowed", "zh-CN": "包含不允许的字符"},
    "invalid_json": {"en": "is not valid JSON", "zh-CN": "不是有效的 JSON"},
    "invalid": {"en": "is not a valid value", "zh-CN": "不是有效的值"},
    "taken": {"en": "is already in use", "zh-CN": "已被使用"},
    "not_found": {"en": "does not exist", "zh-CN": "不存在"},
    "forbidden": {"en": "you may not do this", "zh-CN": "您无权执行此操作"},
    "invalid_parent": {"en": "would make a unit its own ancestor", "zh-CN": "会使组织单元成为自己的上级"},
    "has_children": {"en": "still has units or users below it", "zh-CN": "下面仍有组织单元或用户"},
    "weak_password": {
        "en": "must be at least {min} characters and not a common or guessable password"
        " (a word, a name, a date, your email, a run like 12345678)",
        "zh-CN": "至少需要 {min} 个字符，且不能是常见或容易猜到的密码（如单词、姓名、日期、您的邮箱或 12345678 这样的连续字符）",
    },
    "invalid_timezone": {"en": "is not a known time zone", "zh-CN": "不是有效的时区"},
    "too_many_items": {"en": "may hold at most {max}", "zh-CN": "最多 {max} 项"},
    "repeated_item": {"en": "names the same item twice", "zh-CN": "包含重复的项"},
    # people and their own account
    "last_admin": {
        "en": "cannot be changed: this is the last active admin",
        "zh-CN": "不能修改：这是最后一位有效的管理员",
    },
    "wrong_password": {"en": "is not your current password", "zh-CN": "不是您当前的密码"},
    # a `cursor` that no page of this list gave out (backend/paging.py)
    "invalid_cursor": {"en": "is not a cursor of this list", "zh-CN": "不是此列表的翻页位置"},
    # push subscriptions (backend/push/endpoints.py)
    "endpoint_not_allowed": {
        "en": "is not at a push service this server may send to",
        "zh-CN": "不是本服务器允许的推送服务地址",
    },
    "endpoint_not_https": {"en": "must be an https:// address", "zh-CN": "必须是 https:// 地址"},
    "endpoint_invalid": {"en": "is not a valid push endpoint URL", "zh-CN": "不是有效的推送地址"},
    # a robot webhook without its key (backend/channels/webhooks.py)
    "webhook_key_missing": {
        "en": "is not this platform's robot webhook with its key",
        "zh-CN": "不是该平台带密钥的机器人 Webhook 地址",
    },
    "invalid_role_unit": {
        "en": "a {role} belongs to a unit of kind {kind}",
        "zh-CN": "{role} 必须属于{kind}类型的单元",
    },
    # request-level problems
    "validation_failed": {"en": "The request has invalid fields.", "zh-CN": "请求中有无效的字段。"},
    "malformed_request": {
        "en": "The request is malformed, so nothing was applied.",
        "zh-CN": "请求格式有误，未执行任何操作。",
    },
    "body_not_json": {"en": "The request body is not valid JSON.", "zh-CN": "请求体不是有效的 JSON。"},
    "unauthenticated": {"en": "Sign in again.", "zh-CN": "请重新登录。"},
    "invalid_credentials": {"en": "Email or password is wrong.", "zh-CN": "邮箱或密码错误。"},
    "too_many_attempts": {
        "en": "Too many failed sign-ins. Try again in {retry_after} seconds.",
        "zh-CN": "登录失败次数过多，请 {retry_after} 秒后重试。",
    },
    "payload_too_large": {"en": "Too large: at most {max} {name}.", "zh-CN": "内容过大：最多 {max} {name}。"},
    "unsupported_protocol": {
        "en": "This app is out of date; please update it.",
        "zh-CN": "应用版本过旧，请更新。",
    },
    "client_taken": {
        "en": "This device id belongs to another user.",
        "zh-CN": "此设备标识属于其他用户。",
    },
    "endpoint_taken": {
        "en": "This push subscription belongs to another user's browser; subscribe afresh.",
        "zh-CN": "此推送订阅属于其他用户的浏览器，请重新订阅。",
    },
    "method_not_allowed": {"en": "This method is not allowed here.", "zh-CN": "不支持此请求方法。"},
    "unsupported_media_type": {
        "en": "The body's Content-Type is not one this request takes.",
        "zh-CN": "请求体的 Content-Type 不受支持。",
    },
    "server_error": {"en": "Something went wrong on the server.", "zh-CN": "服务器出错了。"},
    # sync and domain rules
    "depends_on_rejected": {
        "en": "depends on a record that was rejected",
        "zh-CN": "依赖的记录已被拒绝",
    },
    "read_only": {"en": "cannot be changed from a phone", "zh-CN": "不能在手机上修改"},
    "invalid_op": {"en": "is not an operation on this record", "zh-CN": "不是该记录支持的操作"},
    "invalid_state": {
        "en": "not possible while the record is {state}",
        "zh-CN": "记录状态为 {state}，不能执行此操作",
    },
    "period_locked": {"en": "the period {period} is closed", "zh-CN": "{period} 期间已关闭"},
    # a visit ends after it starts
    "before_check_in": {"en": "must not be before the check-in time", "zh-CN": "不能早于签到时间"},
    "after_check_out": {"en": "must not be after the check-out time", "zh-CN": "不能晚于签退时间"},
    "time_in_future": {"en": "lies in the future", "zh-CN": "时间不能在未来"},
    "time_too_old": {"en": "lies more than {max_days} days in the past", "zh-CN": "时间不能早于 {max_days} 天前"},
    "already_exists": {"en": "a record with this id already exists", "zh-CN": "该编号的记录已存在"},
    "not_a_child": {
        "en": "is not directly below the parent goal's subject",
        "zh-CN": "不是上级目标对象的直接下级",
    },
    "parent_mismatch": {
        "en": "must have the parent goal's metric and period",
        "zh-CN": "必须与上级目标的指标和期间一致",
    },
    "review_exists": {
        "en": "this rep already has a review for {period}",
        "zh-CN": "该销售代表已有 {period} 的考评",
    },
    "plan_open": {"en": "already has an open improvement plan", "zh-CN": "已有进行中的改进计划"},
    "too_many": {"en": "at most {max} at once", "zh-CN": "一次最多 {max} 条"},
    "over_allocated": {
        "en": "allocations add up to {total}, more than the parent's {target}",
        "zh-CN": "分配合计 {total}，超过上级目标 {target}",
    },
    # commissions (backend/rewards/service.py)
    "top_tier_open": {"en": "the last tier must have no upper bound", "zh-CN": "最高一档不能设上限"},
    "tiers_not_ascending": {
        "en": "must be above the previous tier's bound",
        "zh-CN": "必须高于上一档的上限",
    },
    "outside_plan_unit": {"en": "is not inside the plan's unit", "zh-CN": "不在该方案所属的组织单元内"},
    "no_commission_plan": {"en": "No commission plan applies to this rep.", "zh-CN": "该销售没有适用的提成方案。"},
    "no_revenue_goal": {
        "en": "There is no revenue target for {period}.",
        "zh-CN": "{period} 没有销售额目标。",
    },
    "period_not_ended": {"en": "The period {period} has not ended yet.", "zh-CN": "{period} 期间尚未结束。"},
    "statement_issued": {
        "en": "The statement for {period} has already been issued.",
        "zh-CN": "{period} 的提成结算单已发布。",
    },
    # visit photos (backend/visits/photos.py)
    "photo_of_other_visit": {
        "en": "lists photo {id}, which belongs to another visit",
        "zh-CN": "包含属于其他拜访的照片 {id}",
    },
    "not_an_image": {
        "en": "is not an image the server can read (JPEG, PNG, WebP, …)",
        "zh-CN": "不是服务器可识别的图片（JPEG、PNG、WebP 等）",
    },
    "image_too_large": {"en": "has more than {max} pixels", "zh-CN": "像素超过 {max}"},
    "photo_differs": {
        "en": "Other bytes have already arrived under this photo's id.",
        "zh-CN": "该照片编号下已收到不同的内容。",
    },
    # a customer's position from an approved check-in (backend/customers/service.py take_position)
    "visit_of_other_customer": {"en": "is a visit to another customer", "zh-CN": "是对其他客户的拜访"},
    "visit_not_approved": {
        "en": "is not an approved visit (it is {state})",
        "zh-CN": "不是已批准的拜访（当前状态：{state}）",
    },
    "visit_without_position": {"en": "has no check-in position", "zh-CN": "没有签到位置"},
    "customer_has_position": {
        "en": "cannot set the position: the customer already has coordinates",
        "zh-CN": "无法设置位置：该客户已有坐标",
    },
    # a team's home (backend/home/service.py)
    "not_a_team": {"en": "is not a team", "zh-CN": "不是团队"},
    # an official holiday schedule (backend/kpi/schedules.py)
    "not_in_year": {"en": "must be a date in {year}", "zh-CN": "必须是 {year} 年内的日期"},
    # A list's rows counted from 1, as a form shows them (never a field path: messages are read by people).
    "duplicate": {"en": "repeats row {row}", "zh-CN": "与第 {row} 行重复"},
    "in_both_lists": {
        "en": "is also a day off (row {row} of the days off): a day is off or working, not both",
        "zh-CN": "也在放假日期中（第 {row} 行）：同一天不能既放假又上班",
    },
}

EXPECTED = {
    "string": {"en": "text", "zh-CN": "文本"},
    "integer": {"en": "a whole number", "zh-CN": "整数"},
    "number": {"en": "a number", "zh-CN": "数字"},
    "decimal": {"en": 'a decimal amount as text, like "12000.50"', "zh-CN": '文本形式的金额，如 "12000.50"'},
    "object": {"en": "an object", "zh-CN": "对象"},
    "list": {"en": "a list", "zh-CN": "列表"},
    "boolean": {"en": "true or false", "zh-CN": "true 或 false"},
    "uuid": {"en": "a UUID", "zh-CN": "UUID"},
    "date": {"en": "a date (YYYY-MM-DD)", "zh-CN": "日期（YYYY-MM-DD）"},
    "datetime": {"en": "a time with its offset (RFC 3339)", "zh-CN": "带时区的时间（RFC 3339）"},
    "email": {"en": "an email address", "zh-CN": "邮箱地址"},
    "period": {
        "en": "a period like 2026, 2026-Q4, 2026-11 or 2026-W48",
        "zh-CN": "期间，如 2026、2026-Q4、2026-11 或 2026-W48",
    },
}

FORMATS = {"email": {"en": "email address", "zh-CN": "邮箱地址"}}


def negotiate(accept_language: str | None) -> str:
    """The best of our locales for an `Accept-Language` header; zh-CN when nothing matches."""
    if not accept_language:
        return DEFAULT_LOCALE
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, index, tag.strip().lower()))
    for _, _, tag in sorted(ranked):
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LOCALE


_PERIOD = re.compile(r"^(\d{4})(?:-Q([1-4])|-(\d{2}))?$")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def period_words(key: str, locale: str) -> str:
    """A period key as people say it: 2026-12 → 2026年12月 / Dec 2026; 2026-Q4 → 2026年第4季度 / Q4 2026;
    2026 → 2026年 / 2026. Anything else as it came."""
    found = _PERIOD.match(str(key))
    if not found:
        return str(key)
    year, quarter, month = found.groups()
    zh = locale == "zh-CN"
    if month and 1 <= int(month) <= 12:
        return f"{year}年{int(month)}月" if zh else f"{_MONTHS[int(month) - 1]} {year}"
    if quarter:
        return f"{year}年第{quarter}季度" if zh else f"Q{quarter} {year}"
    if month:
        return str(key)
    return f"{year}年" if zh else year


def message(code: str, locale: str, params: dict[str, Any] | None = None) -> str:
    templates = MESSAGES.get(code) or MESSAGES["validation_failed"]
    template = templates.get(locale) or templates["en"]
    values = dict(params or {})
    if "expected" in values:
        values["expected"] = EXPECTED.get(values["expected"], {}).get(locale, values["expected"])
    if "format" in values:
        values["format"] = FORMATS.get(values["format"], {}).get(locale, values["format"])
    if "period" in values:
        values["period"] = period_words(values["period"], locale)
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return template
