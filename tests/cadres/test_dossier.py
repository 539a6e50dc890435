"""The cadre dossier (档案, /cadres/<pk>/dossier/): every section from the records, printable on A4, read
through the user's scope (outsiders 404)."""
import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse

from attendance.models import AttendanceDay, DaySource, DayStatus
from cadres.models import Evaluation
from cadres.services import award_record, recall_decide, recall_propose

D = datetime.date


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: D(2026, 11, 22))


def day(posting, when, status, source=DaySource.TOWNSHIP, note=""):
    AttendanceDay.objects.create(cadre=posting.cadre, posting=posting, day=when, status=status, source=source,
                                 note=note)


@pytest.fixture
def record(users, org):
    """李娜's record: an evaluation, an award, two absences found, five training days in two runs, a rejected
    and an approved recall."""
    p = org.p_a1_mem
    Evaluation.objects.create(cadre=p.cadre, year=2025, posting=p, county=org.county_a, grade="competent",
                              votes_excellent=4, votes_competent=20, votes_basic=1, votes_incompetent=0,
                              virtue="good", comment="完成年度任务")
    award_record(actor=users.county, cadre=p.cadre, kind="praise", date=D(2025, 12, 18), level=3,
                 issuing_body="中共云溪县委组织部", document_number="云组通〔2025〕41号", reason="防汛表现突出")
    day(p, D(2026, 5, 12), DayStatus.ABSENT, DaySource.INSPECTION, note="暗访不在村")
    day(p, D(2026, 6, 2), DayStatus.ABSENT, DaySource.INSPECTION)
    day(p, D(2026, 6, 3), DayStatus.ABSENT)  # the township's entry, not an inspection finding
    for d in (D(2025, 4, 8), D(2025, 4, 9), D(2025, 4, 10), D(2026, 3, 2), D(2026, 3, 4)):
        day(p, d, DayStatus.TRAINING, DaySource.TRAINING)
    first = recall_propose(actor=users.county, posting=p, reason="health", note="")
    recall_decide(actor=users.county, recall_id=first.pk, approve=False, comment="本人要求继续驻村", ip=None)
    second = recall_propose(actor=users.county, posting=p, reason="inspection_absence", note="两次暗访不在村")
    recall_decide(actor=users.county, recall_id=second.pk, approve=True, comment="", ip=None,
                  recall_date=D(2026, 7, 1))
    return p


def test_it_gathers_every_section(client, users, org, record):
    client.force_login(users.county)
    r = client.get(reverse("cadres:cadre_dossier", args=[org.c_a1_mem.pk]))
    assert r.status_code == 200
    ctx = r.context
    assert [p.pk for p in ctx["postings"]] == [org.p_a1_mem.pk]
    assert [(e.year, e.grade) for e in ctx["evaluations"]] == [(2025, "competent")]
    assert [(a.kind, a.document_number) for a in ctx["awards"]] == [("praise", "云组通〔2025〕41号")]
    assert [a.day for a in ctx["absences"]] == [D(2026, 6, 2), D(2026, 5, 12)]
    assert ctx["training"] == [
        {"year": 2026, "days": 2, "ranges": [(D(2026, 3, 2), D(2026, 3, 2)), (D(2026, 3, 4), D(2026, 3, 4))]},
        {"year": 2025, "days": 3, "ranges": [(D(2025, 4, 8), D(2025, 4, 10))]},
    ]
    assert [(x.reason, x.status) for x in ctx["recalls"]] == [("inspection_absence", "approved"), ("health", "rejected")]
    page = r.content.decode()
    for text in ("驻村干部档案", "4 / 20 / 1 / 0", "称职", "通报表扬", "暗访不在村", "04-08至04-10", "本人要求继续驻村",
                 "期限 2026-07-31,未到岗", org.c_a1_mem.masked_id_number):
        assert text in page, text
    assert org.c_a1_mem.id_number not in page


@pytest.mark.skipif(not apps.all_models["attendance"].get("diaryentry"), reason="attendance.DiaryEntry not installed")
def test_it_sums_the_diary_per_year(client, users, org):
    diary = apps.get_model("attendance", "DiaryEntry")
    p = org.p_a1_mem
    diary.objects.create(cadre=p.cadre, posting=p, day=D(2026, 3, 1), text="走访", households_visited=12,
                         disputes_found=2, disputes_resolved=1, funds_yuan=Decimal("5000.50"), major_event=True)
    diary.objects.create(cadre=p.cadre, posting=p, day=D(2026, 3, 2), text="调解", households_visited=3,
                         disputes_resolved=1, practical_matters=2, jobs_created=4)
    diary.objects.create(cadre=p.cadre, posting=p, day=D(2025, 9, 9), text="入户", households_visited=7)
    client.force_login(users.county)
    summary = client.get(reverse("cadres:cadre_dossier", args=[p.cadre_id])).context["diary"]
    assert [(y["year"], y["entries"], y["households_visited"], y["disputes_found"], y["disputes_resolved"],
             y["practical_matters"], y["funds_yuan"], y["jobs_created"], y["major_events"]) for y in summary] == [
        (2026, 2, 15, 2, 2, 2, Decimal("5000.50"), 4, 1),
        (2025, 1, 7, 0, 0, 0, Decimal("0"), 0, 0),
    ]


def test_it_prints_on_a4(client, users, org):
    client.force_login(users.county)
    page = client.get(reverse("cadres:cadre_dossier", args=[org.c_a1_mem.pk])).content.decode()
    assert "/static/css/print.css" in page and "data-print" in page
    css = (Path(settings.BASE_DIR) / "static" / "css" / "print.css").read_text()
    assert "size: A4 portrait" in css and "@media print" in css


def test_it_reads_in_a_number_of_queries_that_does_not_grow_with_the_record(client, users, org, record):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("cadres:cadre_dossier", args=[org.c_a1_mem.pk])
    client.force_login(users.county)
    client.get(url)  # warm the session

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    # twice the record: another posting (in county A, after the recall), awards, findings, training, a recall
    from tests import factories as f

    later = f.PostingFactory(cadre=org.c_a1_mem, village=org.v_a2a, round=org.round, start_date=D(2026, 8, 1),
                             replaces=None)
    for kind, when in (("commendation", D(2025, 11, 28)), ("criticism", D(2026, 9, 1))):
        award_record(actor=users.county, cadre=org.c_a1_mem, kind=kind, date=when, level=3,
                     issuing_body="中共云溪县委组织部", document_number="云组通〔2026〕9号")
    day(later, D(2026, 9, 9), DayStatus.ABSENT, DaySource.INSPECTION)
    day(later, D(2026, 9, 10), DayStatus.TRAINING, DaySource.TRAINING)
    recall_propose(actor=users.county, posting=later, reason="discipline", note="再次不在村")
    assert count() == before


@pytest.mark.parametrize("who,status", [
    ("admin", 200), ("city", 200), ("county", 200), ("township", 200), ("cadre", 200),
    ("county_b", 404), ("township_b", 404), ("unit_b", 404), ("cadre_b", 404), ("unit", 404), ("township2", 404),
])
def test_it_answers_by_jurisdiction(client, users, org, who, status):
    # 李娜: county A, township A1, unit 云溪县农业农村局 (not `unit`'s 市财政局), and the `cadre` account herself
    client.force_login(getattr(users, who))
    assert client.get(reverse("cadres:cadre_dossier", args=[org.c_a1_mem.pk])).status_code == status


def test_it_links_the_dossier_from_the_cadre_page(client, users, org):
    client.force_login(users.cadre)
    page = client.get(reverse("cadres:cadre_detail", args=[org.c_a1_mem.pk])).content.decode()
    assert reverse("cadres:cadre_dossier", args=[org.c_a1_mem.pk]) in page
    assert reverse("cadres:recall_propose", args=[org.p_a1_mem.pk]) not in page  # a cadre proposes nothing
