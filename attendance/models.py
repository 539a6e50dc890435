import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cadres.models import Cadre, Posting
from villages.models import Region, RegionLevel, Village


class DayStatus(models.TextChoices):
    PRESENT = "present", _("在村")
    LEAVE = "leave", _("请假")
    BUSINESS = "business", _("因公外出")
    TRAINING = "training", _("培训")
    ABSENT = "absent", _("缺勤")
    NOT_RECORDED = "none", _("未记录")


class DaySource(models.TextChoices):
    TOWNSHIP = "township", _("乡镇录入")
    LEAVE = "leave", _("请假审批")
    TRAINING = "training", _("培训活动")
    CHECKIN = "checkin", _("自主签到")
    IMPORT = "import", _("考勤导入")
    INSPECTION = "inspection", _("督查发现")
    RETURN = "return", _("销假逾期")
    CORRECTION = "correction", _("更正审批")


class AttendanceDay(models.Model):
    """考勤簿: one row per cadre per recorded day. A day without a row is "not recorded".

    Check-ins and imported punches are not written here: they are EvidenceDay rows that the grid shows as
    suggestions until the township accepts them (evidence, not verdict). Every write goes through
    attendance.services.register_write, which keeps the history and the monthly tallies exact."""

    cadre = models.ForeignKey(Cadre, on_delete=models.CASCADE, related_name="register", verbose_name=_("干部"))
    day = models.DateField(_("日期"))
    posting = models.ForeignKey(Posting, on_delete=models.CASCADE, related_name="register", verbose_name=_("派驻记录"))
    status = models.CharField(_("状态"), max_length=10, choices=DayStatus.choices)
    source = models.CharField(_("来源"), max_length=12, choices=DaySource.choices)
    flagged = models.BooleanField(_("标记异常"), default=False)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    leave = models.ForeignKey(
        "LeaveRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="register_days", verbose_name=_("请假")
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("录入人"),
    )
    set_at = models.DateTimeField(_("录入时间"), auto_now=True)

    class Meta:
        verbose_name = _("考勤记录")
        verbose_name_plural = _("考勤记录")
        constraints = [models.UniqueConstraint(fields=["cadre", "day"], name="register_one_row_per_cadre_day")]
        indexes = [
            models.Index(fields=["posting", "day"], name="register_posting_day"),
            # Absences found by inspections are counted per year for every cadre (evaluation limits, reports):
            # a small partial index instead of a scan of the year's register.
            models.Index(fields=["cadre", "day"], condition=models.Q(source="inspection"), name="register_inspection"),
        ]

    def __str__(self) -> str:
        return f"{self.cadre} {self.day} {self.get_status_display()}"


class MonthlyTally(models.Model):
    """Per posting and month, the number of register days in each status. Kept exact by
    attendance.services.register_write in the same transaction as the rows (so compliance pages and reports
    read a few rows per cadre instead of scanning the register); `manage.py register_tallies --check`
    compares them with the raw register and `--rebuild` recomputes them."""

    posting = models.ForeignKey(Posting, on_delete=models.CASCADE, related_name="tallies")
    cadre = models.ForeignKey(Cadre, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="first day of the month")
    present = models.PositiveSmallIntegerField(default=0)
    leave = models.PositiveSmallIntegerField(default=0)
    business = models.PositiveSmallIntegerField(default=0)
    training = models.PositiveSmallIntegerField(default=0)
    absent = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["posting", "month"], name="tally_one_per_posting_month")]
        indexes = [models.Index(fields=["month", "posting"], name="tally_month_posting")]

    @property
    def recorded(self) -> int:
        return self.present + self.leave + self.business + self.training + self.absent


class EvidenceSource(models.TextChoices):
    CHECKIN = "checkin", _("自主签到")
    DINGTALK = "dingtalk", _("钉钉导入")
    WECOM = "wecom", _("企业微信导入")


class EvidenceDay(models.Model):
    """A suggestion for one register day from a check-in or an imported attendance export. The township
    accepts or overrides it; it never counts by itself."""

    cadre = models.ForeignKey(Cadre, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("干部"))
    day = models.DateField(_("日期"))
    source = models.CharField(_("来源"), max_length=10, choices=EvidenceSource.choices)
    status = models.CharField(_("建议状态"), max_length=10, choices=DayStatus.choices)
    flagged = models.BooleanField(_("存疑"), default=False)
    detail = models.CharField(_("说明"), max_length=300, blank=True)
    batch = models.ForeignKey(
        "ImportBatch", null=True, blank=True, on_delete=models.CASCADE, related_name="days", verbose_name=_("导入批次")
    )

    class Meta:
        verbose_name = _("考勤佐证")
        verbose_name_plural = _("考勤佐证")
        constraints = [models.UniqueConstraint(fields=["cadre", "day", "source"], name="evidence_one_per_source_day")]


class ImportBatch(models.Model):
    """One imported DingTalk/WeCom monthly export (all-or-nothing)."""

    source = models.CharField(_("来源"), max_length=10, choices=EvidenceSource.choices)
    township = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("乡镇"))
    month = models.DateField(_("月份"))
    file_name = models.CharField(_("文件名"), max_length=200)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("导入人")
    )
    imported_at = models.DateTimeField(_("导入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("考勤导入批次")
        verbose_name_plural = _("考勤导入批次")
        ordering = ["-imported_at"]


class AttendanceChange(models.Model):
    """The register's history: every change of a day, with the value before and after."""

    cadre = models.ForeignKey(Cadre, on_delete=models.CASCADE, related_name="+", verbose_name=_("干部"))
    day = models.DateField(_("日期"))
    old_status = models.CharField(_("原状态"), max_length=10, choices=DayStatus.choices)
    old_source = models.CharField(_("原来源"), max_length=12, blank=True)
    new_status = models.CharField(_("新状态"), max_length=10, choices=DayStatus.choices)
    new_source = models.CharField(_("新来源"), max_length=12, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("操作人"),
    )
    changed_at = models.DateTimeField(_("时间"), auto_now_add=True)
    reason = models.CharField(_("原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("考勤变更记录")
        verbose_name_plural = _("考勤变更记录")
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["cadre", "day"], name="register_change_cadre_day")]


class MonthConfirmation(models.Model):
    """A township's confirmation of one month of the register; after it the month is locked."""

    township = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("乡镇"))
    month = models.DateField(_("月份"), help_text=_("该月1日"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("确认人")
    )
    confirmed_at = models.DateTimeField(_("确认时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("月度考勤确认")
        verbose_name_plural = _("月度考勤确认")
        constraints = [
            models.UniqueConstraint(fields=["township", "month"], name="month_confirmed_once"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="month_confirmation_first_day"),
        ]


class CorrectionStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")


class CorrectionRequest(models.Model):
    """A change to a confirmed month: the township asks, the county organization department decides."""

    cadre = models.ForeignKey(Cadre, on_delete=models.CASCADE, related_name="+", verbose_name=_("干部"))
    day = models.DateField(_("日期"))
    township = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("乡镇"))
    county = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("县(区)"))
    old_status = models.CharField(_("原状态"), max_length=10, choices=DayStatus.choices)
    new_status = models.CharField(_("更正为"), max_length=10, choices=DayStatus.choices)
    reason = models.CharField(_("更正理由"), max_length=300)
    status = models.CharField(
        _("审批状态"), max_length=10, choices=CorrectionStatus.choices, default=CorrectionStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("申请人")
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("审批人"),
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_comment = models.CharField(_("审批意见"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("考勤更正申请")
        verbose_name_plural = _("考勤更正申请")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            # One pending request per cadre and day, also when two arrive at the same moment.
            models.UniqueConstraint(
                fields=["cadre", "day"], condition=models.Q(status="pending"), name="correction_one_pending_per_day"
            ),
        ]


class LeaveKind(models.TextChoices):
    PERSONAL = "personal", _("事假")
    SICK = "sick", _("病假")
    FAMILY = "family", _("探亲假")
    WEDDING_FUNERAL = "wedding_funeral", _("婚丧假")
    OTHER = "other", _("其他")


class LeaveStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")
    RETURNED = "returned", _("已销假")


class HalfDay(models.TextChoices):
    AM = "am", _("上午")
    PM = "pm", _("下午")


class LeaveRequest(models.Model):
    """请假: from the first half-day away to the last. Length = calendar days inclusive, minus half a day when
    the leave starts in the afternoon or ends at noon. Routing (approver level, filing levels) is fixed from
    the policy when the request is submitted."""

    cadre = models.ForeignKey(Cadre, on_delete=models.PROTECT, related_name="leaves", verbose_name=_("干部"))
    posting = models.ForeignKey(Posting, on_delete=models.PROTECT, related_name="leaves", verbose_name=_("派驻记录"))
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+", verbose_name=_("派驻村"))
    kind = models.CharField(_("请假类型"), max_length=20, choices=LeaveKind.choices, default=LeaveKind.PERSONAL)
    start_date = models.DateField(_("开始日期"))
    start_half = models.CharField(_("开始于"), max_length=2, choices=HalfDay.choices, default=HalfDay.AM)
    end_date = models.DateField(_("结束日期"))
    end_half = models.CharField(_("结束于"), max_length=2, choices=HalfDay.choices, default=HalfDay.PM)
    days = models.DecimalField(_("天数"), max_digits=5, decimal_places=1)
    total_days = models.DecimalField(
        _("累计天数"), max_digits=5, decimal_places=1, help_text=_("续假时为原请假与续假的合计,据此确定审批层级。")
    )
    reason = models.TextField(_("请假事由"))
    status = models.CharField(_("状态"), max_length=10, choices=LeaveStatus.choices, default=LeaveStatus.DRAFT)
    extends = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="extensions", verbose_name=_("续假自")
    )
    is_retroactive = models.BooleanField(_("补办"), default=False)
    retroactive_reason = models.CharField(_("补办理由"), max_length=300, blank=True)
    approver_level = models.PositiveSmallIntegerField(
        _("审批层级"), choices=RegionLevel.choices, null=True, blank=True
    )
    approver_region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("审批单位")
    )
    filed_with = models.ManyToManyField(Region, blank=True, related_name="+", verbose_name=_("备案单位"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("申请人")
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("审批人"),
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_comment = models.CharField(_("审批意见"), max_length=300, blank=True)
    returned_on = models.DateField(_("实际返岗日期"), null=True, blank=True)
    returned_at = models.DateTimeField(_("销假时间"), null=True, blank=True)
    late_days = models.PositiveSmallIntegerField(_("逾期天数"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("请假")
        verbose_name_plural = _("请假")
        ordering = ["-start_date", "-pk"]
        indexes = [
            models.Index(fields=["status", "approver_region"], name="leave_queue"),
            models.Index(fields=["cadre", "start_date"], name="leave_cadre_start"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")), name="leave_dates_ordered"),
            models.CheckConstraint(condition=models.Q(days__gt=0), name="leave_days_positive"),
        ]

    def __str__(self) -> str:
        return str(
            _("%(cadre)s %(kind)s %(start)s至%(end)s")
            % {"cadre": self.cadre, "kind": self.get_kind_display(), "start": self.start_date, "end": self.end_date}
        )

    def get_absolute_url(self) -> str:
        return reverse("attendance:leave_detail", args=[self.pk])

    @staticmethod
    def length(start: datetime.date, start_half: str, end: datetime.date, end_half: str) -> Decimal:
        days = Decimal((end - start).days + 1)
        if start_half == HalfDay.PM:
            days -= Decimal("0.5")
        if end_half == HalfDay.AM:
            days -= Decimal("0.5")
        return days

    def full_days(self) -> list[datetime.date]:
        """Days wholly on leave: these fill the register. A half day at either end stays with the township,
        since the cadre is in the village for the other half."""
        first = self.start_date if self.start_half == HalfDay.AM else self.start_date + datetime.timedelta(days=1)
        last = self.end_date if self.end_half == HalfDay.PM else self.end_date - datetime.timedelta(days=1)
        return [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)] if last >= first else []

    @property
    def is_overdue_return(self) -> bool:
        from django.utils import timezone

        return self.status == LeaveStatus.APPROVED and self.end_date < timezone.localdate()


class LeaveEvent(models.Model):
    """The history of a leave request, shown to everyone involved."""

    leave = models.ForeignKey(LeaveRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=20)
    comment = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField(auto_now_add=True)
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=200, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]


class CheckIn(models.Model):
    """Optional self check-in (off unless the jurisdiction's policy enables it). Evidence only: it pre-fills
    the register for the township to confirm and never decides a day on its own."""

    cadre = models.ForeignKey(Cadre, on_delete=models.CASCADE, related_name="checkins", verbose_name=_("干部"))
    posting = models.ForeignKey(Posting, on_delete=models.CASCADE, related_name="checkins", verbose_name=_("派驻记录"))
    at = models.DateTimeField(_("签到时间"))
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6)
    accuracy_m = models.PositiveIntegerField(_("定位精度(米)"))
    distance_m = models.PositiveIntegerField(_("距村距离(米)"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    user_agent = models.CharField(_("浏览器"), max_length=300, blank=True)
    outside_radius = models.BooleanField(_("超出范围"), default=False)
    poor_accuracy = models.BooleanField(_("精度差"), default=False)
    impossible_speed = models.BooleanField(_("位置异常"), default=False)

    class Meta:
        verbose_name = _("签到")
        verbose_name_plural = _("签到")
        ordering = ["-at"]
        indexes = [models.Index(fields=["cadre", "at"], name="checkin_cadre_at")]

    def __str__(self) -> str:
        return f"{self.cadre} {self.at:%Y-%m-%d %H:%M}"

    @property
    def is_flagged(self) -> bool:
        return self.outside_radius or self.poor_accuracy or self.impossible_speed


# ---------------------------------------------------------------- management systems (六项管理制度)
# Inspections and accountability (督查 / 暗访 / 问责 / 整改), training, theory study and work exchange, and
# the work diary (民情日记). Written by attendance.services.{inspection,training,diary}; read through
# attendance.selectors_management.


class InspectionKind(models.TextChoices):
    PLANNED = "planned", _("督查")
    UNANNOUNCED = "unannounced", _("暗访")


class Inspection(models.Model):
    """One visit by an organization department (county or city) to one or more villages on one day, with a
    finding for every cadre posted there on that day. Recorded once; the findings are the facts the register,
    the evaluation limits and the reports are computed from."""

    Kind = InspectionKind

    date = models.DateField(_("督查日期"))
    kind = models.CharField(_("方式"), max_length=12, choices=InspectionKind.choices, default=InspectionKind.PLANNED)
    inspectors = models.CharField(_("督查人员"), max_length=200)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("组织单位"))
    villages = models.ManyToManyField(Village, related_name="inspections", verbose_name=_("督查村"))
    note = models.TextField(_("督查情况"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("录入人")
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("督查")
        verbose_name_plural = _("督查")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["region", "date"], name="inspection_region_date")]

    def __str__(self) -> str:
        return str(_("%(date)s %(kind)s") % {"date": self.date.isoformat(), "kind": self.get_kind_display()})

    def get_absolute_url(self) -> str:
        return reverse("attendance:inspection_detail", args=[self.pk])


class FindingResult(models.TextChoices):
    PRESENT = "present", _("在岗")
    ABSENT = "absent", _("不在岗")
    ON_LEAVE = "on_leave", _("请假")
    BUSINESS = "business", _("因公外出")


class InspectionFinding(models.Model):
    """What the inspectors found for one cadre. An absence not covered by approved leave or official business
    is written into the register as absent (source: inspection)."""

    Result = FindingResult

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="findings")
    cadre = models.ForeignKey(Cadre, on_delete=models.PROTECT, related_name="inspection_findings", verbose_name=_("干部"))
    posting = models.ForeignKey(Posting, on_delete=models.PROTECT, related_name="+", verbose_name=_("派驻记录"))
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+", verbose_name=_("派驻村"))
    finding = models.CharField(_("督查结果"), max_length=10, choices=FindingResult.choices)
    note = models.CharField(_("情况说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("督查结果")
        verbose_name_plural = _("督查结果")
        ordering = ["village__code", "cadre__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "cadre"], name="finding_one_per_cadre_inspection"),
        ]
        indexes = [models.Index(fields=["cadre", "finding"], name="finding_cadre_result")]

    def __str__(self) -> str:
        return f"{self.cadre} {self.get_finding_display()}"


class RectificationStatus(models.TextChoices):
    OPEN = "open", _("整改中")
    DONE = "done", _("已整改")


class Rectification(models.Model):
    """整改: an item opened from an inspection (optionally from one finding) with an owner and a deadline.
    Overdue = still open after the deadline."""

    Status = RectificationStatus

    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="rectifications", verbose_name=_("督查")
    )
    finding = models.ForeignKey(
        InspectionFinding, null=True, blank=True, on_delete=models.SET_NULL, related_name="rectifications",
        verbose_name=_("针对的督查结果"),
    )
    description = models.TextField(_("整改事项"))
    owner = models.CharField(_("责任单位(人)"), max_length=100)
    deadline = models.DateField(_("整改期限"))
    status = models.CharField(
        _("状态"), max_length=6, choices=RectificationStatus.choices, default=RectificationStatus.OPEN
    )
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_note = models.CharField(_("整改情况"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("提出人")
    )
    created_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("验收人"),
    )

    class Meta:
        verbose_name = _("整改事项")
        verbose_name_plural = _("整改事项")
        ordering = ["status", "deadline", "pk"]
        indexes = [models.Index(fields=["status", "deadline"], name="rectification_status_deadline")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status=RectificationStatus.OPEN) | models.Q(done_at__isnull=False),
                name="rectification_done_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:60]

    def get_absolute_url(self) -> str:
        return reverse("attendance:inspection_detail", args=[self.inspection_id]) + f"#rect-{self.pk}"

    @property
    def is_overdue(self) -> bool:
        from django.utils import timezone

        return self.status == RectificationStatus.OPEN and self.deadline < timezone.localdate()


class TrainingKind(models.TextChoices):
    TRAINING = "training", _("培训")
    THEORY_STUDY = "theory_study", _("理论学习")
    WORK_EXCHANGE = "work_exchange", _("工作交流")


class TrainingEvent(models.Model):
    """Periodic training, theory study or work exchange (seed 000). Only an organized training away from the
    village (`counts_as_training`) fills its participants' register days as training."""

    Kind = TrainingKind

    title = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类别"), max_length=14, choices=TrainingKind.choices, default=TrainingKind.TRAINING)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("组织单位"))
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    location = models.CharField(_("地点"), max_length=100, blank=True)
    counts_as_training = models.BooleanField(
        _("脱产集中培训(自动计入考勤)"), default=False,
        help_text=_("勾选后,参训干部在培训期间、派驻期内的考勤自动记为“培训”。"),
    )
    note = models.TextField(_("内容"), blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("录入人")
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("培训学习交流")
        verbose_name_plural = _("培训学习交流")
        ordering = ["-start_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")), name="training_dates_ordered",
                violation_error_message=_("结束日期不能早于开始日期。"),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("attendance:training_detail", args=[self.pk])

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    @property
    def fills_register(self) -> bool:
        return self.kind == TrainingKind.TRAINING and self.counts_as_training and self.cancelled_at is None


class TrainingParticipant(models.Model):
    event = models.ForeignKey(TrainingEvent, on_delete=models.CASCADE, related_name="participants")
    cadre = models.ForeignKey(Cadre, on_delete=models.PROTECT, related_name="trainings", verbose_name=_("干部"))
    attended = models.BooleanField(_("参加"), default=True)

    class Meta:
        verbose_name = _("参训干部")
        verbose_name_plural = _("参训干部")
        constraints = [models.UniqueConstraint(fields=["event", "cadre"], name="participant_once_per_event")]


class DiaryEntry(models.Model):
    """民情日记: a cadre's dated entry with optional counted outcomes (seed 001 counts them city-wide). No photo:
    mandatory photo uploads are a form of formalism the rules forbid."""

    cadre = models.ForeignKey(Cadre, on_delete=models.PROTECT, related_name="diary", verbose_name=_("干部"))
    posting = models.ForeignKey(Posting, on_delete=models.PROTECT, related_name="diary", verbose_name=_("派驻记录"))
    day = models.DateField(_("日期"))
    text = models.TextField(_("日记内容"))
    households_visited = models.PositiveIntegerField(_("走访农户(户)"), default=0)
    disputes_found = models.PositiveIntegerField(_("排查矛盾纠纷(件)"), default=0)
    disputes_resolved = models.PositiveIntegerField(_("化解矛盾纠纷(件)"), default=0)
    practical_matters = models.PositiveIntegerField(_("办实事(件)"), default=0)
    projects_started = models.PositiveIntegerField(_("启动致富项目(个)"), default=0)
    funds_yuan = models.DecimalField(_("协调帮扶资金(元)"), max_digits=12, decimal_places=2, default=Decimal("0"))
    jobs_created = models.PositiveIntegerField(_("带动就业(人)"), default=0)
    major_event = models.BooleanField(_("重大事项报告"), default=False)
    major_event_note = models.CharField(_("重大事项内容"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("填写时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    OUTCOME_FIELDS = (
        "households_visited", "disputes_found", "disputes_resolved", "practical_matters", "projects_started",
        "funds_yuan", "jobs_created",
    )

    class Meta:
        verbose_name = _("民情日记")
        verbose_name_plural = _("民情日记")
        ordering = ["-day", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["cadre", "day"], name="diary_one_entry_per_cadre_day"),
            models.CheckConstraint(
                condition=models.Q(funds_yuan__gte=0), name="diary_funds_not_negative",
                violation_error_message=_("金额不能为负数。"),
            ),
        ]
        indexes = [models.Index(fields=["posting", "day"], name="diary_posting_day")]

    def __str__(self) -> str:
        return f"{self.cadre} {self.day}"

    def get_absolute_url(self) -> str:
        return reverse("attendance:diary_detail", args=[self.pk])

    @property
    def has_outcomes(self) -> bool:
        return any(getattr(self, name) for name in self.OUTCOME_FIELDS)
