"""A message that names a period names it in words in the reader's language (2026年12月 / Dec 2026), never
as its key (2026-12): the phone shows such messages as the server wrote them."""

from __future__ import annotations

import pytest

from backend.i18n import message


@pytest.mark.parametrize(
    ("period", "zh", "en"),
    [
        ("2026-12", "2026年12月 期间已关闭", "the period Dec 2026 is closed"),
        ("2026-07", "2026年7月 期间已关闭", "the period Jul 2026 is closed"),
        ("2026-Q4", "2026年第4季度 期间已关闭", "the period Q4 2026 is closed"),
        ("2026", "2026年 期间已关闭", "the period 2026 is closed"),
        ("2026-W48", "2026-W48 期间已关闭", "the period 2026-W48 is closed"),
    ],
)
def test_a_locked_period_is_named_in_words(period: str, zh: str, en: str) -> None:
    assert message("period_locked", "zh-CN", {"period": period}) == zh
    assert message("period_locked", "en", {"period": period}) == en


def test_every_message_with_a_period_says_it_in_words() -> None:
    assert message("review_exists", "zh-CN", {"period": "2026-11"}) == "该销售代表已有 2026年11月 的考评"
    assert message("review_exists", "en", {"period": "2026-11"}) == "this rep already has a review for Nov 2026"
