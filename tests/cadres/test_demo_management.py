"""The management demo data (cadres.demo_management.seed_management) on top of the seed_demo city: the recall
records of the two recalled postings, the pending recall of the `unit` account's unit, the 2025 evaluations
of 云溪县, the awards and the 通报批评 — deterministic, within the rules, and idempotent.

Seeded once per module inside a transaction rolled back at the end (as tests/cadres/test_seed_demo.py does).
"""
import datetime
from collections import Counter

import pytest
from django.db import transaction

from cadres import selectors
from cadres.demo import seed_demo
from cadres.demo_management import PENDING_NOTE, seed_management
from cadres.models import AwardRecord, Evaluation, Recall, RecallStatus, User
from villages.models import Region

D = datetime.date
TODAY = D(2026, 11, 22)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        seed_demo()
        summary = seed_management(today=TODAY)
        yield summary
        transaction.set_rollback(True)


def _recall(village_code: str) -> Recall:
    return Recall.objects.select_related("posting__cadre", "posting__unit", "decider_region").get(
        posting__village__code=village_code, status=RecallStatus.APPROVED)


@pytest.mark.django_db
def test_it_records_the_recall_of_the_member_replaced_in_2025(seeded):
    recall = _recall("369901101202")  # 王家坪村
    assert (recall.posting.cadre.name, recall.reason, recall.recall_date) == ("谭思璐", "health", D(2025, 10, 15))
    # 市市场监督管理局 is a city-level unit: the city decided. Deadline: 2025-10-15 + 30 days.
    assert (recall.decider_region.name, recall.proposer_body) == ("青山市", "市市场监督管理局")
    assert recall.decided_by.username == "city"
    assert recall.replacement_due == D(2025, 11, 14)
    replacement = recall.posting.replaced_by
    # The replacement arrived on 2025-11-24, ten days after the deadline: the demo's late replacement.
    assert replacement.start_date == D(2025, 11, 24)
    assert seeded["recalls"][0]["late"] is True


@pytest.mark.django_db
def test_it_records_the_recent_recall_still_waiting_for_a_replacement(seeded):
    recall = _recall("369901102201")  # 袁家岗村
    assert (recall.posting.cadre.name, recall.reason, recall.decider_region.name) == (
        "汪明杰", "inspection_absence", "云溪县")
    assert (recall.recall_date, recall.replacement_due) == (D(2026, 11, 1), D(2026, 12, 1))
    assert (recall.proposed_by.username, recall.decided_by.username) == ("county", "county")
    county = User.objects.get(username="county")
    assert list(selectors.replacements_pending(user=county)) == [recall]
    assert list(selectors.replacements_overdue(user=county, day=TODAY)) == []
    assert list(selectors.replacements_overdue(user=county, day=D(2026, 12, 2))) == [recall]


@pytest.mark.django_db
def test_it_leaves_a_recall_proposed_by_the_unit_accounts_unit_for_the_city(seeded):
    recall = Recall.objects.select_related("posting__cadre", "posting__unit").get(note=PENDING_NOTE)
    assert (recall.status, recall.reason, recall.proposer_body) == (RecallStatus.PROPOSED, "health", "市农业农村局")
    assert (recall.posting.cadre.name, recall.recall_date) == ("王海华", D(2026, 12, 2))
    assert list(selectors.recall_queue(user=User.objects.get(username="city"))) == [recall]
    assert list(selectors.recall_queue(user=User.objects.get(username="county"))) == []
    assert recall in selectors.recall_list(user=User.objects.get(username="unit"))


@pytest.mark.django_db
def test_it_grades_2025_in_yunxi_mostly_competent(seeded):
    county = Region.objects.get(code="369901000000")
    grades = Counter(Evaluation.objects.filter(year=2025, county=county).values_list("grade", flat=True))
    assert grades == {"competent": 138, "excellent": 28, "basic": 1}
    assert Evaluation.objects.get(grade="basic").cadre.name == "任金勇"
    assert not Evaluation.objects.exclude(county=county).exists()
    # every cadre whose last 2025 posting was in 云溪县 is graded, decided by the `county` account
    assert set(Evaluation.objects.values_list("decided_by__username", flat=True)) == {"county"}


@pytest.mark.django_db
def test_it_grades_within_the_rules(seeded):
    policy = selectors.policy_for(Region.objects.get(code="369901000000"))
    for evaluation in Evaluation.objects.select_related("cadre"):
        limits = selectors.evaluation_limits(cadre=evaluation.cadre, year=2025, policy=policy, with_cap=False)
        assert limits.refusal(evaluation.grade) is None, evaluation
    # 谭思璐 was recalled in 2025: never excellent
    assert Evaluation.objects.get(cadre__name="谭思璐", year=2025).grade == "competent"


@pytest.mark.django_db
def test_it_gives_awards_and_one_criticism(seeded):
    rows = list(AwardRecord.objects.order_by("date", "pk").values_list("cadre__name", "kind", "date",
                                                                          "document_number"))
    assert rows == [
        ("汪春芳", "praise", D(2025, 12, 18), "云组通〔2025〕41号"),
        ("张海荣", "commendation", D(2026, 1, 28), "云组通〔2026〕3号"),
        ("崔志昊", "commendation", D(2026, 1, 28), "云组通〔2026〕3号"),
        ("覃俊涛", "merit_third", D(2026, 2, 6), "青人社发〔2026〕6号"),
        ("汪明杰", "criticism", D(2026, 10, 23), "云组通〔2026〕29号"),
    ]
    # awards go to cadres graded excellent in 2025, none to a cadre recalled in the award's year
    for name in ("汪春芳", "张海荣", "崔志昊", "覃俊涛"):
        assert Evaluation.objects.get(cadre__name=name, year=2025).grade == "excellent"


@pytest.mark.django_db
def test_it_is_idempotent(seeded):
    counts = (Recall.objects.count(), Evaluation.objects.count(), AwardRecord.objects.count())
    again = seed_management(today=TODAY)
    assert again["changes"] == {}
    assert (Recall.objects.count(), Evaluation.objects.count(), AwardRecord.objects.count()) == counts == (3, 167, 5)


@pytest.mark.django_db
def test_it_leaves_out_awards_dated_after_today(seeded):
    AwardRecord.objects.all().delete()
    summary = seed_management(today=D(2026, 1, 30))
    assert summary["changes"] == {"awards_created": 3}
    assert sorted(AwardRecord.objects.values_list("kind", flat=True)) == ["commendation", "commendation", "praise"]
