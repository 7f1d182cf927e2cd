"""The web decision log in a real browser (headless Chromium) after a demo day: the fleet, a customer, a
clone decision followed to its job and its approval, a filter by reason, and hostile titles shown as text.
The README's screenshot of the customer page is taken here too (`docs/web-customer.png`)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from agent.store import customers, reports
from tests.integration.web.browser import CHROMEDRIVER, CHROMIUM, chromium
from tests.integration.web.hostile import NAME, TITLE, seed_hostile
from tests.integration.web.site import serve_web, web_settings
from tests.support.demo import ACME, ACME_BREAKOUT
from tests.support.demo_day import DEMO_PACE, run_demo_day

SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "web-customer.png"


@pytest.fixture
def browser(tmp_path):
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not os.access(binary, os.X_OK):
            pytest.fail(f"{binary} is missing: scripts/services installs chromium and chromium-driver")
    with chromium(tmp_path / "profile") as driver:
        yield driver


demo_day = pytest.mark.parametrize("settings_overrides", [DEMO_PACE], indirect=True)


@pytest.fixture
def demo_site(services, clock, database_url, ops_url):
    run_demo_day(services, clock)
    with serve_web(ops_url, web_settings(database_url), clock) as base:
        yield base


def cells(row) -> list[str]:
    return [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]


@demo_day
def test_an_ops_person_walks_from_the_fleet_to_a_clone_job_and_its_approval(browser, demo_site, services):
    browser.get(demo_site + "/")
    assert browser.title == "Fleet · growth agent"
    fleet = {
        cells(row)[0]: cells(row) for row in browser.find_elements(By.CSS_SELECTOR, "table.fleet tbody tr")
    }
    with services.db.session() as session:
        assert set(fleet) == set(reports.customer_names(session).values())
    assert "publish_to_learn" in fleet[ACME][2]
    assert "succeeded" in fleet[ACME][2]
    browser.find_element(By.LINK_TEXT, ACME).click()
    assert browser.find_element(By.TAG_NAME, "h1").text == ACME
    rows = {cells(r)[5]: r for r in browser.find_elements(By.CSS_SELECTOR, "table.decisions tbody tr")}
    clone_row = rows[ACME_BREAKOUT]  # columns: #, time, loop, action, reason, subject, outcome
    assert cells(clone_row)[3:5] == ["clone", "breakout"]
    assert cells(clone_row)[6].startswith("clone completed")
    if os.environ.get("UPDATE_SCREENSHOT") or not SCREENSHOT.exists():
        browser.save_screenshot(str(SCREENSHOT))
    clone_row.find_element(By.CSS_SELECTOR, "td a.id").click()
    assert "clone / breakout" in browser.find_element(By.TAG_NAME, "h1").text
    assert "Why: " in browser.find_element(By.CLASS_NAME, "explanation").text
    assert browser.find_element(By.ID, "clone-approval").text == "pending"
    browser.find_element(By.ID, "job-link").click()
    assert browser.find_element(By.ID, "job-status").text.startswith("completed")
    assert browser.find_element(By.ID, "job-approval").text == "pending"
    browser.find_element(By.ID, "decision-link").click()
    assert "clone / breakout" in browser.find_element(By.TAG_NAME, "h1").text
    browser.find_element(By.ID, "lineage-link").click()
    assert browser.find_element(By.CSS_SELECTOR, "table tbody tr td:nth-child(5)").text == "completed"


@demo_day
def test_the_decision_list_filters_by_reason(browser, demo_site):
    browser.get(demo_site + "/decisions")
    box = browser.find_element(By.NAME, "reason")
    box.send_keys("breakout")
    box.submit()
    reasons = {cells(r)[5] for r in browser.find_elements(By.CSS_SELECTOR, "table.decisions tbody tr")}
    assert reasons == {"breakout"}
    assert "reason=breakout" in browser.current_url
    browser.get(demo_site + "/decisions?reason=breakot")
    assert "did you mean breakout" in browser.find_element(By.TAG_NAME, "main").text


def test_hostile_titles_are_shown_as_text(browser, db, database_url, ops_url):
    hostile = seed_hostile(db)
    with serve_web(ops_url, web_settings(database_url), lambda: datetime.now(UTC)) as base:
        for path in (
            f"/decisions/{hostile.clone_decision}",
            f"/customers/{hostile.customer_id}",
            "/proposals",
            "/",
        ):
            browser.get(base + path)
            assert browser.title != "pwned", path  # no script ran
            assert browser.find_elements(By.ID, "bold") == []
            assert browser.find_elements(By.ID, "italic") == []
        browser.get(f"{base}/decisions/{hostile.clone_decision}")
        page = browser.find_element(By.TAG_NAME, "main").text
        assert TITLE in page  # the markup itself, shown as text
        browser.get(base + "/")
        assert NAME in browser.find_element(By.TAG_NAME, "main").text
    with db.session() as session:
        assert customers.find(session, ref=NAME).id == hostile.customer_id
