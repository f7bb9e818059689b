"""The app reads a list the server answers a page at a time whole, by following each page's `Link` rel=next
(pwa/js/api.js `callAll`, used by the desks' lists), in the real browser against the real server."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.live import Live
from tests.e2e.phone import Phone

pytestmark = pytest.mark.browser

READ_BOTH = """async () => {
  const coaching = await import('/static/js/coaching.js');
  const paged = await coaching.requestAll('/api/v1/users?limit=2');
  const whole = await coaching.request('GET', '/api/v1/users?limit=500');
  return { paged: paged.data.map((u) => u.id), whole: whole.data.map((u) => u.id), link: whole.headers.get('Link') };
}"""


def test_the_app_follows_the_next_links_to_read_a_whole_list(live: Live, new_context: Any) -> None:
    manager = Phone(new_context()).open().sign_in(live.org.email("boss"))

    read = manager.page.evaluate(READ_BOTH)

    assert read["link"] is None
    assert len(read["whole"]) > 2
    assert read["paged"] == read["whole"]
    assert manager.errors == []
