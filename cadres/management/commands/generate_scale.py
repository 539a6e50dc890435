"""`manage.py generate_scale`: fill the database with a synthetic province at production scale (bench.generate)."""
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from bench.generate import (
    PROVINCE_NAME,
    PROVINCE_PREFIX,
    SCALE_PASSWORD,
    GenerationRefused,
    format_counts,
    generate,
    table_counts,
    tally_mismatches,
)


class Command(BaseCommand):
    help = (
        f"生成规模测试数据:虚构的{PROVINCE_NAME}(区划代码 {PROVINCE_PREFIX} 开头),按 --cadres 的人数配比市、县、乡镇、"
        "村(约每村4人)、派驻单位(约每单位20人),一个派驻轮次和派驻记录(约2%年内召回并替补),以及 --year 全年的考勤簿、"
        "月度统计、月度确认、请假(约每人2条,各种状态,按默认审批规则)、培训、督查及整改、民情日记、年度考核、奖惩和帮扶台账。"
        f"生成的账号(org98…、tsp…、unit…、cadre…)密码均为 {SCALE_PASSWORD}。"
        "同一 --seed 生成的数据相同。PostgreSQL 上用 COPY 写入并在写考勤簿时暂时重建索引,完成后 VACUUM ANALYZE;"
        "其他数据库用批量 INSERT(只适合小规模)。"
        "数据库中已有该省时拒绝运行;加 --force 先删除该省及依附于它的全部数据(其他数据不动)。"
        "--check 只列出各表行数并核对月度统计与考勤簿是否一致。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--cadres", type=int, default=60000, help="驻村干部人数(默认 60000)")
        parser.add_argument("--year", type=int, default=None, help="生成考勤等数据的年度(默认去年)")
        parser.add_argument("--seed", type=int, default=1, help="随机种子(默认 1)")
        parser.add_argument("--force", action="store_true", help="已有生成数据时先删除再生成")
        parser.add_argument("--check", action="store_true", help="不生成,只列出各表行数并核对月度统计")
        parser.add_argument(
            "--keep-indexes", action="store_true",
            help="写考勤簿时不暂时删除索引和约束(用于比较速度;PostgreSQL 上默认会删除后重建)",
        )

    def handle(self, *args, **options) -> None:
        if options["check"]:
            self.stdout.write("各表行数:\n" + format_counts(table_counts()))
            mismatches = tally_mismatches()
            if mismatches:
                raise CommandError(f"月度统计与考勤簿不一致:{mismatches} 处(可用 register_tallies --rebuild 重算)")
            self.stdout.write("月度统计与考勤簿一致。\n")
            return
        year = options["year"] or timezone.localdate().year - 1
        try:
            generate(
                cadres=options["cadres"], year=year, seed=options["seed"], force=options["force"],
                stdout=self.stdout, suspend_indexes=not options["keep_indexes"],
            )
        except GenerationRefused as exc:
            raise CommandError(str(exc)) from exc
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
