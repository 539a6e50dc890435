"""The report schedule as django-celery-beat rows, so admins can see and change it in the admin."""
import json

from django.db import migrations

TZ = "Asia/Shanghai"
TASKS = [
    # name, task, crontab (minute, hour, day_of_month, month_of_year)
    ("月报:每日检查确认截止日并生成上月月报", "reports.tasks.schedule_monthly_reports", ("0", "2", "*", "*")),
    ("年报:1月10日生成上年度年报", "reports.tasks.schedule_annual_reports", ("0", "2", "10", "1")),
    ("报表:重新排队因队列中断而未执行的申请", "reports.tasks.requeue_stalled_reports", ("*/15", "*", "*", "*")),
]


def add_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, (minute, hour, dom, moy) in TASKS:
        schedule, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_month=dom, month_of_year=moy, day_of_week="*", timezone=TZ
        )
        PeriodicTask.objects.update_or_create(
            name=name, defaults={"task": task, "crontab": schedule, "args": json.dumps([]), "enabled": True}
        )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[t[0] for t in TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
