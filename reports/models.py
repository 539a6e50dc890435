from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from villages.models import Region


class ReportKind(models.TextChoices):
    MONTHLY = "monthly", _("月报")
    ANNUAL = "annual", _("年报")
    RAW_CADRES = "raw_cadres", _("原始数据:干部")
    RAW_POSTINGS = "raw_postings", _("原始数据:派驻记录")
    RAW_LEAVE = "raw_leave", _("原始数据:请假")
    RAW_REGISTER = "raw_register", _("原始数据:考勤簿")


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class Report(models.Model):
    """One build of a report (or a raw export) for a region and period.

    Building the same kind, region and period again makes a new version; when it completes it becomes the
    current one and the previous version stays as history. While a build of that key is queued or running,
    asking again returns it instead of starting a second one."""

    Kind = ReportKind
    Status = ReportStatus

    kind = models.CharField(_("类型"), max_length=20, choices=ReportKind.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="reports", verbose_name=_("区划"))
    period = models.CharField(_("期间"), max_length=7, help_text=_("月报为YYYY-MM,年报为YYYY,原始数据为空"), blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    is_current = models.BooleanField(_("当前版本"), default=False)
    status = models.CharField(_("状态"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    message = models.CharField(_("说明"), max_length=300, blank=True)
    error = models.TextField(_("错误信息"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("申请人"),
    )
    language = models.CharField(max_length=10, default="zh-hans")
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    file = models.FileField(_("文件"), upload_to="reports/%Y/%m/", blank=True)
    file_size = models.PositiveIntegerField(_("文件大小"), default=0)
    rows = models.PositiveIntegerField(_("数据行数"), default=0)

    class Meta:
        verbose_name = _("报表")
        verbose_name_plural = _("报表")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "region", "period"], condition=models.Q(is_current=True), name="report_one_current"
            ),
            models.UniqueConstraint(fields=["kind", "region", "period", "version"], name="report_version_unique"),
        ]
        indexes = [models.Index(fields=["region", "kind", "period"], name="report_lookup")]

    def __str__(self) -> str:
        return f"{self.region} {self.get_kind_display()} {self.period} v{self.version}"

    def get_absolute_url(self) -> str:
        return reverse("reports:report_detail", args=[self.pk])

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    @property
    def is_active(self) -> bool:
        return self.status in (ReportStatus.QUEUED, ReportStatus.RUNNING)
