"""Training, theory study and work exchange: organized training fills the participants' register days as training
(inside their postings, never over leave or an inspection), removing a participant, marking them absent,
moving or cancelling the event frees exactly the days it gave; who may organize, see and change what.

"Today" is frozen at 2026-11-22; the training in most tests runs 11-24 and 11-25. Fixture: 张伟 and 李娜 in A1a
(城关镇, 云溪县), 王强 in A2a (河口乡), 刘洋 in B1a (石门县), all posted from 2025-03-01; 陈静 not posted.
"""
import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from attendance import selectors_management as sm
from attendance.models import (
    AttendanceChange,
    AttendanceDay,
    DaySource,
    DayStatus,
    MonthConfirmation,
    MonthlyTally,
    TrainingEvent,
    TrainingParticipant,
)
from attendance.services import Entry, leave_approve, leave_request, register_write, tally_differences
from attendance.services.training import training_attendance_save, training_event_cancel, training_event_save
from cadres.models import AuditEntry
from tests.factories import PostingFactory

TODAY = datetime.date(2026, 11, 22)
LIST = reverse("attendance:training_list")
CREATE = reverse("attendance:training_create")


def d(day: int, month: int = 11, year: int = 2026) -> datetime.date:
    return datetime.date(year, month, day)


@pytest.fixture
def freeze(monkeypatch):
    def set_today(day: datetime.date) -> None:
        monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: day)

    set_today(TODAY)
    return set_today


NOV_24, NOV_25 = datetime.date(2026, 11, 24), datetime.date(2026, 11, 25)
NOV_20, NOV_30 = datetime.date(2026, 11, 20), datetime.date(2026, 11, 30)
TRAINING = (DayStatus.TRAINING, DaySource.TRAINING)


def save(actor, cadres, *, event=None, start=NOV_24, end=NOV_25, kind="training", counts=True,
         title="全县驻村干部业务培训班") -> TrainingEvent:
    event = event or TrainingEvent()
    event.title, event.kind, event.start_date, event.end_date = title, kind, start, end
    event.counts_as_training = counts
    event.location = "县委党校"
    return training_event_save(actor=actor, event=event, cadre_ids=[c.pk for c in cadres])


def register(cadre, first=NOV_20, last=NOV_30) -> dict[datetime.date, tuple[str, str]]:
    return {
        r.day: (r.status, r.source)
        for r in AttendanceDay.objects.filter(cadre=cadre, day__gte=first, day__lte=last)
    }




# ---------------------------------------------------------------- filling and freeing the register


def test_it_fills_the_participants_register_days_as_training(freeze, users, org):
    event = save(users.county, [org.c_a1_sec, org.c_a1_mem])
    assert register(org.c_a1_sec) == {d(24): TRAINING, d(25): TRAINING}
    assert register(org.c_a1_mem) == {d(24): TRAINING, d(25): TRAINING}
    assert AttendanceDay.objects.get(cadre=org.c_a1_sec, day=d(24)).note == "培训:全县驻村干部业务培训班"
    assert MonthlyTally.objects.get(posting=org.p_a1_sec, month=d(1)).training == 2
    assert tally_differences() == []
    assert set(event.participants.values_list("cadre__name", "attended")) == {("张伟", True), ("李娜", True)}
    audit = AuditEntry.objects.get(action="training.create")
    assert (audit.detail["participants"], audit.detail["register_days"]) == (2, 4)


def test_it_fills_only_the_days_inside_a_posting(freeze, users, org):
    # 陈静 arrives in A1b on 11-25, the event's second day: only that day is hers to fill.
    PostingFactory(cadre=org.c_idle, village=org.v_a1b, round=org.round, start_date=d(25))
    save(users.county, [org.c_idle])
    assert register(org.c_idle) == {d(25): TRAINING}


def test_it_replaces_a_township_entry_but_never_leave(freeze, users, org):
    register_write(entries=[Entry(cadre_id=org.c_a1_sec.pk, day=d(24), status=DayStatus.PRESENT)],
                   source=DaySource.TOWNSHIP, actor=users.township)
    leave = leave_request(actor=users.cadre, cadre=org.c_a1_mem, kind="personal", start_date=d(24), end_date=d(24),
                          reason="体检")
    leave_approve(actor=users.township, leave_id=leave.pk)
    save(users.county, [org.c_a1_sec, org.c_a1_mem])
    assert register(org.c_a1_sec) == {d(24): TRAINING, d(25): TRAINING}
    assert register(org.c_a1_mem) == {d(24): (DayStatus.LEAVE, DaySource.LEAVE), d(25): TRAINING}
    history = AttendanceChange.objects.filter(cadre=org.c_a1_sec, day=d(24)).order_by("pk")
    assert list(history.values_list("old_source", "new_source")) == [("", "township"), ("township", "training")]


def test_it_never_replaces_an_inspection_finding(freeze, users, org):
    register_write(entries=[Entry(cadre_id=org.c_a1_sec.pk, day=d(24), status=DayStatus.ABSENT, flagged=True)],
                   source=DaySource.INSPECTION, actor=users.county)
    save(users.county, [org.c_a1_sec])
    assert register(org.c_a1_sec) == {d(24): (DayStatus.ABSENT, DaySource.INSPECTION), d(25): TRAINING}


@pytest.mark.parametrize(("kind", "counts"), [("training", False), ("theory_study", False), ("work_exchange", False)])
def test_it_leaves_the_register_alone_for_other_events(freeze, users, org, kind, counts):
    save(users.county, [org.c_a1_sec], kind=kind, counts=counts)
    assert register(org.c_a1_sec) == {}


def test_it_refuses_to_count_theory_study_as_training(freeze, users, org):
    with pytest.raises(ValidationError) as exc:
        save(users.county, [org.c_a1_sec], kind="theory_study", counts=True)
    assert "只有组织培训可以计入考勤" in " ".join(exc.value.messages)


def test_it_frees_the_days_of_a_removed_participant_only(freeze, users, org):
    event = save(users.county, [org.c_a1_sec, org.c_a1_mem])
    save(users.county, [org.c_a1_sec], event=event)
    assert register(org.c_a1_mem) == {}
    assert register(org.c_a1_sec) == {d(24): TRAINING, d(25): TRAINING}
    assert list(event.participants.values_list("cadre__name", flat=True)) == ["张伟"]
    assert MonthlyTally.objects.get(posting=org.p_a1_mem, month=d(1)).training == 0


def test_it_moves_the_days_with_the_event(freeze, users, org):
    event = save(users.county, [org.c_a1_sec])
    save(users.county, [org.c_a1_sec], event=event, start=d(27), end=d(28))
    assert register(org.c_a1_sec) == {d(27): TRAINING, d(28): TRAINING}


def test_it_keeps_a_day_another_training_still_covers(freeze, users, org):
    first = save(users.county, [org.c_a1_sec], start=d(24), end=d(25))
    save(users.city, [org.c_a1_sec], start=d(25), end=d(26), title="全市轮训班")
    training_event_cancel(actor=users.county, event=first)
    assert register(org.c_a1_sec) == {d(25): TRAINING, d(26): TRAINING}


def test_it_frees_the_days_when_cancelled_and_refuses_a_second_cancel(freeze, users, org):
    event = save(users.county, [org.c_a1_sec, org.c_a1_mem])
    training_event_cancel(actor=users.county, event=event)
    assert register(org.c_a1_sec) == register(org.c_a1_mem) == {}
    event.refresh_from_db()
    assert event.cancelled_at is not None and not event.fills_register
    with pytest.raises(ValidationError):
        training_event_cancel(actor=users.county, event=event)
    with pytest.raises(ValidationError):
        save(users.county, [org.c_a1_sec], event=event)


def test_it_frees_the_days_of_a_participant_marked_absent_and_fills_them_again(freeze, users, org):
    event = save(users.county, [org.c_a1_sec, org.c_a1_mem])
    with pytest.raises(ValidationError) as exc:
        training_attendance_save(actor=users.county, event=event, attended={org.c_a1_mem.pk: False})
    assert "活动尚未开始" in " ".join(exc.value.messages)
    freeze(d(24))  # the first day: attendance can be taken
    assert training_attendance_save(actor=users.county, event=event, attended={org.c_a1_mem.pk: False}) == 1
    assert register(org.c_a1_mem) == {}
    assert register(org.c_a1_sec) == {d(24): TRAINING, d(25): TRAINING}
    training_attendance_save(actor=users.county, event=event, attended={org.c_a1_mem.pk: True})
    assert register(org.c_a1_mem) == {d(24): TRAINING, d(25): TRAINING}


def test_it_refuses_a_training_in_a_confirmed_month(freeze, users, org):
    MonthConfirmation.objects.create(township=org.town_a1, month=d(1, 10), confirmed_by=users.township)
    with pytest.raises(ValidationError) as exc:
        save(users.county, [org.c_a1_sec], start=d(20, 10), end=d(21, 10))
    assert "2026-10 考勤已确认锁定" in " ".join(exc.value.messages)
    assert not TrainingEvent.objects.exists()


def test_it_refuses_participants_posted_outside_the_organizers_region(freeze, users, org):
    with pytest.raises(ValidationError) as exc:
        save(users.township, [org.c_a1_sec, org.c_a2_sec])
    assert "王强 在活动期间不在城关镇派驻,不能参加" in " ".join(exc.value.messages)
    save(users.township, [org.c_a1_sec])


@pytest.mark.parametrize("who", ["unit", "cadre"])
def test_it_lets_only_organization_departments_and_townships_organize(freeze, users, org, who):
    with pytest.raises(ValidationError):
        save(getattr(users, who), [org.c_a1_sec])


def test_it_lets_the_organizer_and_those_above_change_an_event(freeze, users, org):
    event = save(users.township, [org.c_a1_sec])
    save(users.county, [org.c_a1_sec, org.c_a1_mem], event=event)  # the county is above the township
    for who in (users.township2, users.county_b):
        with pytest.raises(ValidationError):
            save(who, [org.c_a1_sec], event=event)
    with pytest.raises(ValidationError):
        save(users.township, [org.c_a1_sec], event=save(users.city, [org.c_a1_sec]))


# ---------------------------------------------------------------- reading


@pytest.fixture
def events(freeze, users, org):
    return {
        "city": save(users.city, [org.c_a1_sec, org.c_b1_sec], title="全市轮训班"),
        "town": save(users.township, [org.c_a1_mem], kind="theory_study", counts=False, title="城关镇理论学习"),
        "county_b": save(users.county_b, [org.c_b1_sec], kind="work_exchange", counts=False, title="石门县经验交流"),
    }


def test_it_lists_the_events_a_user_may_see(events, client, users):
    expected = {
        "city": {"全市轮训班", "城关镇理论学习", "石门县经验交流"},
        "county": {"全市轮训班", "城关镇理论学习"},
        "township": {"全市轮训班", "城关镇理论学习"},
        "township2": {"全市轮训班"},
        "county_b": {"全市轮训班", "石门县经验交流"},
        "unit": {"全市轮训班"},
        "unit_b": {"全市轮训班", "石门县经验交流"},
        "cadre": {"城关镇理论学习"},
        "cadre_b": {"全市轮训班", "石门县经验交流"},
    }
    for who, titles in expected.items():
        client.force_login(getattr(users, who))
        response = client.get(LIST)
        assert response.status_code == 200
        assert {e.title for e in response.context["object_list"]} == titles, who


def test_it_answers_404_outside_and_shows_only_the_participants_in_scope(events, client, users):
    url = events["town"].get_absolute_url()
    for who in ("county_b", "township2", "cadre_b", "unit_b"):
        client.force_login(getattr(users, who))
        assert client.get(url).status_code == 404, who
    client.force_login(users.county_b)
    response = client.get(events["city"].get_absolute_url())
    assert [p.cadre.name for p in response.context["participants"]] == ["刘洋"]
    assert response.context["total"] == 2
    assert response.context["can_manage"] is False


def test_it_lets_the_organizer_create_an_event_for_a_whole_region(freeze, client, users, org):
    client.force_login(users.county)
    response = client.post(CREATE, {
        "title": "全县驻村干部业务培训班", "kind": "training", "start_date": "2026-11-24", "end_date": "2026-11-25",
        "location": "县委党校", "counts_as_training": "on", "whole_region": org.town_a1.pk, "cadres": [org.c_a2_sec.pk],
    })
    event = TrainingEvent.objects.get()
    assert response.status_code == 302
    assert response["Location"] == event.get_absolute_url()
    assert set(event.participants.values_list("cadre__name", flat=True)) == {"张伟", "李娜", "王强"}
    assert register(org.c_a2_sec) == {d(24): TRAINING, d(25): TRAINING}


def test_it_shows_the_date_error_next_to_the_field(freeze, client, users):
    client.force_login(users.county)
    response = client.post(CREATE, {"title": "培训", "kind": "training", "start_date": "2026-11-25",
                                    "end_date": "2026-11-24"})
    assert response.status_code == 200
    assert "结束日期不能早于开始日期" in response.content.decode()


def test_it_answers_403_to_readers_and_404_to_outsiders_on_changes(events, client, users, org):
    town = events["town"]
    edit = reverse("attendance:training_edit", args=[town.pk])
    cancel = reverse("attendance:training_cancel", args=[town.pk])
    attendance = reverse("attendance:training_attendance", args=[town.pk])
    # 李娜 (`cadre`) takes part in the township's theory study: she reads it, she does not change it. The unit
    # sent 张伟, who is not in it: for the unit it does not exist.
    for who, status in [("cadre", 403), ("unit", 404), ("county_b", 404), ("township2", 404), ("cadre_b", 404)]:
        client.force_login(getattr(users, who))
        assert client.get(edit).status_code == status, who
        assert client.post(cancel).status_code == status, who
        assert client.post(attendance, {"listed": [org.c_a1_mem.pk]}).status_code == status, who
    for who in ("township", "unit", "county_b"):  # they see the city's training, which is not theirs to change
        client.force_login(getattr(users, who))
        assert client.get(reverse("attendance:training_edit", args=[events["city"].pk])).status_code == 403, who
    client.force_login(users.township)
    assert client.get(CREATE).status_code == 200
    for who in ("unit", "cadre"):
        client.force_login(getattr(users, who))
        assert client.get(CREATE).status_code == 403
    assert TrainingEvent.objects.filter(cancelled_at__isnull=False).count() == 0


def test_it_records_attendance_from_the_detail_page(events, client, users, org, freeze):
    freeze(d(25))
    city = events["city"]
    client.force_login(users.city)
    url = reverse("attendance:training_attendance", args=[city.pk])
    response = client.post(url, {"listed": [org.c_a1_sec.pk, org.c_b1_sec.pk], "attended": [org.c_b1_sec.pk]})
    assert response.status_code == 302
    assert dict(TrainingParticipant.objects.filter(event=city).values_list("cadre__name", "attended")) == {
        "张伟": False, "刘洋": True}
    assert register(org.c_a1_sec) == {}


def test_it_cancels_from_the_detail_page(events, client, users, org):
    client.force_login(users.city)
    assert client.post(reverse("attendance:training_cancel", args=[events["city"].pk])).status_code == 302
    assert register(org.c_a1_sec) == {}
    assert sm.training_list(user=users.city).get(pk=events["city"].pk).cancelled_at is not None
