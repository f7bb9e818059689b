"""Lighthouse on every signed-in screen, as a rep, a lead and a manager: `python -m bench.lighthouse_bench`.

Starts `fieldgoal serve` with FIELDGOAL_DEMO=1 on a fresh SQLite file (the demo company: 40 reps, six
months), then for each role and form factor runs bench/lighthouse/flow.mjs: Lighthouse 12's user-flow API
(Lighthouse 13 needs Node 22) in a fresh headless Chromium, which signs in through the form, waits for the
first sync, and audits each screen the role reaches as a navigation step (the app boots signed in from its
stored session, storage kept). Mobile for everyone; lead and manager screens also on the desktop config.
Lighthouse's own settings: simulated throttling (mobile: a mid-range phone on slow 4G; desktop: a fast
connection), its default categories.

Prints, per screen, the median of --runs runs of each category's score (performance, accessibility, best
practices, SEO), the median layout shift and total blocking time (ms), and the audits scored below 0.9 in at
least half the runs.
Target: every score ≥ 95. Needs `npm install` in bench/lighthouse once (its package.json pins lighthouse@12).
Figures are printed, never asserted: benches are not part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

from backend.demo import demo_sign_ins
from bench.sync_bench import server
from tests.e2e.live import CHROMIUM

FLOW = Path(__file__).resolve().parent / "lighthouse" / "flow.mjs"
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
TARGET = 95

# What each role reaches from its tabs and from Me (pwa/js/app.js's ROUTES, FOR_LEADS, FOR_MANAGERS).
REP_SCREENS = ["#/", "#/customers", "#/goals", "#/leaderboard", "#/inbox", "#/me", "#/statement"]
LEAD_SCREENS = [
    "#/",
    "#/customers",
    "#/goals",
    "#/goals/tree",
    "#/leaderboard",
    "#/inbox",
    "#/approvals",
    "#/me",
    "#/reviews",
    "#/plans",
    "#/desk",
    "#/reports",
]
MANAGER_SCREENS = [*LEAD_SCREENS, "#/dimensions", "#/payplans", "#/audit", "#/channels"]
SCREENS = {"rep": REP_SCREENS, "lead": LEAD_SCREENS, "manager": MANAGER_SCREENS}
FORM_FACTORS = {"rep": ["mobile"], "lead": ["mobile", "desktop"], "manager": ["mobile", "desktop"]}


def one_flow(
    base_url: str, email: str, password: str, form_factor: str, screens: list[str]
) -> list[dict[str, Any]]:
    job = {"base": base_url, "email": email, "password": password, "formFactor": form_factor, "screens": screens}
    done = subprocess.run(
        ["node", str(FLOW), json.dumps(job)],
        env=os.environ | {"CHROME_PATH": CHROMIUM},
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-4000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def summary(steps: list[dict[str, Any]]) -> dict[str, Any]:
    """The medians of one screen's runs, and the audits failing in at least half of them."""
    scores = {
        c: statistics.median(s["scores"][c] for s in steps if s["scores"][c] is not None)
        if any(s["scores"][c] is not None for s in steps)
        else None
        for c in CATEGORIES
    }
    counts = Counter(audit for s in steps for audit in s["failing"])
    failing = sorted(audit for audit, n in counts.items() if 2 * n >= len(steps))
    shifts = [s["cls"] for s in steps if s["cls"] is not None]
    blocking = [s["tbt"] for s in steps if s.get("tbt") is not None]
    return {
        "scores": scores,
        "failing": failing,
        "cls": statistics.median(shifts) if shifts else None,
        "tbt": statistics.median(blocking) if blocking else None,
        "runs": [[s["scores"][c] for c in CATEGORIES] for s in steps],
        "tbt_runs": [s.get("tbt") for s in steps],
    }


def write_json(path: Path, results: dict[tuple[str, str, str], list[dict[str, Any]]]) -> None:
    """Every run's figures so far, and their medians (rewritten after each flow, so a cut-short run keeps them)."""
    table = {" ".join(key): summary(steps) for key, steps in results.items()}
    path.write_text(json.dumps(table, indent=1, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each flow (medians reported)")
    parser.add_argument("--roles", default="rep,lead,manager", help="demo roles to sign in as, in order")
    parser.add_argument("--form-factors", default="mobile,desktop", help="mobile, desktop or both")
    parser.add_argument(
        "--screens", default="", help="only these screens (comma-separated hashes, e.g. '#/,#/me')"
    )
    parser.add_argument("--json", type=Path, help="also write every run's figures here")
    args = parser.parse_args()
    if not os.path.exists(CHROMIUM):
        raise SystemExit(f"Chromium is not installed at {CHROMIUM}")
    if not (FLOW.parent / "node_modules" / "lighthouse").exists():
        raise SystemExit(f"Lighthouse is not installed: cd {FLOW.parent} && npm install")
    os.environ["FIELDGOAL_DEMO"] = "1"

    accounts: dict[str, tuple[str, str]] = {}
    for role, email, password in demo_sign_ins():
        accounts.setdefault(role, (email, password))
    only = [s for s in args.screens.split(",") if s]
    wanted = args.form_factors.split(",")
    flows = [
        (role, form_factor, [s for s in SCREENS[role] if not only or s in only])
        for role in args.roles.split(",")
        for form_factor in FORM_FACTORS[role]
        if form_factor in wanted
    ]
    results: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    started = time.perf_counter()
    with server(None) as (base_url, _folder):
        for run in range(args.runs):
            for role, form_factor, screens in flows:
                at = time.perf_counter()
                steps = one_flow(base_url, *accounts[role], form_factor, screens)
                for step in steps:
                    results.setdefault((role, form_factor, step["screen"]), []).append(step)
                print(
                    f"  run {run + 1} {role:8s} {form_factor:7s} {len(steps)} screens"
                    f" in {time.perf_counter() - at:.0f} s",
                    flush=True,
                )
                if args.json:
                    write_json(args.json, results)

    print()
    print(
        f"Fieldgoal signed-in screens in Lighthouse 12 (demo company, headless Chromium, SQLite), "
        f"medians of {args.runs} runs; target ≥ {TARGET} in each category"
    )
    print(
        f"{'role':8s} {'form':7s} {'screen':14s} {'perf':>4s} {'a11y':>4s} {'bp':>4s} {'seo':>4s} {'CLS':>6s}"
        f" {'TBT ms':>6s}  failing"
    )
    below = 0
    for (role, form_factor, screen), steps in results.items():
        row = summary(steps)
        figures = " ".join(f"{'—' if v is None else round(v):>4}" for v in row["scores"].values())
        low = any(v is not None and v < TARGET for v in row["scores"].values())
        below += low
        cls = "—" if row["cls"] is None else f"{row['cls']:.3f}"
        tbt = "—" if row["tbt"] is None else f"{row['tbt']:.0f}"
        print(
            f"{role:8s} {form_factor:7s} {screen:14s} {figures} {cls:>6s} {tbt:>6s}  "
            f"{', '.join(row['failing']) or '—'}{'  ← below target' if low else ''}"
        )
    print(
        f"{below} of {len(results)} screens below {TARGET} in some category; {time.perf_counter() - started:.0f} s in all"
    )
    if args.json:
        write_json(args.json, results)


if __name__ == "__main__":
    main()
