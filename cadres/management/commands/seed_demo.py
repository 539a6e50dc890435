"""`manage.py seed_demo`: load the 青山市 demo data and accounts (see cadres.demo), then a year of attendance,
leave and check-ins on top (see attendance.demo); safe to run again."""
from django.core.management.base import BaseCommand

from attendance.demo import seed_attendance
from cadres.demo import seed_demo


class Command(BaseCommand):
    help = (
        "载入演示数据(虚构的青山市:区划、村、派驻单位、轮次、干部、派驻记录和各角色演示账号),"
        "以及截至今天一年的考勤、请假销假和自主签到记录;可重复运行。"
    )

    def handle(self, *args, **options) -> None:
        seed_demo(stdout=self.stdout)
        self.stdout.write("\n")
        seed_attendance(stdout=self.stdout)
