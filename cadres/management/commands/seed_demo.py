"""`manage.py seed_demo`: load the 青山市 demo data and accounts (see cadres.demo), then a year of attendance,
leave and check-ins (attendance.demo), the management records — recalls, evaluations, awards
(cadres.demo_management), inspections, training and the work diary (attendance.demo_management) — and the
units' support ledger (villages.demo); safe to run again."""
from django.core.management.base import BaseCommand

from attendance.demo import seed_attendance
from attendance.demo_management import seed_management_attendance
from cadres.demo import seed_demo
from cadres.demo_management import seed_management
from villages.demo import seed_support


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
        self.stdout.write("\n")
        seed_management_attendance(stdout=self.stdout)
        self.stdout.write("\n")
        seed_support(stdout=self.stdout)
