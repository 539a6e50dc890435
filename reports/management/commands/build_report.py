"""Build one report synchronously (for admins and the benchmark):

    python manage.py build_report monthly --period 2026-10 [--region CODE] --output FILE.xlsx
    python manage.py build_report annual --period 2026 [--region CODE] --output FILE.xlsx

Without --region, the top region (the region with no parent: the city in the demo data)."""
import datetime
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reports import builders
from reports.models import ReportKind
from reports.services import parse_period
from villages.models import Region, RegionLevel


class Command(BaseCommand):
    help = "Build a monthly or annual report synchronously and write it to an xlsx file."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=[ReportKind.MONTHLY, ReportKind.ANNUAL])
        parser.add_argument("--period", required=True, help="YYYY-MM for monthly, YYYY for annual")
        parser.add_argument("--region", help="12-digit division code of a city, county or township")
        parser.add_argument("--output", required=True, help="path of the .xlsx file to write")
        parser.add_argument("--as-of", help="YYYY-MM-DD: compute as if on this day (default: today)")

    def handle(self, *args, kind, period, region, output, as_of, **options):
        try:
            value = parse_period(kind, period)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        if region:
            target = Region.objects.filter(code=region.strip()).first()
            if target is None:
                raise CommandError(f"未找到区划代码 {region}(unknown region code)")
        else:
            target = Region.objects.filter(parent__isnull=True).order_by("level", "code").first()
            if target is None:
                raise CommandError("数据库中没有任何区划(no regions in the database)")
        if target.level > RegionLevel.TOWNSHIP:
            raise CommandError("报表只能按市、县(区)或乡镇生成")
        try:
            day = datetime.date.fromisoformat(as_of) if as_of else None
        except ValueError as exc:
            raise CommandError(f"--as-of 日期格式不正确: {as_of}") from exc
        started = time.perf_counter()
        try:
            if kind == ReportKind.MONTHLY:
                rows = builders.write_monthly(region=target, month=value, as_of=day, path=output)
            else:
                rows = builders.write_annual(region=target, year=value, as_of=day or timezone.localdate(), path=output)
        except OSError as exc:
            raise CommandError(f"无法写入文件 {output}: {exc}") from exc
        elapsed = time.perf_counter() - started
        self.stdout.write(f"{target.name} {kind} {period}: {rows} rows -> {output} ({elapsed:.2f}s)")
