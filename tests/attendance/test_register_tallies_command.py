import datetime

import pytest
from django.core.management import CommandError, call_command

from attendance.models import DayStatus, MonthlyTally
from attendance.services.register import Entry, register_write


@pytest.mark.django_db
def test_it_reports_a_drifted_tally_and_rebuilds_it(org, users, capsys):
    register_write(
        entries=[Entry(cadre_id=org.c_a1_sec.pk, day=datetime.date(2026, 10, d), status=DayStatus.PRESENT)
                 for d in (1, 2, 3)],
        source="township", actor=users.township,
    )
    call_command("register_tallies", "--check")
    assert "agree" in capsys.readouterr().out
    MonthlyTally.objects.filter(posting=org.p_a1_sec).update(present=5)  # simulate drift
    with pytest.raises(CommandError, match="1 tallies differ"):
        call_command("register_tallies", "--check")
    call_command("register_tallies", "--rebuild")
    assert MonthlyTally.objects.get(posting=org.p_a1_sec).present == 3
    call_command("register_tallies", "--check")
