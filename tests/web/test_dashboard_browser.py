"""The dashboard as a person sees it, in a real headless Chromium, against the seeded history.

Sign-in goes through a link from a signed `/remediate dashboard` (the real server, the fake Slack). Every
figure of the overview is computed here again, in plain Python over the seed's records, and compared with
what the browser shows; every number's link opens a list of that many rows; the list's filters, sort and
pages, the CSV, the item and incident pages, XSS attempts, refused links, a phone's viewport and the chart's
text alternative are checked in the browser. Every page is watched for console errors and outside requests
(tests/web/browser.py) and kept as a screenshot.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from storage.models import OutboxMessage
from tests.fakes.signing import SlackDriver
from tests.fakes.slack_api import FakeSlack
from tests.support import INCIDENT_CHANNEL, BotHarness, FakeClock, serving_fake_slack
from tests.web.browser import Watch, watch
from tests.web.seed import (
    MONTH_START,
    NOW,
    WINDOW_END,
    WINDOW_START,
    XSS,
    XSS_IMG,
    XSS_JS_LINK,
    XSS_SCRIPT,
    XSS_SVG,
    SeededItem,
    World,
    seed,
)
from tests.web.support import ask_for_link, dashboard_bot

PRIORITIES = ("P0", "P1", "P2", "P3")
OPEN = ("identified", "planned", "in_progress", "blocked")
DONE = ("completed", "validated")
SETTINGS = {"dashboard_hours_saved": "P0=4h,P1=2h", "dashboard_remediation_cost": 500.0}


@dataclass
class Site:
    bot: BotHarness
    slack: SlackDriver
    world: World
    clock: FakeClock
    fake: FakeSlack

    @property
    def base(self) -> str:
        return self.bot.url + "/dashboard"


@pytest.fixture(scope="module")
def site(tmp_path_factory: Any) -> Iterator[Site]:
    """One seeded bot (SQLite) for the module's read-only tests."""
    with serving_fake_slack() as fake:
        clock = FakeClock(NOW)
        url = f"sqlite:///{tmp_path_factory.mktemp('dashboard') / 'remediate.db'}"
        with dashboard_bot(url, fake, clock, **SETTINGS) as (bot, slack):
            world = seed(bot.deps, clock, fake)
            yield Site(bot, slack, world, clock, fake)


def sign_in(w: Watch, site: Site) -> None:
    link, _ = ask_for_link(site.slack)
    w.page.goto(link)
    assert w.page.url == site.base + "/", w.page.url
    w.page.wait_for_selector("#status-board")


# --- the figures, computed here from the seed's records -----------------------------------------------------


def money(v: float) -> str:
    return f"-${-v:,.0f}" if v < 0 else f"${v:,.0f}"


def percent(hits: int, total: int) -> str:
    return f"{hits / total * 100:.0f}%" if total else "n/a"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    minutes = seconds / 60
    if minutes < 90:
        return f"{minutes:.0f} min"
    if minutes < 60 * 48:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} d"


def is_open(i: SeededItem) -> bool:
    return i.status in OPEN


def board(world: World) -> dict[str, int]:
    now, soon = world.now, world.now + timedelta(hours=24)
    out: dict[str, int] = {}
    for p in (*PRIORITIES, "all"):
        items = [i for i in world.all_items() if p == "all" or i.priority == p]
        out[f"open:{p}"] = sum(is_open(i) for i in items)
        out[f"overdue:{p}"] = sum(is_open(i) and i.deadline < now for i in items)
        out[f"due_soon:{p}"] = sum(is_open(i) and now <= i.deadline < soon for i in items)
        out[f"blocked:{p}"] = sum(i.status == "blocked" for i in items)
        out[f"awaiting:{p}"] = sum(i.status == "completed" for i in items)
    return out


def resolved(world: World) -> list[SeededItem]:
    return [
        i
        for i in world.all_items()
        if i.completed and WINDOW_START <= i.completed < WINDOW_END and i.status in DONE
    ]


def validated_this_month(world: World) -> list[SeededItem]:
    return [i for i in world.all_items() if i.validated and MONTH_START <= i.validated <= world.now]


def rates(world: World) -> dict[str, tuple[int, int]]:
    done = resolved(world)
    p0 = [i for i in done if i.priority == "P0"]
    p1 = [i for i in done if i.priority == "P1"]
    assert done and p0 and p1, "the seed finishes work of every kind in the window"
    return {
        "on_time": (sum(i.completed <= i.deadline for i in done if i.completed), len(done)),
        "p0_within_24h": (
            sum(i.completed - i.created <= timedelta(hours=24) for i in p0 if i.completed),
            len(p0),
        ),
        "p1_within_72h": (
            sum(i.completed - i.created <= timedelta(hours=72) for i in p1 if i.completed),
            len(p1),
        ),
        "prevention": (sum(bool(i.prevention) for i in done), len(done)),
        "recurrence": (sum(i.recurred for i in done), len(done)),
        "validation": (sum(i.status == "validated" for i in done), len(done)),
    }


def incident_times(world: World) -> dict[str, tuple[str, int, str, int]]:
    """Per severity: MTTA, acknowledged, MTTR (from the start of impact, which is the declaration here),
    resolved; of the incidents declared in the window."""
    out = {}
    for sev in PRIORITIES:
        incs = [
            x
            for x in world.incidents.values()
            if x.severity == sev and WINDOW_START <= x.declared < WINDOW_END
        ]
        acks = [(x.acknowledged - x.declared).total_seconds() for x in incs if x.acknowledged]
        fixes = [(x.resolved - x.declared).total_seconds() for x in incs if x.resolved]
        out[sev] = (
            duration(sum(acks) / len(acks) if acks else None),
            len(acks),
            duration(sum(fixes) / len(fixes) if fixes else None),
            len(fixes),
        )
    return out


def figure(w: Watch, name: str) -> str:
    return w.page.locator(f'[data-figure="{name}"]').first.inner_text().strip()


def check_overview(w: Watch, world: World) -> None:
    """Every figure of the overview equals the one computed from the seed."""
    page = w.page
    expected = board(world)
    for name, value in expected.items():
        assert figure(w, name) == str(value), name
    for p in PRIORITIES:  # overdue in red, due within 24 h in amber
        cell = page.locator(f'[data-figure="overdue:{p}"] a')
        assert ("red" in (cell.get_attribute("class") or "")) == (expected[f"overdue:{p}"] > 0), p
        cell = page.locator(f'[data-figure="due_soon:{p}"] a')
        assert ("amber" in (cell.get_attribute("class") or "")) == (expected[f"due_soon:{p}"] > 0), p

    open_items = [i for i in world.all_items() if is_open(i)]
    assert figure(w, "mrr_at_risk") == money(sum(i.mrr or 0 for i in open_items))
    unassessed = sum(i.mrr is None for i in open_items)
    assert f"{unassessed} open item(s) without a figure" in page.locator("#business-impact").inner_text()
    validated = validated_this_month(world)
    assert figure(w, "mrr_protected") == money(sum(i.mrr or 0 for i in validated))
    assert figure(w, "validated_month").startswith(f"{len(validated)} validated since")
    hourly = 730_000 / 730
    saved = {"P0": 4.0, "P1": 2.0}
    value = sum(hourly * saved[i.priority] - 500 for i in validated if i.priority in saved)
    assert figure(w, "business_value") == money(value)

    for name, (hits, total) in rates(world).items():
        cell = page.locator(f'[data-figure="{name}"]')
        assert cell.locator(".rate").inner_text().strip() == percent(hits, total), name
        assert cell.locator(".of").inner_text().strip() == f"({hits} of {total})", name
    assert figure(w, "resolved").startswith(str(len(resolved(world))))

    for sev, (mtta, acked, mttr, fixed) in incident_times(world).items():
        assert figure(w, f"mtta:{sev}") == f"{mtta} ({acked} acknowledged)", sev
        assert figure(w, f"mttr:{sev}") == f"{mttr} ({fixed} resolved)", sev
    open_incidents = [x for x in world.incidents.values() if not x.resolved]
    rows = page.locator("#incidents table").first.locator("tbody tr")
    assert rows.count() == len(open_incidents)


def test_the_overview_shows_the_seeded_figures(browser_page: Watch, site: Site) -> None:
    sign_in(browser_page, site)
    check_overview(browser_page, site.world)
    assert any(r.endswith("/dashboard/static/dashboard.css") for r in browser_page.requests)
    browser_page.shot("overview")


@pytest.mark.postgres
def test_the_overview_shows_the_seeded_figures_on_postgres(browser_page: Watch, postgres_url: str) -> None:
    with serving_fake_slack() as fake:
        clock = FakeClock(NOW)
        with dashboard_bot(postgres_url, fake, clock, **SETTINGS) as (bot, slack):
            world = seed(bot.deps, clock, fake)
            site = Site(bot, slack, world, clock, fake)
            sign_in(browser_page, site)
            check_overview(browser_page, world)
            browser_page.shot("overview-postgres")


def _total(w: Watch) -> int:
    return int(w.page.locator("#total").get_attribute("data-total") or "-1")


def test_every_number_links_to_the_list_behind_it(browser_page: Watch, site: Site) -> None:
    w = browser_page
    sign_in(w, site)
    links = w.page.eval_on_selector_all(
        "main a.num",
        """els => els.map(a => ({href: a.href, text: a.innerText.trim(),
            figure: (a.closest('[data-figure]') || {dataset: {}}).dataset.figure || ''}))""",
    )
    assert len(links) > 40
    open_count = board(site.world)["open:all"]
    checked = 0
    for link in links:
        assert link["href"].startswith(site.base + "/items?"), link
        w.page.goto(link["href"])
        total = _total(w)
        text = link["text"]
        if link["figure"] in ("mrr_at_risk", "users_affected", "availability"):
            assert total == open_count, link  # figures of the open items: their list
        elif re.fullmatch(r"\d+", text):
            assert total == int(text), link
        elif m := re.search(r"\((\d+) of (\d+)\)", text):
            assert total == int(m.group(2)), link  # a rate's list holds its denominator
        elif link["figure"] in ("mrr_protected", "business_value"):
            assert total == len(validated_this_month(site.world)), link
        else:
            continue
        assert w.page.locator("#items tbody tr").count() == min(total, 50) or total == 0
        checked += 1
    assert checked == len(links)


# --- the item list ------------------------------------------------------------------------------------------


def _ids(w: Watch) -> list[str]:
    return w.page.eval_on_selector_all("#items tbody tr td:first-child a", "els => els.map(a => a.innerText)")


def _by_deadline(items: list[SeededItem]) -> list[str]:
    return [i.id for i in sorted(items, key=lambda i: (i.deadline, i.id))]


def _apply(w: Watch, **fields: Any) -> None:
    page = w.page
    page.goto(page.url.split("?")[0])
    for name, value in fields.items():
        if name == "overdue":
            page.check("input[name=overdue]")
        elif name in ("priority", "status", "incident", "date"):
            page.select_option(f"select[name={name}]", value=value)
        elif name == "owner":
            page.select_option("select[name=owner]", label=value)
        else:
            page.fill(f"input[name={name}]", value)
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")


def _csv(w: Watch) -> list[dict[str, str]]:
    href = w.page.locator("#csv").get_attribute("href")
    assert href
    answer = w.page.request.get(site_origin(w) + href)
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(answer.text())))


def site_origin(w: Watch) -> str:
    return re.match(r"https?://[^/]+", w.page.url).group(0)  # type: ignore[union-attr]


def _stamp(v: datetime | None) -> str:
    return v.astimezone(UTC).isoformat().replace("+00:00", "Z") if v else ""


def expected_csv(items: list[SeededItem]) -> list[dict[str, str]]:
    return [
        {
            "id": i.id,
            "title": i.title,
            "priority": i.priority,
            "status": i.status,
            "owner": i.owner or "",
            "deadline": _stamp(i.deadline),
            "created": _stamp(i.created),
            "completed": _stamp(i.completed),
            "validated": _stamp(i.validated),
            "incident": i.incident or "",
            "systems": "; ".join(i.systems),
            "mrr_at_risk": "" if i.mrr is None else f"{i.mrr:.2f}",
        }
        for i in sorted(items, key=lambda i: (i.deadline, i.id))
    ]


FILTERS: list[tuple[str, dict[str, Any], Callable[[SeededItem], bool]]] = [
    ("priority", {"priority": "P1"}, lambda i: i.priority == "P1"),
    ("status", {"status": "blocked"}, lambda i: i.status == "blocked"),
    ("open", {"status": "open"}, lambda i: i.status in OPEN),
    ("owner", {"owner": "Dave"}, lambda i: i.owner == "UDAVE"),
    ("nobody", {"owner": "nobody"}, lambda i: i.owner is None),
    ("overdue", {"overdue": True}, lambda i: i.status in OPEN and i.deadline < NOW),
    (
        "created-range",
        {"date": "created", "from": "2026-11-01", "to": "2026-11-15"},
        lambda i: datetime(2026, 11, 1, tzinfo=UTC) <= i.created < datetime(2026, 11, 16, tzinfo=UTC),
    ),
    (
        "combined",
        {"priority": "P3", "owner": "Alice", "overdue": True},
        lambda i: i.priority == "P3" and i.owner == "UALICE" and i.status in OPEN and i.deadline < NOW,
    ),
    ("system", {"system": "billing"}, lambda i: "billing" in i.systems),
]


def test_filters_sort_pages_and_the_csv_agree(browser_page: Watch, site: Site) -> None:
    w = browser_page
    sign_in(w, site)
    with w.page.expect_navigation():
        w.page.click("header nav >> text=Items")
    every = site.world.all_items()
    assert _total(w) == len(every) > 50
    first = _ids(w)
    assert first == _by_deadline(every)[:50]
    assert w.page.locator("nav.pages").inner_text().count("Page 1 of 2") == 1
    w.shot("items")
    with w.page.expect_navigation():
        w.page.click("a[rel=next]")
    assert _ids(w) == _by_deadline(every)[50:]
    assert set(first) | set(_ids(w)) == {i.id for i in every}
    assert _csv(w) == expected_csv(every), "the CSV holds every page"

    for name, fields, keep in FILTERS:
        _apply(w, **fields)
        wanted = [i for i in every if keep(i)]
        assert wanted, name
        assert _total(w) == len(wanted), name
        assert _ids(w) == _by_deadline(wanted)[:50], name
        assert _csv(w) == expected_csv(wanted), name
    w.shot("items-filtered")

    # Sort by priority (then id), and the other way round.
    w.page.goto(site.base + "/items")
    with w.page.expect_navigation():
        w.page.click("#items thead a:text('Priority')")
    rank = {p: n for n, p in enumerate(PRIORITIES)}
    ascending = [i.id for i in sorted(every, key=lambda i: (rank[i.priority], i.id))]
    assert _ids(w) == ascending[:50]
    assert w.page.locator("th[aria-sort=ascending]").inner_text().startswith("Priority")
    with w.page.expect_navigation():
        w.page.click("#items thead a:text('Priority')")
    descending = [i.id for i in sorted(every, key=lambda i: (rank[i.priority], i.id), reverse=True)]
    assert _ids(w) == descending[:50]
    assert [r["id"] for r in _csv(w)] == descending

    # A bad filter lists nothing and says why (a 400, which Chromium logs).
    w.allow_console("400")
    w.page.goto(site.base + "/items?priority=P9&from=yesterday")
    assert _total(w) == 0
    alert = w.page.locator("[role=alert]").inner_text()
    assert "P9" in alert and "yesterday" in alert


# --- one item, one incident ---------------------------------------------------------------------------------


def _time_shown(w: Watch, label: str) -> tuple[str, str]:
    """The text (reader's zone) and title (UTC) of the time in the field labelled `label`."""
    node = w.page.locator(f"dl.fields dt:text-is('{label}') + dd time")
    return node.inner_text(), node.get_attribute("title") or ""


def test_the_item_page_shows_every_field(browser_page: Watch, site: Site) -> None:
    w = browser_page
    sign_in(w, site)
    item = site.world.items["v1"]
    w.page.goto(f"{site.base}/items/{item.id}")
    text = w.page.locator("main").inner_text()
    for expected in (item.id, item.title, "Validated", "Alice", "Carol", "Admin", money(item.mrr or 0)):
        assert expected in text, expected
    for c in item.criteria:
        assert w.page.locator("ul.criteria li.done", has_text=c).count() == 1, c
    for p in item.prevention:
        assert w.page.locator("ul.prevention li", has_text=p).count() == 1
    evidence = w.page.locator("ul.evidence li")
    assert evidence.count() == len(item.evidence)
    for _kind, ref, note in item.evidence:
        assert evidence.filter(has_text=ref).filter(has_text=note or "").count() == 1, ref
    incident = site.world.incidents["i2"]
    assert w.page.locator(f"a[href='/dashboard/incidents/{incident.id}']").count() == 1

    # Times: the reader's zone (Asia/Tokyo, UTC+9) on the page, UTC in the title.
    for label, when in (
        ("Created", item.created),
        ("Completed", item.completed),
        ("Validated", item.validated),
    ):
        assert when is not None
        shown, title = _time_shown(w, label)
        assert title == when.strftime("%Y-%m-%d %H:%M UTC"), label
        local = when + timedelta(hours=9)
        assert local.strftime("%H:%M") in shown and str(local.day) in shown and "UTC" not in shown, (
            label,
            shown,
        )
    timeline = w.page.locator("#timeline li")
    kinds = timeline.locator(".kind").all_inner_texts()
    for kind in ("created", "evidence", "status", "checklist", "validated"):
        assert kind in kinds, kinds
    first_at = timeline.first.locator("time")
    assert first_at.get_attribute("title") == item.created.strftime("%Y-%m-%d %H:%M UTC")
    w.shot("item")

    blocked = site.world.items["a3"]
    w.page.goto(f"{site.base}/items/{blocked.id}")
    status = w.page.locator("dl.fields dt:text-is('Status') + dd").inner_text()
    assert "Blocked" in status and (blocked.reason or "") in status
    overdue = site.world.items["a1"]
    w.page.goto(f"{site.base}/items/{overdue.id}")
    assert "overdue" in w.page.locator("dl.fields dt:text-is('Status') + dd").inner_text()
    assert w.page.locator("a.tag").all_inner_texts() == list(overdue.systems)
    assert "404" not in w.page.title()
    w.page.goto(f"{site.base}/items/P0-20990101-001")
    assert "There is nothing by that id." in w.page.locator("main").inner_text()
    w.allow_console("404")


def test_the_incident_page_shows_every_field(browser_page: Watch, site: Site) -> None:
    w = browser_page
    sign_in(w, site)
    inc = site.world.incidents["i2"]
    w.page.goto(f"{site.base}/incidents/{inc.id}")
    text = w.page.locator("main").inner_text()
    for expected in (inc.id, inc.title, "resolved", "Bob", "Dave", "Rolled back"):
        assert expected in text, expected
    for label, when in (
        ("Declared", inc.declared),
        ("Acknowledged", inc.acknowledged),
        ("Resolved", inc.resolved),
    ):
        assert when is not None
        shown, title = _time_shown(w, label)
        assert title == when.strftime("%Y-%m-%d %H:%M UTC"), label
        assert (when + timedelta(hours=9)).strftime("%H:%M") in shown, (label, shown)
    linked = [i for i in site.world.all_items() if i.incident == inc.id]
    assert w.page.locator("#h-items + p + ul.linked li").count() == len(linked)
    kinds = w.page.locator("#timeline .kind").all_inner_texts()
    assert "declared" in kinds and "acknowledged" in kinds and "resolved" in kinds
    w.shot("incident")
    with w.page.expect_navigation():
        w.page.click(f"a[href='/dashboard/items?incident={inc.id}']")
    assert _total(w) == len(linked)


# --- hostile text, refused links, the phone, the chart ------------------------------------------------------


def _inert(w: Watch, name: str) -> None:
    page = w.page
    assert page.evaluate("typeof window.__xss") == "undefined", name
    scripts = page.eval_on_selector_all("script", "els => els.map(s => s.src)")
    assert scripts == [f"{site_origin(w)}/dashboard/static/localtime.js"], (name, scripts)
    assert page.locator("[onerror], [onload], [onclick]").count() == 0, name
    assert page.locator("a[href^='javascript:' i]").count() == 0, name
    assert page.locator("img").count() == 0, name
    assert page.locator("svg").count() == page.locator("svg.line-chart").count(), name


def test_xss_attempts_are_inert_text_on_every_page(browser_page: Watch, site: Site) -> None:
    w = browser_page
    sign_in(w, site)
    world = site.world
    pages = {
        "overview": ("/", (XSS_SVG,)),  # Mallory's name among the owners, the open incident list
        "items": ("/items?sort=priority", (XSS_SCRIPT,)),
        "items-mallory": ("/items?owner=UMALLORY", (XSS_SVG,)),
        "item-a1": (f"/items/{world.items['a1'].id}", (XSS_SCRIPT, XSS_IMG, XSS_JS_LINK)),
        "item-a3": (f"/items/{world.items['a3'].id}", (XSS_IMG, XSS_SVG)),
        "item-v1": (f"/items/{world.items['v1'].id}", (XSS_JS_LINK, XSS_SVG)),
        "incident-i2": (f"/incidents/{world.incidents['i2'].id}", (XSS_SVG,)),
        "incident-i1": (f"/incidents/{world.incidents['i1'].id}", (XSS_SCRIPT,)),
    }
    for name, (path, shown) in pages.items():
        w.page.goto(site.base + path)
        _inert(w, name)
        text = w.page.locator("main").inner_text()
        for payload in shown:
            assert payload in text, (name, payload)
        w.shot(f"xss-{name}")
    assert set(XSS) <= {p for _, shown in pages.values() for p in shown}
    assert not w.dialogs


def test_expired_reused_and_missing_links_are_refused(chromium: Any, site: Site) -> None:
    for case in ("reused", "expired", "missing", "no-session"):
        context = chromium.new_context()
        w = watch(context, f"refused-{case}")
        w.allow_console("401")
        try:
            page = w.page
            if case == "reused":
                link, _ = ask_for_link(site.slack)
                page.goto(link)
                assert page.url == site.base + "/"
                answer = page.goto(link)
                expected = "already used"
            elif case == "expired":
                link, _ = ask_for_link(site.slack)
                site.clock.advance(minutes=15, seconds=1)
                try:
                    answer = page.goto(link)
                finally:
                    site.clock.set(NOW)
                expected = "expired"
            elif case == "missing":
                answer = page.goto(site.base + "/sign-in")
                expected = "no link token"
            else:
                answer = page.goto(site.base + "/items")
                expected = "Sign in to the dashboard"
            assert answer is not None and answer.status == 401, case
            text = page.locator("main").inner_text()
            assert expected in text and "/remediate dashboard" in text, (case, text)
            if case != "reused":
                assert not [c for c in context.cookies() if c["name"] == "remediate_dashboard"], case
                assert page.goto(site.base + "/").status == 401, case
            w.shot(case)
        finally:
            context.close()
        assert not w.problems(), w.problems()


def test_the_overview_fits_a_phone(chromium: Any, site: Site) -> None:
    context = chromium.new_context(
        viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    w = watch(context, "phone")
    try:
        sign_in(w, site)
        for path in ("/", "/items", f"/items/{site.world.items['a1'].id}"):
            w.page.goto(site.base + path)
            overflow = w.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, overflow)
        w.page.goto(site.base + "/")
        assert w.page.locator("#status-board a.num").first.is_visible()
        w.shot("overview-phone")
    finally:
        context.close()
    assert not w.problems(), w.problems()


def test_charts_carry_text_alternatives(browser_page: Watch, site: Site) -> None:
    w = browser_page
    sign_in(w, site)
    charts = w.page.locator("svg")
    assert charts.count() >= 1
    for n in range(charts.count()):
        svg = charts.nth(n)
        assert svg.get_attribute("role") == "img"
        ids = (svg.get_attribute("aria-labelledby") or "").split()
        assert ids, "every chart is labelled"
        for ident in ids:
            # SVG's own <title>/<desc> label it (not HTML elements: their text, not innerText)
            assert (w.page.locator(f"#{ident}").text_content() or "").strip()
        assert svg.locator("title").first.text_content()
    label = w.page.evaluate(
        "() => { const s = document.querySelector('svg.line-chart');"
        " return s.getAttribute('aria-labelledby').split(' ')"
        ".map(i => document.getElementById(i).textContent)"
        ".join(' '); }"
    )
    assert "resolution time" in label.lower() and "eight weeks" in label
    rows = w.page.locator("#trend-table tbody tr")
    assert rows.count() == 8, "the chart's figures as a table"
    w.page.emulate_media(media="print")
    assert not w.page.locator(".sign-out").is_visible()
    assert w.page.locator("svg.line-chart").is_visible()


# --- Slack links to it --------------------------------------------------------------------------------------


def test_the_item_card_in_slack_opens_the_item_in_the_dashboard(browser_page: Watch, site: Site) -> None:
    w = browser_page
    sign_in(w, site)
    item = site.world.items["a1"]
    reply = site.slack.command("/remediate", f"show {item.id}", user="UALICE")
    assert reply.status == 200, reply.text
    head = reply.json()["blocks"][0]["text"]["text"]
    found = re.search(r"<(https?://[^|>]+)\|Open in dashboard>", head)
    assert found, head
    assert found.group(1) == f"{site.base}/items/{item.id}"
    w.page.goto(found.group(1))
    assert w.page.locator("main h1 .id").inner_text().strip() == item.id
    assert item.title in w.page.locator("main").inner_text()


def test_the_digest_and_the_weekly_report_open_the_dashboard(browser_page: Watch, site: Site) -> None:
    """What the jobs queue for the channel (delivery is paced per channel on the test's clock)."""
    w = browser_page
    sign_in(w, site)
    for job, title in (("digest", "Remediation Status"), ("weekly-report", "Weekly Remediation Report")):
        result = site.bot.run_job(job, at=NOW)
        assert result.outbox_ids, (job, result.summary)
        with site.bot.uow() as session:
            queued = [session.get(OutboxMessage, n) for n in result.outbox_ids]
        posts = [
            m.payload
            for m in queued
            if m is not None and m.method == "chat.postMessage" and title in json.dumps(m.payload)
        ]
        assert len(posts) == 1, (job, [m.method for m in queued if m])
        assert posts[0]["channel"] == INCIDENT_CHANNEL
        links = re.findall(r"<(https?://[^|>]+)\|Open in dashboard>", json.dumps(posts[0]["blocks"]))
        assert links == [site.base + "/"], (job, links)
        w.page.goto(links[0])
        w.page.wait_for_selector("#status-board")
        check_overview(w, site.world)
    site.clock.set(NOW)
