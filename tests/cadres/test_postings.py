"""services.posting_save and services.cadre_save: the rules that span records, and the audit trail.

The `org` fixture's round 第二轮 runs 2025-03-01 .. 2027-02-28; every fixture posting starts 2025-03-01 and is
open-ended (in post).
"""
import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from stdnum.cn import ric

from cadres import services
from cadres.models import AuditEntry, Cadre, Posting
from tests import factories as f


def trail():
    """Audit entries other than logins (every force_login writes auth.login)."""
    return AuditEntry.objects.exclude(action__startswith="auth.")


D = datetime.date


def id_number(birth: str, seq: str) -> str:
    body = f"110101{birth}{seq}"
    return body + ric.calc_check_digit(body + "0")


def female_id_ending_in_x(birth: str = "19900203") -> str:
    for n in range(0, 1000, 2):  # an even 17th digit is a woman
        number = id_number(birth, f"{n:03d}")
        if number.endswith("X"):
            return number
    raise AssertionError("no sequence gives X")  # pragma: no cover


def errors_of(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        call()
    return exc.value.message_dict


def posting(org, **fields) -> Posting:
    values = {"cadre": org.c_idle, "village": org.v_a1b, "round": org.round, "start_date": D(2025, 6, 1)}
    values.update(fields)
    return Posting(**values)


def end(users, p: Posting, *, status: str, end_date: datetime.date) -> Posting:
    p.status, p.end_date = status, end_date
    return services.posting_save(actor=users.county, posting=p)


# --- posting_save ----------------------------------------------------------------------------------------


def test_it_saves_a_posting_with_the_cadres_unit_and_an_audit_entry(users, org):
    saved = services.posting_save(actor=users.county, posting=posting(org), ip="10.0.0.7")
    assert saved.pk is not None
    assert saved.unit == org.unit_a
    entry = AuditEntry.objects.get(action="posting.create")
    assert (entry.actor, entry.actor_name, entry.object_id) == (users.county, "t_county", str(saved.pk))
    assert entry.region_code == "369901001202"
    assert entry.ip == "10.0.0.7"
    assert entry.detail == {"status": "in_post", "start": "2025-06-01", "end": ""}


def test_it_refuses_a_posting_overlapping_an_open_ended_one(users, org):
    new = posting(org, cadre=org.c_a1_sec, start_date=D(2026, 1, 1))
    errors = errors_of(lambda: services.posting_save(actor=users.county, posting=new))
    assert errors == {"start_date": ["该干部在2025-03-01至今已派驻杨家坪村,同一天只能有一个在岗派驻。"]}
    assert Posting.objects.filter(cadre=org.c_a1_sec).count() == 1
    assert not trail().exists()


def test_it_refuses_a_closed_posting_reaching_into_an_open_ended_one(users, org):
    earlier = posting(org, cadre=org.c_a1_sec, start_date=D(2025, 3, 1), end_date=D(2025, 3, 1))
    errors = errors_of(lambda: services.posting_save(actor=users.county, posting=earlier))
    assert list(errors) == ["start_date"]


def test_it_accepts_a_posting_starting_the_day_after_the_previous_one_ends(users, org):
    end(users, org.p_a1_sec, status=Posting.Status.COMPLETED, end_date=D(2025, 12, 31))
    services.posting_save(actor=users.county, posting=posting(org, cadre=org.c_a1_sec, start_date=D(2026, 1, 1)))
    assert list(
        Posting.objects.filter(cadre=org.c_a1_sec).order_by("start_date").values_list("start_date", "end_date")
    ) == [(D(2025, 3, 1), D(2025, 12, 31)), (D(2026, 1, 1), None)]


def test_it_refuses_a_posting_starting_on_the_day_the_previous_one_ends(users, org):
    end(users, org.p_a1_sec, status=Posting.Status.COMPLETED, end_date=D(2025, 12, 31))
    new = posting(org, cadre=org.c_a1_sec, start_date=D(2025, 12, 31))
    errors = errors_of(lambda: services.posting_save(actor=users.county, posting=new))
    assert errors == {"start_date": ["该干部在2025-03-01至2025-12-31已派驻杨家坪村,同一天只能有一个在岗派驻。"]}


def test_it_lets_a_posting_be_edited_without_clashing_with_itself(users, org):
    org.p_a1_mem.role = Posting.Role.TEAM_LEADER
    services.posting_save(actor=users.county, posting=org.p_a1_mem)
    org.p_a1_mem.refresh_from_db()
    assert org.p_a1_mem.role == "team_leader"
    assert trail().get().action == "posting.update"


@pytest.mark.parametrize("start", [D(2025, 2, 28), D(2027, 3, 1)])
def test_it_refuses_a_start_date_outside_the_round(users, org, start):
    errors = errors_of(lambda: services.posting_save(actor=users.county, posting=posting(org, start_date=start)))
    assert errors == {"start_date": ["到岗日期必须在轮次“第二轮”的起止日期(2025-03-01 至 2027-02-28)之内。"]}


@pytest.mark.parametrize("start", [D(2025, 3, 1), D(2027, 2, 28)])
def test_it_accepts_the_first_and_last_day_of_the_round(users, org, start):
    services.posting_save(actor=users.county, posting=posting(org, start_date=start))
    assert Posting.objects.filter(cadre=org.c_idle, start_date=start).count() == 1


def test_it_refuses_a_village_outside_the_rounds_region(users, org):
    round_b = f.RoundFactory(name="石门县第一批", region=org.county_b)
    new = posting(org, round=round_b)
    errors = errors_of(lambda: services.posting_save(actor=users.county, posting=new))
    assert errors == {"village": ["该村不在轮次“石门县第一批”的组织区划内。"]}
    assert not Posting.objects.filter(cadre=org.c_idle).exists()


@pytest.fixture
def recalled(users, org) -> Posting:
    """王强 recalled from 新塘村 on 2026-03-31: a vacancy to be filled."""
    return end(users, org.p_a2_sec, status=Posting.Status.RECALLED, end_date=D(2026, 3, 31))


def test_it_accepts_a_replacement_in_the_same_village_after_the_recall(users, org, recalled):
    new = posting(org, village=org.v_a2a, replaces=recalled, start_date=D(2026, 4, 1))
    services.posting_save(actor=users.county, posting=new)
    recalled.refresh_from_db()
    assert recalled.replaced_by.cadre == org.c_idle


def test_it_refuses_a_replacement_in_another_village(users, org, recalled):
    new = posting(org, village=org.v_a1b, replaces=recalled, start_date=D(2026, 4, 1))
    errors = errors_of(lambda: services.posting_save(actor=users.county, posting=new))
    assert errors == {"replaces": ["替补对象必须是同一个村的派驻记录。"]}


def test_it_refuses_to_replace_a_posting_still_in_force(users, org):
    new = posting(org, village=org.v_a1a, replaces=org.p_a1_mem, start_date=D(2026, 4, 1))
    errors = errors_of(lambda: services.posting_save(actor=users.county, posting=new))
    assert errors == {"replaces": ["被替补的派驻记录尚未结束(召回或轮换)。"]}


def test_it_refuses_a_replacement_starting_on_the_recall_day(users, org, recalled):
    new = posting(org, village=org.v_a2a, replaces=recalled, start_date=D(2026, 3, 31))
    errors = errors_of(lambda: services.posting_save(actor=users.county, posting=new))
    assert errors == {"start_date": ["替补干部的到岗日期必须晚于被替补干部的离岗日期(2026-03-31)。"]}


def test_it_asks_for_an_end_date_next_to_the_field_when_the_status_is_ended(users, org):
    new = posting(org, status=Posting.Status.RECALLED)
    errors = errors_of(lambda: services.posting_save(actor=users.county, posting=new))
    assert errors == {"end_date": ["状态为“已召回”时必须填写离岗日期。"]}


def test_it_refuses_an_end_date_before_the_start_date_next_to_the_field(users, org):
    new = posting(org, status=Posting.Status.COMPLETED, start_date=D(2025, 6, 1), end_date=D(2025, 5, 31))
    errors = errors_of(lambda: services.posting_save(actor=users.county, posting=new))
    assert list(errors) == ["end_date"]
    assert "posting_dates_ordered" not in errors["end_date"][0]


# --- the PostgreSQL exclusion constraint (the last word when the service is bypassed) -------------------


def raw_posting(org, cadre: Cadre, start: datetime.date, end_date: datetime.date | None = None, **extra) -> Posting:
    return Posting(
        cadre=cadre, village=org.v_a1b, round=org.round, unit=cadre.unit, start_date=start, end_date=end_date, **extra
    )


@pytest.mark.postgres
def test_it_refuses_an_overlapping_row_created_directly_in_the_database(org):
    with pytest.raises(IntegrityError), transaction.atomic():
        raw_posting(org, org.c_a1_sec, D(2026, 1, 1)).save()
    assert Posting.objects.filter(cadre=org.c_a1_sec).count() == 1


@pytest.mark.postgres
def test_it_refuses_an_overlapping_row_created_with_objects_create(org):
    with pytest.raises(IntegrityError), transaction.atomic():
        Posting.objects.create(
            cadre=org.c_a1_sec, village=org.v_a1b, round=org.round, unit=org.unit_city, start_date=D(2026, 1, 1)
        )


@pytest.mark.postgres
def test_it_refuses_overlapping_rows_in_one_bulk_create(org):
    rows = [
        raw_posting(org, org.c_idle, D(2025, 6, 1), D(2025, 12, 31), status=Posting.Status.COMPLETED),
        raw_posting(org, org.c_idle, D(2025, 12, 31)),
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        Posting.objects.bulk_create(rows)
    assert not Posting.objects.filter(cadre=org.c_idle).exists()


@pytest.mark.postgres
def test_it_accepts_two_postings_in_sequence_in_the_database(org):
    Posting.objects.bulk_create(
        [
            raw_posting(org, org.c_idle, D(2025, 6, 1), D(2025, 12, 31), status=Posting.Status.COMPLETED),
            raw_posting(org, org.c_idle, D(2026, 1, 1)),
        ]
    )
    assert Posting.objects.filter(cadre=org.c_idle).count() == 2


@pytest.mark.postgres
def test_it_accepts_overlapping_dates_for_two_different_cadres(org):
    Posting.objects.create(
        cadre=org.c_idle, village=org.v_a1a, round=org.round, unit=org.unit_a, start_date=D(2025, 3, 1)
    )
    assert Posting.objects.filter(village=org.v_a1a).count() == 3


# --- cadre_save ------------------------------------------------------------------------------------------


def new_cadre(org, **fields) -> Cadre:
    values = {"name": "赵敏", "id_number": id_number("19900203", "124"), "phone": "13912345678", "unit": org.unit_a}
    values.update(fields)
    return Cadre(**values)


def test_it_derives_birth_date_and_gender_from_the_id_number(users, org):
    number = female_id_ending_in_x()
    cadre = new_cadre(org, name=" 赵  敏 ", id_number=number.lower(), phone="１３９ １２３４ ５６７８")
    services.cadre_save(actor=users.county, cadre=cadre)
    cadre.refresh_from_db()
    assert (cadre.name, cadre.id_number, cadre.phone) == ("赵 敏", number, "13912345678")
    assert (cadre.birth_date, cadre.gender) == (D(1990, 2, 3), "F")
    assert cadre.id_tail == number[-6:]


def test_it_keeps_a_birth_date_and_gender_that_agree_with_the_id_number(users, org):
    cadre = new_cadre(org, birth_date=D(1990, 2, 3), gender="F")
    services.cadre_save(actor=users.county, cadre=cadre)
    assert Cadre.objects.get(name="赵敏").birth_date == D(1990, 2, 3)


def test_it_refuses_a_birth_date_that_disagrees_with_the_id_number(users, org):
    cadre = new_cadre(org, birth_date=D(1990, 2, 4))
    errors = errors_of(lambda: services.cadre_save(actor=users.county, cadre=cadre))
    assert errors == {"birth_date": ["出生日期与身份证号码不一致(身份证显示为1990-02-03)。"]}
    assert not Cadre.objects.filter(name="赵敏").exists()


def test_it_refuses_a_gender_that_disagrees_with_the_id_number(users, org):
    cadre = new_cadre(org, gender="M")
    errors = errors_of(lambda: services.cadre_save(actor=users.county, cadre=cadre))
    assert errors == {"gender": ["性别与身份证号码不一致。"]}


def test_it_refuses_an_id_number_with_a_wrong_check_digit(users, org):
    good = id_number("19900203", "124")
    bad = good[:-1] + ("1" if good[-1] == "0" else "0")
    errors = errors_of(lambda: services.cadre_save(actor=users.county, cadre=new_cadre(org, id_number=bad)))
    assert errors == {"id_number": ["身份证号码校验位不正确,请核对。"]}


@pytest.mark.parametrize("typed", ["as_stored", "lower", "full_width"])
def test_it_refuses_an_id_number_already_registered(users, org, typed):
    existing = org.c_a1_mem.id_number
    number = {
        "as_stored": existing,
        "lower": existing.lower(),
        "full_width": existing.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
    }[typed]
    cadre = new_cadre(org, id_number=number, birth_date=None, gender="")
    errors = errors_of(lambda: services.cadre_save(actor=users.county, cadre=cadre))
    assert list(errors) == ["id_number"]
    assert errors["id_number"] == ["具有 身份证号码 的 驻村干部 已存在。"]
    assert Cadre.objects.filter(id_number=existing).count() == 1


def test_it_writes_an_audit_entry_on_create_and_on_update(users, org):
    cadre = services.cadre_save(actor=users.county, cadre=new_cadre(org), ip="10.0.0.8")
    cadre.phone = "0791-12345678"
    services.cadre_save(actor=users.city, cadre=cadre)
    entries = list(
        trail().order_by("pk").values_list("action", "actor_name", "object_type", "object_id", "region_code")
    )
    assert entries == [
        ("cadre.create", "t_county", "cadres.cadre", str(cadre.pk), "369901000000"),
        ("cadre.update", "t_city", "cadres.cadre", str(cadre.pk), "369901000000"),
    ]
    assert AuditEntry.objects.get(action="cadre.create").ip == "10.0.0.8"


def test_it_writes_no_audit_entry_when_the_cadre_is_refused(users, org):
    errors_of(lambda: services.cadre_save(actor=users.county, cadre=new_cadre(org, gender="M")))
    assert not trail().exists()
