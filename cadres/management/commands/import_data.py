"""Bulk import from the command line (the same code as the import page, see cadres.bulk_import):

    python manage.py import_data villages|units|cadres|postings FILE.xlsx [--dry-run] [--user USERNAME]

Every bad row is printed with its row number and reason, and the command exits with status 1 without writing
anything. --dry-run checks the file and reports what would be created or updated. --user imports inside that
user's jurisdiction (an organization department or admin); without it the command acts as the system."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cadres.bulk_import import ImportKind, Outcome, import_file, may_import
from cadres.models import User


class Command(BaseCommand):
    help = "从Excel批量导入村、派驻单位、驻村干部或派驻记录;文件有任何一行有问题则全部不导入,并逐行列出原因。"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(ImportKind.values), help="villages | units | cadres | postings")
        parser.add_argument("file", help="the .xlsx file (use the template from the import page)")
        parser.add_argument("--dry-run", action="store_true", help="check only; report what would change")
        parser.add_argument("--user", help="import as this user, inside their jurisdiction")

    def handle(self, *args, kind, file, dry_run, user, **options):
        actor = None
        if user:
            actor = User.objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(_("未找到用户 %(name)s。") % {"name": user})
            if not may_import(actor):
                raise CommandError(_("用户 %(name)s 没有批量导入的权限(限组织部和管理员)。") % {"name": user})
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("文件不存在:%(path)s") % {"path": file})
        with path.open("rb") as handle:
            result = import_file(actor=actor, kind=kind, file=handle, dry_run=dry_run, file_name=path.name)

        if result.errors:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(
                _("文件有%(n)d处问题,未导入任何数据。请修改后重新导入。") % {"n": len(result.errors)}
            )
        if dry_run:
            for action in result.actions:
                if action.outcome != Outcome.UNCHANGED:
                    self.stdout.write(_("第%(row)d行:将%(outcome)s %(label)s") % {
                        "row": action.row, "outcome": Outcome(action.outcome).label, "label": action.label})
            summary = _("检查通过(未写入):将新增%(created)d条,更新%(updated)d条,%(unchanged)d条无变化。")
        else:
            summary = _("导入完成:新增%(created)d条,更新%(updated)d条,%(unchanged)d条无变化。")
        self.stdout.write(self.style.SUCCESS(summary % {
            "created": result.created, "updated": result.updated, "unchanged": result.unchanged}))
