"""Demo support ledger (帮扶台账) for the dispatching units of the demo city: deterministic and idempotent.

For every unit with cadres in post and each year of the current round: funds and projects brought to the
villages of its cadres, a leader visit and two report hearings — except for a few units that miss them, so
the ledger's flags have something to show."""
import datetime
import hashlib
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from cadres.models import Posting

from .models import SupportKind, SupportRecord

PROJECTS = ["油茶种植基地", "光伏发电", "村级道路硬化", "农产品冷链仓储", "乡村旅游民宿", "饮水安全工程", "电商服务站"]


def _pick(*parts: object) -> int:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:8], 16)


@transaction.atomic
def seed_support(*, today: datetime.date | None = None, stdout=None) -> dict:
    today = today or timezone.localdate()
    created = 0
    units: dict[int, list[Posting]] = {}
    for posting in Posting.objects.select_related("unit", "village").order_by("unit_id", "village__code"):
        units.setdefault(posting.unit_id, []).append(posting)
    for postings in units.values():
        unit = postings[0].unit
        villages = sorted({p.village for p in postings}, key=lambda v: v.code)
        for year in (today.year - 1, today.year):
            first_village = villages[_pick(unit.name, year) % len(villages)]
            rows = []
            h = _pick(unit.name, year, "flags")
            if h % 7 != 0:  # about one unit in seven has no leader visit this year: flagged
                rows.append((SupportKind.LEADER_VISIT, datetime.date(year, 4 + h % 6, 3 + h % 20), None,
                             "单位主要负责同志到村调研走访", first_village))
            hearings = [datetime.date(year, 6, 20), datetime.date(year, 12, 15)]
            if h % 5 == 0:
                hearings = hearings[:1]  # one hearing only: flagged for the second half-year
            for day in hearings:
                rows.append((SupportKind.REPORT_HEARING, day, None, "听取驻村第一书记工作汇报", first_village))
            for i, village in enumerate(villages[:3]):
                amount = Decimal(20000 + _pick(unit.name, village.code, year) % 30 * 10000)
                rows.append((SupportKind.FUNDS, datetime.date(year, 3 + i * 3, 10), amount,
                             "划拨驻村帮扶工作经费", village))
                if _pick(unit.name, village.code, year, "p") % 3 == 0:
                    project = PROJECTS[_pick(village.code, year) % len(PROJECTS)]
                    rows.append((SupportKind.PROJECT, datetime.date(year, 5 + i * 2, 18), amount * 3,
                                 f"引进{project}项目", village))
            for kind, day, amount, title, village in rows:
                if day > today:
                    continue
                _obj, made = SupportRecord.objects.get_or_create(
                    unit=unit, village=village, kind=kind, date=day,
                    defaults={"amount_yuan": amount, "title": title},
                )
                created += made
    summary = {"created": created, "total": SupportRecord.objects.count()}
    if stdout is not None:
        stdout.write(f"帮扶台账:新建 {created} 条,共 {summary['total']} 条\n")
    return summary
