"""Recall and replacement (召回替补): who proposes, who decides, what approval does to the posting, the
replacement deadline from policy, overdue replacements, and the pages (with an outsider test for each).

Fixture facts (tests/factories.py): 张伟 is sent by 市财政局 (a city-level unit) to 杨家坪村 (county A), so the
city decides his recall; 李娜 is sent by 云溪县农业农村局 (county A) to the same village, so county A decides
hers; 刘洋 serves in county B. All postings start 2025-03-01. `t_unit` is 市财政局's contact; `t_unit_b` is
石门县教育局's. "Today" is pinned to 2026-11-22 unless a test says otherwise.
"""
import datetime
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from attendance.models import Notification
from cadres import selectors
from cadres.models import AuditEntry, Posting, PostingStatus, Recall, RecallStatus
from cadres.services import recall_decide, recall_propose
from tests import factories as f
from villages.models import Policy

D = datetime.date
TODAY = D(2026, 11, 22)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


def propose(actor, posting, **kw):
    kw.setdefault("reason", "discipline")
    kw.setdefault("note", "多次无故离村。")
    return recall_propose(actor=actor, posting=posting, **kw)


def get_as(client, user, url):
    client.force_login(user)
    return client.get(url)


def post_as(client, user, url, data=None):
    client.force_login(user)
    return client.post(url, data or {})


# --- proposing -----------------------------------------------------------------------------------------------


def test_it_sends_a_county_units_recall_to_the_county(users, org):
    recall = propose(users.county, org.p_a1_mem, recall_date=D(2026, 12, 1), ip="10.0.0.9")

    assert (recall.status, recall.decider_region, recall.decider_level) == (RecallStatus.PROPOSED, org.county_a, 3)
    assert (recall.proposed_by, recall.proposer_body) == (users.county, "云溪县委组织部")
    assert recall.recall_date == D(2026, 12, 1)
    entry = AuditEntry.objects.get(action="recall.propose")
    assert (entry.object_id, entry.region_code, entry.ip) == (str(recall.pk), org.v_a1a.code, "10.0.0.9")
    assert entry.detail["automatic"] is False
    # the deciding body hears of it; nobody else
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["t_county"]


def test_it_sends_a_city_units_recall_to_the_city(users, org):
    recall = propose(users.unit, org.p_a1_sec)

    assert (recall.decider_region, recall.decider_level) == (org.city, 2)
    assert (recall.proposed_by, recall.proposer_body) == (users.unit, "市财政局")
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["t_city"]


def test_it_lets_the_county_and_the_city_propose_but_not_the_township_or_the_cadre(users, org):
    assert selectors.recall_can_propose(user=users.county, posting=org.p_a1_mem)
    assert selectors.recall_can_propose(user=users.city, posting=org.p_a1_mem)
    for user in (users.township, users.cadre):
        assert not selectors.recall_can_propose(user=user, posting=org.p_a1_mem)
        with pytest.raises(PermissionDenied):
            propose(user, org.p_a1_mem)
    assert not Recall.objects.exists()


def test_it_refuses_a_unit_proposing_for_another_units_cadre(users, org):
    # 李娜 is 云溪县农业农村局's cadre: 市财政局 cannot even see her posting.
    with pytest.raises(PermissionDenied):
        propose(users.unit, org.p_a1_mem)
    with pytest.raises(PermissionDenied):
        propose(users.unit_b, org.p_a1_sec)
    assert not Recall.objects.exists()


def test_it_refuses_outsiders(users, org):
    for user in (users.county_b, users.township_b, users.cadre_b):
        with pytest.raises(PermissionDenied):
            propose(user, org.p_a1_mem)


def test_it_refuses_a_second_pending_proposal(users, org):
    propose(users.unit, org.p_a1_sec)
    with pytest.raises(ValidationError) as exc:
        propose(users.city, org.p_a1_sec, reason="health")
    assert exc.value.messages == ["该派驻已有待审批的召回申请(2026-11-22由市财政局提出),不能重复提出。"]
    assert Recall.objects.count() == 1


def test_it_returns_the_pending_proposal_to_an_automatic_call(users, org):
    first = recall_propose(actor=None, posting=org.p_a1_mem, reason="inspection_absence", note="督查发现缺勤3次。")
    again = recall_propose(actor=None, posting=org.p_a1_mem, reason="inspection_absence", note="督查发现缺勤4次。")

    assert again.pk == first.pk
    assert Recall.objects.count() == 1
    assert (first.proposed_by, first.proposer_body) == (None, "系统(督查结果自动提出)")
    assert AuditEntry.objects.filter(action="recall.propose").count() == 1


def test_it_leaves_an_ended_posting_alone_on_an_automatic_call(users, org):
    Posting.objects.filter(pk=org.p_a1_mem.pk).update(status=PostingStatus.COMPLETED, end_date=D(2026, 2, 28))
    assert recall_propose(actor=None, posting=org.p_a1_mem, reason="inspection_absence", note="") is None
    with pytest.raises(ValidationError) as exc:
        propose(users.county, org.p_a1_mem)
    assert exc.value.messages == ["该派驻记录已结束(期满),不能再提出召回。"]


def test_it_requires_a_note_for_other_reasons(users, org):
    with pytest.raises(ValidationError) as exc:
        propose(users.county, org.p_a1_mem, reason="other", note="  ")
    assert exc.value.message_dict == {"note": ["召回原因为“其他”时,请填写情况说明。"]}


def test_it_accepts_a_recall_date_on_the_first_day_in_post_but_not_before(users, org):
    with pytest.raises(ValidationError) as exc:
        propose(users.county, org.p_a1_mem, recall_date=D(2025, 2, 28))
    assert exc.value.message_dict == {"recall_date": ["召回日期不能早于到岗日期(2025-03-01)。"]}
    assert propose(users.county, org.p_a1_mem, recall_date=D(2025, 3, 1)).recall_date == D(2025, 3, 1)


# --- deciding ------------------------------------------------------------------------------------------------


def test_it_ends_the_posting_as_recalled_on_approval(users, org):
    recall = propose(users.county, org.p_a1_mem)
    recall = recall_decide(actor=users.county, recall_id=recall.pk, approve=True, comment="同意。", ip="10.0.0.1",
                           recall_date=D(2026, 3, 31))

    assert (recall.status, recall.decided_by, recall.decision_comment) == (RecallStatus.APPROVED, users.county, "同意。")
    # replacement deadline = 2026-03-31 + 30 days (default policy) = 2026-04-30
    assert (recall.recall_date, recall.replacement_due) == (D(2026, 3, 31), D(2026, 4, 30))
    org.p_a1_mem.refresh_from_db()
    assert (org.p_a1_mem.status, org.p_a1_mem.end_date) == (PostingStatus.RECALLED, D(2026, 3, 31))
    assert list(AuditEntry.objects.filter(action__in=["recall.approve", "posting.recall"])
                .order_by("pk").values_list("action", "object_id")) == [
        ("recall.approve", str(recall.pk)), ("posting.recall", str(org.p_a1_mem.pk))]


def test_it_takes_the_deadline_from_the_policy(users, org):
    Policy.objects.create(region=org.county_a, replacement_deadline_days=45)
    recall = propose(users.county, org.p_a1_mem)
    recall = recall_decide(actor=users.county, recall_id=recall.pk, approve=True, comment="", ip=None,
                           recall_date=D(2026, 3, 31))
    assert recall.replacement_due == D(2026, 5, 15)  # 31 March + 45 days


def test_it_uses_the_proposed_date_then_today_when_none_is_given(users, org):
    a = propose(users.county, org.p_a1_mem, recall_date=D(2026, 10, 31))
    assert recall_decide(actor=users.county, recall_id=a.pk, approve=True, comment="", ip=None).recall_date == D(
        2026, 10, 31)
    b = propose(users.county, org.p_a2_sec)
    b = recall_decide(actor=users.county, recall_id=b.pk, approve=True, comment="", ip=None)
    assert (b.recall_date, b.replacement_due) == (TODAY, D(2026, 12, 22))


def test_it_lets_only_the_deciding_body_decide(users, org):
    county_recall = propose(users.county, org.p_a1_mem)
    city_recall = propose(users.unit, org.p_a1_sec)
    for user in (users.city, users.county_b, users.township, users.unit, users.admin):
        with pytest.raises(PermissionDenied):
            recall_decide(actor=user, recall_id=county_recall.pk, approve=True, comment="", ip=None)
    with pytest.raises(PermissionDenied) as exc:
        recall_decide(actor=users.county, recall_id=city_recall.pk, approve=True, comment="", ip=None)
    assert str(exc.value) == "该召回由青山市委组织部审批。"
    assert set(Recall.objects.values_list("status", flat=True)) == {RecallStatus.PROPOSED}


def test_it_refuses_to_decide_twice(users, org):
    recall = propose(users.county, org.p_a1_mem)
    recall_decide(actor=users.county, recall_id=recall.pk, approve=True, comment="", ip=None)
    with pytest.raises(ValidationError) as exc:
        recall_decide(actor=users.county, recall_id=recall.pk, approve=False, comment="撤回", ip=None)
    assert exc.value.messages == ["该召回申请已被处理,请刷新页面。"]
    assert Recall.objects.get().status == RecallStatus.APPROVED


def test_it_rejects_only_with_a_reason_and_keeps_the_posting(users, org):
    recall = propose(users.county, org.p_a1_mem)
    with pytest.raises(ValidationError) as exc:
        recall_decide(actor=users.county, recall_id=recall.pk, approve=False, comment=" ", ip=None)
    assert exc.value.message_dict == {"comment": ["驳回时请填写理由。"]}
    recall = recall_decide(actor=users.county, recall_id=recall.pk, approve=False, comment="情况已核实,不予召回。",
                           ip=None)
    assert recall.status == RecallStatus.REJECTED
    org.p_a1_mem.refresh_from_db()
    assert (org.p_a1_mem.status, org.p_a1_mem.end_date) == (PostingStatus.IN_POST, None)
    # after a rejection a new proposal may be made
    assert propose(users.county, org.p_a1_mem).status == RecallStatus.PROPOSED


def test_it_keeps_the_recall_pending_when_the_posting_ended_meanwhile(users, org):
    recall = propose(users.county, org.p_a1_mem)
    Posting.objects.filter(pk=org.p_a1_mem.pk).update(status=PostingStatus.TRANSFERRED, end_date=D(2026, 6, 30))
    with pytest.raises(ValidationError) as exc:
        recall_decide(actor=users.county, recall_id=recall.pk, approve=True, comment="", ip=None,
                      recall_date=D(2026, 6, 1))
    assert exc.value.messages == ["该派驻记录已不在岗(可能已被修改或结束),不能召回。"]
    assert Recall.objects.get().status == RecallStatus.PROPOSED
    assert not AuditEntry.objects.filter(action="recall.approve").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_approves_only_once_under_concurrent_clicks(transactional_db, users, org):
    second = f.UserFactory(username="t_county_2nd", role=users.county.role, region=org.county_a)
    recall = propose(users.county, org.p_a1_mem)
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def approve(user) -> None:
        try:
            barrier.wait(timeout=10)
            results[user.username] = recall_decide(actor=user, recall_id=recall.pk, approve=True,
                                                   comment=user.username, ip=None, recall_date=D(2026, 3, 31))
        except ValidationError as exc:
            results[user.username] = exc
        except Exception as exc:  # noqa: BLE001 - anything else fails the assertions below with its repr
            results[user.username] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in (users.county, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    winners = [name for name, r in results.items() if isinstance(r, Recall)]
    losers = [r for r in results.values() if isinstance(r, ValidationError)]
    assert (len(winners), len(losers)) == (1, 1), results
    assert losers[0].messages == ["该召回申请已被处理,请刷新页面。"]
    recall.refresh_from_db()
    assert (recall.status, recall.decision_comment) == (RecallStatus.APPROVED, winners[0])
    assert AuditEntry.objects.filter(action="posting.recall").count() == 1


# --- replacements owed -----------------------------------------------------------------------------------------


@pytest.fixture
def approved(users, org) -> Recall:
    """李娜 recalled on 2026-03-31: a replacement is due by 2026-04-30."""
    recall = propose(users.county, org.p_a1_mem)
    return recall_decide(actor=users.county, recall_id=recall.pk, approve=True, comment="", ip=None,
                         recall_date=D(2026, 3, 31))


def test_it_flags_a_replacement_as_overdue_from_the_day_after_the_deadline(users, approved):
    assert list(selectors.replacements_pending(user=users.county)) == [approved]
    assert list(selectors.replacements_overdue(user=users.county, day=D(2026, 4, 30))) == []
    assert list(selectors.replacements_overdue(user=users.county, day=D(2026, 5, 1))) == [approved]
    assert approved.replacement_overdue_on(D(2026, 5, 1)) and not approved.replacement_overdue_on(D(2026, 4, 30))
    assert list(selectors.replacements_pending(user=users.county_b)) == []


def test_it_stops_owing_once_a_posting_replaces_the_recalled_one(users, org, approved):
    f.PostingFactory(cadre=org.c_idle, village=org.v_a1a, round=org.round, replaces=org.p_a1_mem,
                     start_date=D(2026, 5, 6))
    assert list(selectors.replacements_pending(user=users.county)) == []
    approved.refresh_from_db()
    assert not approved.replacement_overdue_on(D(2026, 11, 22))


# --- pages ---------------------------------------------------------------------------------------------------


def test_it_lets_a_unit_propose_a_recall_through_the_form(client, users, org):
    url = reverse("cadres:recall_propose", args=[org.p_a1_sec.pk])
    assert get_as(client, users.unit, url).status_code == 200
    r = post_as(client, users.unit, url, {"reason": "health", "note": "需住院治疗。", "recall_date": "2026-12-01"})
    recall = Recall.objects.get()
    assert r.status_code == 302 and r.url == reverse("cadres:recall_detail", args=[recall.pk])
    assert (recall.reason, recall.proposer_body, recall.recall_date) == ("health", "市财政局", D(2026, 12, 1))
    detail = client.get(r.url)
    assert "待审批" in detail.content.decode()
    assert not detail.context["can_decide"]


def test_it_shows_the_service_error_on_the_propose_form(client, users, org):
    propose(users.county, org.p_a1_mem)
    r = post_as(client, users.county, reverse("cadres:recall_propose", args=[org.p_a1_mem.pk]), {"reason": "health"})
    assert r.status_code == 200
    assert "该派驻已有待审批的召回申请" in r.content.decode()


@pytest.mark.parametrize("who,status", [
    ("township", 403), ("cadre", 403), ("unit", 404), ("county_b", 404), ("township_b", 404), ("unit_b", 404),
    ("cadre_b", 404),
])
def test_it_guards_the_propose_form(client, users, org, who, status):
    url = reverse("cadres:recall_propose", args=[org.p_a1_mem.pk])
    assert get_as(client, getattr(users, who), url).status_code == status
    assert post_as(client, getattr(users, who), url, {"reason": "health", "note": "x"}).status_code == status
    assert not Recall.objects.exists()


def test_it_redirects_anonymous_visitors_to_the_login(client, org):
    r = client.get(reverse("cadres:recall_propose", args=[org.p_a1_mem.pk]))
    assert r.status_code == 302 and "/accounts/login/" in r.url


def test_it_keeps_a_unit_from_ending_a_posting_by_editing_it(client, users, org):
    url = reverse("cadres:posting_update", args=[org.p_a1_sec.pk])
    assert get_as(client, users.unit, url).status_code == 403
    data = {"cadre": org.c_a1_sec.pk, "village": org.v_a1a.pk, "round": org.round.pk, "role": "first_secretary",
            "status": "recalled", "start_date": "2025-03-01", "end_date": "2026-11-01"}
    assert post_as(client, users.unit, url, data).status_code == 403
    org.p_a1_sec.refresh_from_db()
    assert (org.p_a1_sec.status, org.p_a1_sec.end_date) == (PostingStatus.IN_POST, None)
    # and the posting page offers it no edit link, while the cadre page offers it a recall
    page = get_as(client, users.unit, reverse("cadres:posting_detail", args=[org.p_a1_sec.pk])).content.decode()
    assert url not in page
    page = get_as(client, users.unit, reverse("cadres:cadre_detail", args=[org.c_a1_sec.pk])).content.decode()
    assert reverse("cadres:recall_propose", args=[org.p_a1_sec.pk]) in page


def test_it_lets_the_deciding_county_approve_on_the_detail_page(client, users, org):
    recall = propose(users.county, org.p_a1_mem)
    url = reverse("cadres:recall_detail", args=[recall.pk])
    page = get_as(client, users.county, url)
    assert page.context["can_decide"] and 'id="decide-form"' in page.content.decode()
    r = client.post(reverse("cadres:recall_decide", args=[recall.pk]),
                    {"decision": "approve", "recall_date": "2026-03-31", "comment": "同意"})
    assert r.status_code == 302 and r.url == url
    recall.refresh_from_db()
    assert (recall.status, recall.replacement_due) == (RecallStatus.APPROVED, D(2026, 4, 30))
    page = client.get(url).content.decode()
    assert "2026-04-30" in page and "替补逾期" in page  # today (2026-11-22) is past the deadline


def test_it_shows_the_rejection_error_next_to_the_comment(client, users, org):
    recall = propose(users.county, org.p_a1_mem)
    r = post_as(client, users.county, reverse("cadres:recall_decide", args=[recall.pk]), {"decision": "reject"})
    assert r.status_code == 200
    assert r.context["form"].errors == {"comment": ["驳回时请填写理由。"]}


@pytest.mark.parametrize("who,status", [
    ("township", 403), ("city", 403), ("admin", 403), ("county_b", 404), ("unit_b", 404), ("cadre_b", 404),
])
def test_it_guards_the_decision(client, users, org, who, status):
    recall = propose(users.county, org.p_a1_mem)
    r = post_as(client, getattr(users, who), reverse("cadres:recall_decide", args=[recall.pk]),
                {"decision": "approve"})
    assert r.status_code == status
    assert Recall.objects.get().status == RecallStatus.PROPOSED


def test_it_hides_the_decision_from_everyone_else_on_the_detail_page(client, users, org):
    recall = propose(users.county, org.p_a1_mem)
    url = reverse("cadres:recall_detail", args=[recall.pk])
    for who in ("city", "township", "cadre"):
        r = get_as(client, getattr(users, who), url)
        assert r.status_code == 200 and not r.context["can_decide"]
    for who in ("county_b", "township_b", "unit_b", "cadre_b", "unit"):
        assert get_as(client, getattr(users, who), url).status_code == 404


def test_it_lists_recalls_in_scope_with_the_queue_of_the_decider(client, users, org):
    mine = propose(users.county, org.p_a1_mem)
    other = propose(users.county_b, org.p_b1_sec)
    r = get_as(client, users.county, reverse("cadres:recall_list"))
    assert list(r.context["recalls"]) == [mine]
    assert list(r.context["queue"]) == [mine]
    r = get_as(client, users.county_b, reverse("cadres:recall_list"))
    assert list(r.context["recalls"]) == [other]
    r = get_as(client, users.city, reverse("cadres:recall_list"))
    assert set(r.context["recalls"]) == {mine, other} and list(r.context["queue"]) == []
    r = get_as(client, users.unit, reverse("cadres:recall_list"))
    assert list(r.context["recalls"]) == []


def test_it_shows_replacements_due_and_overdue_on_the_unit_page(client, users, org, approved, monkeypatch):
    url = reverse("villages:unit_detail", args=[org.unit_a.pk])
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: D(2026, 4, 25))
    page = get_as(client, users.county, url).content.decode()
    assert 'id="replacements-due"' in page and "李娜" in page and "2026-04-30" in page
    assert "待替补,还剩 5 天" in page
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: D(2026, 5, 10))
    page = client.get(url).content.decode()
    assert "替补逾期 10 天" in page
    # the outsider county cannot open the unit page at all; another unit's page lists nothing owed
    assert get_as(client, users.county_b, url).status_code == 404
    page = get_as(client, users.county, reverse("villages:unit_detail", args=[org.unit_city.pk])).content.decode()
    assert 'id="replacements-due"' not in page
