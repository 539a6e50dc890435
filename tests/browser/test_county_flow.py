"""The county organization department's main flow in a real browser: log in, open the cadre list, filter it,
open a cadre and read the posting history.

Headless Chromium (/usr/bin/chromium) through Playwright's sync API against pytest-django's live server. A
screenshot of each step is left in test-artifacts/ (gitignored) for a human to look at.
"""
import re

import pytest

from tests.factories import PASSWORD

from .conftest import ARTIFACTS

# Transactional: the live server thread must see the fixture rows. serialized_rollback restores the rows
# that migrations seed (village categories) for any transactional test that runs after this one.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]



def row_names(page) -> list[str]:
    """The names in the first column of the cadre table (empty when it shows the 'no rows' line)."""
    return [text.strip() for text in page.locator("#cadre-table tbody tr td:first-child a").all_inner_texts()]


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"county_flow_{name}.png"), full_page=True)


def test_it_lets_the_county_find_a_cadre_and_read_the_posting_history(transactional_db, live_server, users, org, page):
    from playwright.sync_api import expect

    # Log in through the form, as a person would.
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "t_county")
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator("h1")).to_contain_text("t_county")

    # The cadre list of county A: four cadres, never 刘洋 of county B, ID numbers masked.
    page.goto(f"{live_server.url}/cadres/")
    assert row_names(page) == ["张伟", "李娜", "王强", "陈静"]
    table = page.locator("#cadre-table").inner_text()
    assert "刘洋" not in table
    assert org.c_a1_mem.id_number not in table
    assert org.c_a1_mem.masked_id_number in table

    # Filter by township through the filter form.
    filters = page.locator("form.filters")
    filters.locator("select[name=region]").select_option(label="城关镇")
    filters.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/cadres/\?.*region=\d+.*"))
    assert row_names(page) == ["张伟", "李娜"]

    # Then by name text, on top of the township.
    filters = page.locator("form.filters")
    filters.locator("input[name=q]").fill("李娜")
    filters.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*q=.*"))
    assert row_names(page) == ["李娜"]
    assert "杨家坪村" in page.locator("#cadre-table tbody tr").first.inner_text()
    shot(page, "1_filtered_list")

    # Open the cadre: the detail page shows the posting history.
    page.locator("#cadre-table tbody").get_by_role("link", name="李娜").click()
    page.wait_for_url(f"{live_server.url}/cadres/{org.c_a1_mem.pk}/")
    expect(page.locator("h1")).to_contain_text("李娜")
    history = page.locator("#posting-history tbody tr")
    expect(history).to_have_count(1)
    row = history.first.inner_text()
    for expected in ("第二轮", "杨家坪村", "城关镇", "工作队员", "云溪县农业农村局", "2025-03-01", "在岗"):
        assert expected in row
    assert page.locator("#id-number").inner_text() == org.c_a1_mem.masked_id_number
    shot(page, "2_cadre_detail")
