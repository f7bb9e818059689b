"""Text contrast of the chrome every signed-in screen shares (the header: app name, last sync, the "unsent"
label and count, the sync button) and of the grey hint text, computed from the colours Chromium renders
(getComputedStyle, opacity and the backgrounds behind included): each pair reaches WCAG AA's 4.5:1. A cheap
guard for what Lighthouse's accessibility audit (bench/lighthouse_bench.py) found failing on every screen.
Screenshots at 360 px (a rep) and 1280 px (a lead) go to test-artifacts/screens/.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.live import SCREENS, Live
from tests.e2e.phone import Phone

pytestmark = pytest.mark.browser

AA = 4.5
LAPTOP = {"width": 1280, "height": 800}

# The contrast of every visible element matching a selector: its colour, faded by its own and its ancestors'
# opacity, over the backgrounds of its ancestors composited from the page down (white beneath all).
CONTRAST = """(selectors) => {
  const parse = (css) => { const [r, g, b, a = 1] = css.match(/[\\d.]+/g).map(Number); return { r, g, b, a }; };
  const over = (top, alpha, below) => ({ r: top.r * alpha + below.r * (1 - alpha), g: top.g * alpha + below.g * (1 - alpha),
    b: top.b * alpha + below.b * (1 - alpha) });
  const luminance = ({ r, g, b }) => {
    const lin = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const opacity = (el) => { let o = 1; for (let n = el; n; n = n.parentElement) o *= Number(getComputedStyle(n).opacity); return o; };
  const found = [];
  for (const selector of selectors) {
    for (const el of document.querySelectorAll(selector)) {
      if (!el.textContent.trim() || !el.getClientRects().length) continue;
      const chain = []; for (let n = el; n; n = n.parentElement) chain.unshift(n);
      let background = { r: 255, g: 255, b: 255 };
      for (const n of chain) {
        const colour = parse(getComputedStyle(n).backgroundColor);
        if (colour.a > 0) background = over(colour, colour.a * opacity(n), background);
      }
      const text = parse(getComputedStyle(el).color);
      const shown = over(text, text.a * opacity(el), background);
      const [light, dark] = [luminance(shown), luminance(background)].sort((x, y) => y - x);
      found.push({ selector, text: el.textContent.trim().slice(0, 30), ratio: (light + 0.05) / (dark + 0.05),
        size: getComputedStyle(el).fontSize });
    }
  }
  return found;
}"""

HEADER = [
    "#top .brand b",
    '[data-test="last-synced"]',
    "#top .pending small",
    '[data-test="pending-count"]',
    '[data-test="sync-now"]',
]
GREY = [".hint", ".empty", ".screen h2", "#nav a:not(.on)"]


def contrasts(phone: Phone, selectors: list[str]) -> list[dict[str, Any]]:
    return list(phone.page.evaluate(CONTRAST, selectors))


def assert_readable(found: list[dict[str, Any]], selectors: list[str]) -> None:
    assert {f["selector"] for f in found} >= set(selectors), "every element is on the screen"
    low = [f for f in found if f["ratio"] < AA]
    assert low == [], f"below {AA}:1: {low}"


def the_header_in_each_state(phone: Phone) -> None:
    """The header as drawn, then with unsent changes (the label turns amber) and while a sync runs."""
    assert_readable(contrasts(phone, HEADER), HEADER)
    phone.page.evaluate("() => document.querySelector('#top .pending').classList.add('has')")
    assert_readable(contrasts(phone, HEADER), HEADER)
    phone.page.evaluate("() => document.querySelector('[data-test=\"sync-now\"]').classList.add('spin')")
    assert_readable(contrasts(phone, HEADER), HEADER)
    phone.page.evaluate(
        "() => { document.querySelector('#top .pending').classList.remove('has');"
        " document.querySelector('[data-test=\"sync-now\"]').classList.remove('spin'); }"
    )


def shot(phone: Phone, name: str) -> None:
    phone.page.evaluate("() => { document.getElementById('toast').hidden = true; }")
    SCREENS.mkdir(parents=True, exist_ok=True)
    phone.page.screenshot(path=str(SCREENS / f"{name}.png"))


def test_a_reps_header_and_hints_reach_aa_contrast_on_a_phone(live: Live, context: Any) -> None:
    phone = Phone(context).open()
    phone.sign_in(live.org.email("rep1"))
    the_header_in_each_state(phone)
    shot(phone, "contrast-rep-home-360")
    phone.go("#/me")
    phone.at("me").wait_for()
    assert_readable(contrasts(phone, GREY), [".hint", ".screen h2", "#nav a:not(.on)"])
    shot(phone, "contrast-rep-me-360")
    assert phone.errors == []


def test_a_leads_header_and_hints_reach_aa_contrast_on_a_laptop(live: Live, new_context: Any) -> None:
    phone = Phone(new_context())
    phone.page.set_viewport_size(LAPTOP)
    phone.open()
    phone.sign_in(live.org.email("lead1"))
    the_header_in_each_state(phone)
    phone.go("#/me")
    phone.at("me").wait_for()
    assert_readable(contrasts(phone, GREY), [".hint", ".screen h2", "#nav a:not(.on)"])
    shot(phone, "contrast-lead-me-1280")
    phone.go("#/reports")
    phone.at("reports").wait_for()
    assert_readable(contrasts(phone, [".hint"]), [".hint"])
    shot(phone, "contrast-lead-reports-1280")
    assert phone.errors == []
