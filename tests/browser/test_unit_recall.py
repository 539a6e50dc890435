"""A dispatching unit's recall in a real browser: the unit (`t_unit`, 市财政局) cannot end its cadre's posting
(no edit control; the edit URL answers 403 to GET and to a well-formed POST) but proposes a recall through the
form; 市财政局 is a city-level unit, so the city organization department approves it and the posting ends as
recalled, with the replacement deadline shown.

Headless Chromium (/usr/bin/chromium) through Playwright's sync API against pytest-django's live server;
screenshots go to test-artifacts/.
"""
import datetime
import re

import pytest

from cadres.models import PostingStatus, Recall, RecallStatus
from tests.factories import PASSWORD

from .conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]



def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"unit_recall_{name}.png"), full_page=True)


def login(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{base}/")


def test_it_lets_a_unit_propose_a_recall_but_not_end_the_posting(transactional_db, live_server, users, org, page):
    from playwright.sync_api import expect

    base = live_server.url
    posting = org.p_a1_sec  # 张伟, first secretary of 杨家坪村, sent by 市财政局
    edit_url = f"{base}/postings/{posting.pk}/edit/"
    login(page, base, "t_unit")

    # The posting page offers no edit or end control to the unit.
    page.goto(f"{base}/postings/{posting.pk}/")
    expect(page.locator("h1")).to_contain_text("张伟")
    assert page.locator(f"a[href='/postings/{posting.pk}/edit/']").count() == 0
    assert page.get_by_role("link", name="编辑").count() == 0

    # Typing the edit URL, or posting a well-formed form to it, is refused (403, not a CSRF failure).
    response = page.goto(edit_url)
    assert response.status == 403
    expect(page.locator("h1")).to_contain_text("无权操作")
    page.goto(f"{base}/cadres/{org.c_a1_sec.pk}/")
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    response = page.request.post(edit_url, form={
        "csrfmiddlewaretoken": token, "cadre": str(org.c_a1_sec.pk), "village": str(org.v_a1a.pk),
        "round": str(org.round.pk), "role": "first_secretary", "status": "recalled", "start_date": "2025-03-01",
        "end_date": "2026-11-01",
    }, headers={"Referer": edit_url})
    assert response.status == 403 and "无权操作" in response.text()
    posting.refresh_from_db()
    assert (posting.status, posting.end_date) == (PostingStatus.IN_POST, None)

    # From the cadre page, the unit proposes a recall through the form.
    page.get_by_role("link", name="提出召回").click()
    page.wait_for_url(re.compile(rf".*/postings/{posting.pk}/recall/$"))
    expect(page.locator(".notice")).to_contain_text("青山市委组织部审批")
    page.select_option("#id_reason", label="身体原因")
    page.fill("#id_note", "该同志需住院手术,无法坚持驻村。")
    page.fill("#id_recall_date", "2026-11-30")
    shot(page, "1_propose_form")
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/recalls/\d+/$"))
    expect(page.locator("h1")).to_contain_text("待审批")
    expect(page.locator("#recall-facts")).to_contain_text("市财政局")
    assert page.locator("#decide-form").count() == 0
    shot(page, "2_proposed")
    recall = Recall.objects.get()
    assert (recall.status, recall.proposer_body, recall.decider_region_id) == (
        RecallStatus.PROPOSED, "市财政局", org.city.pk)

    # The county sees it but does not decide it (a city-level unit's cadre).
    login(page, base, "t_county")
    page.goto(f"{base}/recalls/{recall.pk}/")
    expect(page.locator("h1")).to_contain_text("待审批")
    assert page.locator("#decide-form").count() == 0

    # The city organization department approves it from its queue.
    login(page, base, "t_city")
    page.goto(f"{base}/recalls/")
    expect(page.locator("#recall-queue")).to_contain_text("张伟")
    page.locator("#recall-queue").get_by_role("link", name="审批").click()
    page.wait_for_url(f"{base}/recalls/{recall.pk}/")
    page.locator("#decide-form input[value=approve]").check()
    page.fill("#id_recall_date", "2026-11-30")
    page.fill("#id_comment", "同意召回,请市财政局30日内选派替补。")
    page.locator("#decide-form button[type=submit]").click()
    page.wait_for_url(f"{base}/recalls/{recall.pk}/")
    expect(page.locator(".messages")).to_contain_text("2026-12-30")
    expect(page.locator("h1")).to_contain_text("已批准")
    expect(page.locator("#recall-facts")).to_contain_text("已召回")
    shot(page, "3_approved")

    posting.refresh_from_db()
    recall.refresh_from_db()
    assert (posting.status, posting.end_date) == (PostingStatus.RECALLED, datetime.date(2026, 11, 30))
    assert recall.replacement_due == datetime.date(2026, 12, 30)

    # Back as the unit: the recall is approved and the replacement it owes is listed with its deadline.
    login(page, base, "t_unit")
    page.goto(f"{base}/units/{org.unit_city.pk}/")
    expect(page.locator("#replacements-due")).to_contain_text("2026-12-30")
