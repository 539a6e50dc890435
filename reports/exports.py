"""Raw tables of a jurisdiction as Excel (admins): cadres (ID numbers masked), postings, leave, register.
Streamed from the database with iterator() into the write-only workbook, so memory stays flat."""
from django.utils.translation import gettext as _

from attendance.models import AttendanceDay, DaySource, DayStatus, LeaveRequest
from cadres.models import Cadre, Posting
from cadres.validators import mask_id_number
from villages.models import Region

from .excel import Column, new_workbook, write_list
from .models import ReportKind


def _unit_line(region: Region) -> str:
    return _("导出范围:%(region)s(身份证号码已脱敏)") % {"region": region.name}


def write_raw(*, kind: str, region: Region, path, progress=None) -> int:
    prefix = region.prefix
    wb = new_workbook()
    on_row = (lambda n: progress(min(95, 5 + n // 1000))) if progress else None
    if kind == ReportKind.RAW_CADRES:
        posted = Posting.objects.filter(village__code__startswith=prefix).values("cadre_id")
        qs = (Cadre.objects.filter(id__in=posted) | Cadre.objects.filter(unit__region__code__startswith=prefix))
        rows = (
            [c.name, c.get_gender_display(), c.ethnicity, c.birth_date, mask_id_number(c.id_number), c.phone,
             c.get_political_status_display(), c.get_education_display(), c.unit.name, c.original_post,
             c.get_rank_display(), _("是") if c.is_reserve_cadre else _("否")]
            for c in qs.distinct().select_related("unit").order_by("pk").iterator(chunk_size=2000)
        )
        columns = [Column(_("姓名"), width=9), Column(_("性别"), width=5), Column(_("民族"), width=6),
                   Column(_("出生日期"), width=11, number_format="yyyy-mm-dd"), Column(_("身份证号码"), width=20),
                   Column(_("手机号码"), width=13), Column(_("政治面貌"), width=9), Column(_("学历"), width=9),
                   Column(_("原单位"), width=20), Column(_("原职务"), width=20), Column(_("职级"), width=10),
                   Column(_("后备干部"), width=6)]
        title = _("驻村干部名册")
    elif kind == ReportKind.RAW_POSTINGS:
        qs = Posting.objects.filter(village__code__startswith=prefix).select_related(
            "cadre", "village__township", "round", "unit", "replaces__cadre")
        rows = (
            [p.cadre.name, p.village.township.name, p.village.name, p.village.code, p.round.name, p.get_role_display(),
             p.unit.name, p.start_date, p.end_date, p.get_status_display(), p.replaces.cadre.name if p.replaces else ""]
            for p in qs.order_by("village__code", "start_date", "pk").iterator(chunk_size=2000)
        )
        columns = [Column(_("干部"), width=9), Column(_("乡镇"), width=12), Column(_("村"), width=12),
                   Column(_("村代码"), width=14), Column(_("轮次"), width=8), Column(_("职务"), width=9),
                   Column(_("派驻单位"), width=20), Column(_("到岗日期"), width=11, number_format="yyyy-mm-dd"),
                   Column(_("离岗日期"), width=11, number_format="yyyy-mm-dd"), Column(_("状态"), width=8),
                   Column(_("替补对象"), width=9)]
        title = _("派驻记录")
    elif kind == ReportKind.RAW_LEAVE:
        qs = LeaveRequest.objects.filter(village__code__startswith=prefix).select_related(
            "cadre", "village__township", "approver_region")
        rows = (
            [x.cadre.name, x.village.township.name, x.village.name, x.get_kind_display(), x.start_date,
             x.get_start_half_display(), x.end_date, x.get_end_half_display(), float(x.days), x.get_status_display(),
             f"{x.approver_region or ''}{x.get_approver_level_display() or ''}", _("是") if x.is_retroactive else "",
             x.returned_on, x.late_days, x.reason]
            for x in qs.order_by("start_date", "pk").iterator(chunk_size=2000)
        )
        columns = [Column(_("干部"), width=9), Column(_("乡镇"), width=12), Column(_("村"), width=12),
                   Column(_("类型"), width=8), Column(_("开始"), width=11, number_format="yyyy-mm-dd"),
                   Column(_("开始于"), width=6), Column(_("结束"), width=11, number_format="yyyy-mm-dd"),
                   Column(_("结束于"), width=6), Column(_("天数"), width=6, number_format="0.0", total=True),
                   Column(_("状态"), width=8), Column(_("审批单位"), width=16), Column(_("补办"), width=5),
                   Column(_("实际返岗"), width=11, number_format="yyyy-mm-dd"),
                   Column(_("逾期天数"), width=6, number_format="0", total=True), Column(_("事由"), width=30)]
        title = _("请假记录")
    elif kind == ReportKind.RAW_REGISTER:
        qs = AttendanceDay.objects.filter(posting__village__code__startswith=prefix)
        status_label, source_label = dict(DayStatus.choices), dict(DaySource.choices)
        rows = (
            [name, town, village, day, status_label.get(status, status), source_label.get(source, source),
             _("是") if flagged else "", note]
            for name, town, village, day, status, source, flagged, note in qs.order_by("posting__village__code", "cadre_id", "day")
            .values_list("cadre__name", "posting__village__township__name", "posting__village__name", "day", "status",
                         "source", "flagged", "note").iterator(chunk_size=5000)
        )
        columns = [Column(_("干部"), width=9), Column(_("乡镇"), width=12), Column(_("村"), width=12),
                   Column(_("日期"), width=11, number_format="yyyy-mm-dd"), Column(_("状态"), width=8),
                   Column(_("来源"), width=10), Column(_("异常"), width=5), Column(_("备注"), width=30)]
        title = _("考勤簿")
    else:
        raise ValueError(kind)
    count = write_list(wb, title, _("%(region)s%(title)s") % {"region": region.name, "title": title},
                       _unit_line(region), columns, rows, on_row=on_row)
    wb.save(path)
    return count
