"""What the channels say, in the channel's language: markdown that every platform shows (bold, lines and
"- " lists), rendered once when the message is queued. Each platform module wraps it in its own body.
"""

from __future__ import annotations

from typing import Any

# kind -> locale -> (title, text); both take the event's params by name.
TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "milestone": {
        "zh-CN": (
            "🎯 {name} 目标达成 {percent}%",
            "**{name}** {period}的{metric}目标已完成 **{percent}%**（目标 {target}）。",
        ),
        "en": (
            "🎯 {name}: {percent} % of the {metric} goal",
            "**{name}** has reached **{percent} %** of the {metric} target for {period} ({target}).",
        ),
    },
    "badge": {
        "zh-CN": ("🏅 {name} 获得徽章「{badge}」", "恭喜 **{name}** 获得「{badge}」徽章！"),
        "en": ("🏅 {name} earned the {badge} badge", "Congratulations to **{name}** on the {badge} badge!"),
    },
    "team_morning": {
        "zh-CN": ("☀️ {unit} 团队早报 {day}", "{lines}"),
        "en": ("☀️ {unit} morning digest, {day}", "{lines}"),
    },
    "test": {
        "zh-CN": ("Fieldgoal 测试消息", "这是一条来自 Fieldgoal 的测试消息：{unit} 的机器人已配置成功。"),
        "en": ("Fieldgoal test message", "A test message from Fieldgoal: {unit}'s robot is set up."),
    },
    "merged": {
        "zh-CN": ("Fieldgoal：{count} 条新消息", "{lines}"),
        "en": ("Fieldgoal: {count} new messages", "{lines}"),
    },
}

# The lines of the leads' morning digest.
LINES: dict[str, dict[str, str]] = {
    "approvals": {"zh-CN": "- 待审批拜访：**{count}** 条", "en": "- Visits waiting for approval: **{count}**"},
    "behind_head": {"zh-CN": "**进度落后：**", "en": "**Behind pace:**"},
    "behind": {
        "zh-CN": "- {name}：{metric} 为应有进度的 {pace}%，每个工作日需完成 {needed}",
        "en": "- {name}: {metric} at {pace} % of pace, {needed} needed a working day",
    },
}


def in_locale(value: Any, locale: str) -> Any:
    """A param given as {locale: text} (a metric's name) in `locale`; anything else as it is."""
    if isinstance(value, dict):
        return value.get(locale) or value.get("zh-CN") or next(iter(value.values()), "")
    return value


def render(kind: str, locale: str, params: dict[str, Any]) -> tuple[str, str]:
    templates = TEMPLATES[kind]
    title, text = templates[locale if locale in templates else "zh-CN"]
    values = {name: in_locale(value, locale) for name, value in params.items()}
    return title.format(**values), text.format(**values)


def line(name: str, locale: str, params: dict[str, Any]) -> str:
    template = LINES[name].get(locale) or LINES[name]["zh-CN"]
    return template.format(**{key: in_locale(value, locale) for key, value in params.items()})


def merge(locale: str, messages: list[tuple[str, str]]) -> tuple[str, str]:
    """One message carrying several (title, text): what a channel gets when more wait than its robot takes."""
    lines = "\n\n".join(f"**{title}**\n{text}" for title, text in messages)
    return render("merged", locale, {"count": len(messages), "lines": lines})
