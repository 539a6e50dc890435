"""Two approvers clicking "approve" on the same leave at the same moment: exactly one wins.

Real concurrency needs real transactions and a database that locks rows, so this runs on PostgreSQL only
(each thread has its own connection; the conditional UPDATE in _decide makes the second one find the row no
longer submitted once the first commits).
"""
import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from attendance.models import AttendanceDay, LeaveEvent, LeaveRequest, LeaveStatus, MonthlyTally
from attendance.services import leave_approve, leave_request, leave_return, tally_differences
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_it_approves_a_leave_only_once_under_concurrent_clicks(transactional_db, org, users, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: datetime.date(2026, 11, 10))
    second_official = UserFactory(username="t_township_2nd", role=users.township.role, region=org.town_a1)
    leave = leave_request(actor=users.cadre, cadre=org.c_a1_mem, kind="personal", start_date=datetime.date(2026, 11, 16),
                          end_date=datetime.date(2026, 11, 18), reason="家中有事")
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def approve(user) -> None:
        try:
            barrier.wait(timeout=10)
            results[user.username] = leave_approve(actor=user, leave_id=leave.pk, comment=user.username)
        except ValidationError as exc:
            results[user.username] = exc
        except Exception as exc:  # anything else fails the test below with its repr
            results[user.username] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in (users.township, second_official)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert len(results) == 2, results
    winners = [name for name, r in results.items() if isinstance(r, LeaveRequest)]
    losers = [r for r in results.values() if isinstance(r, ValidationError)]
    assert len(winners) == 1, results
    assert len(losers) == 1, results
    assert losers[0].messages == ["这条请假已经处理过了,不能重复审批。"]
    assert "已经处理过" in losers[0].messages[0]

    leave.refresh_from_db()
    assert (leave.status, leave.decided_by.username, leave.decision_comment) == (
        LeaveStatus.APPROVED, winners[0], winners[0])
    assert LeaveEvent.objects.filter(leave=leave, action="approve").count() == 1
    assert sorted(AttendanceDay.objects.filter(leave=leave).values_list("day", flat=True)) == [
        datetime.date(2026, 11, 16), datetime.date(2026, 11, 17), datetime.date(2026, 11, 18)]
    assert MonthlyTally.objects.get(posting=org.p_a1_mem).leave == 3
    assert tally_differences() == []


def test_it_records_a_return_only_once_under_concurrent_clicks(transactional_db, org, users, monkeypatch):
    # The cadre and the township official both report the return of a leave at the same moment.
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: datetime.date(2026, 11, 10))
    leave = leave_request(actor=users.cadre, cadre=org.c_a1_mem, kind="personal", start_date=datetime.date(2026, 11, 16),
                          end_date=datetime.date(2026, 11, 18), reason="家中有事")
    leave_approve(actor=users.township, leave_id=leave.pk)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: datetime.date(2026, 11, 21))
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def report(user) -> None:
        try:
            barrier.wait(timeout=10)
            results[user.username] = leave_return(actor=user, leave_id=leave.pk, returned_on=datetime.date(2026, 11, 21))
        except ValidationError as exc:
            results[user.username] = exc
        except Exception as exc:
            results[user.username] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=report, args=(u,)) for u in (users.cadre, users.township)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert len(results) == 2, results
    assert sum(isinstance(r, LeaveRequest) for r in results.values()) == 1, results
    losers = [r for r in results.values() if isinstance(r, ValidationError)]
    assert [e.messages for e in losers] == [["只有已批准的请假可以销假。"]], results
    assert LeaveEvent.objects.filter(leave=leave, action="return").count() == 1
    # 21 November was expected back on the 19th: 19 and 20 absent, once.
    assert sorted(AttendanceDay.objects.filter(cadre=org.c_a1_mem, status="absent").values_list("day", flat=True)) == [
        datetime.date(2026, 11, 19), datetime.date(2026, 11, 20)]
    assert tally_differences() == []
