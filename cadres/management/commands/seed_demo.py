"""`manage.py seed_demo`: load the 青山市 demo data and accounts (see cadres.demo), then a year of attendance,
leave and check-ins (attendance.demo), the management records — recalls, evaluations, awards
(cadres.demo_management), inspections, training and the work diary (attendance.demo_management) — and the
units' support ledger (villages.demo); safe to run again."""
from django.core.management.base import BaseCommand

from attendance.demo import seed_attendance
from cadres.demo import seed_demo
from cadres.demo_management import seed_management


class Command(BaseCommand):
    help = (
        "载入演示数据(虚构的青山市:区划、村、派驻单位、轮次、干部、派驻记录和各角色演示账号),"
        "以及截至今天一年的考勤、请假销假、自主签到、召回、考核、奖惩、督查、培训、民情日记和帮扶台账;可重复运行。"
    )

    def handle(self, *args, **options) -> None:
        seed_demo(stdout=self.stdout)
        self.stdout.write("\n")
        seed_attendance(stdout=self.stdout)
        self.stdout.write("\n")
        seed_management(stdout=self.stdout)
        try:
            from attendance.demo_management import seed_management_attendance
        except ImportError:  # pragma: no cover - present once the inspection module is installed
            seed_management_attendance = None
        if seed_management_attendance is not None:
            self.stdout.write("\n")
            seed_management_attendance(stdout=self.stdout)
        from villages.demo import seed_support

        self.stdout.write("\n")
        seed_support(stdout=self.stdout)
