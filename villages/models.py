from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .validators import code_prefix, validate_code_for_level, validate_division_code


class RegionLevel(models.IntegerChoices):
    PROVINCE = 1, _("省")
    CITY = 2, _("市")
    COUNTY = 3, _("县(区)")
    TOWNSHIP = 4, _("乡镇(街道)")


class Region(models.Model):
    """A node of the administrative tree: province (optional) → city → county/district → township/street.

    Jurisdiction checks use the code prefix (a county's villages all start with its first 6 digits), so a
    subtree is one indexed LIKE 'prefix%' instead of a recursive walk.
    """

    Level = RegionLevel

    code = models.CharField(_("区划代码"), max_length=12, unique=True, validators=[validate_division_code])
    name = models.CharField(_("名称"), max_length=60)
    level = models.PositiveSmallIntegerField(_("级别"), choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级区划"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Exact(Length("code"), 12), name="region_code_12_digits"),
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=4), name="region_level_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("villages:region_detail", args=[self.pk])

    @property
    def prefix(self) -> str:
        return code_prefix(self.code, self.level)

    def contains_code(self, code: str) -> bool:
        return code.startswith(self.prefix)

    def clean(self) -> None:
        if not self.code or not self.level:
            return
        if self.parent_id is not None:
            if self.parent.level >= self.level:
                raise ValidationError({"parent": _("上级区划的级别必须高于本级。")})
            if self.parent.level != self.level - 1 and not (
                self.level == RegionLevel.CITY and self.parent.level == RegionLevel.PROVINCE
            ):
                raise ValidationError({"parent": _("上级区划必须是紧邻的上一级。")})
        elif self.level > RegionLevel.CITY:
            raise ValidationError({"parent": _("县级和乡镇级区划必须指定上级区划。")})
        try:
            validate_code_for_level(
                self.code,
                self.level,
                self.parent.code if self.parent_id else None,
                self.parent.level if self.parent_id else None,
            )
        except ValidationError as exc:
            raise ValidationError({"code": exc.messages}) from exc

    def ancestors(self) -> list["Region"]:
        """This region and its ancestors, nearest first (at most four levels, so a short loop)."""
        chain, node = [], self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class VillageCategory(models.Model):
    """Reference data: 脱贫村, 重点帮扶村, 易地搬迁安置村, 软弱涣散村, 集体经济薄弱村, 先进村 (seeded by a migration)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=40, unique=True)
    is_priority = models.BooleanField(
        _("重点村"), default=False, help_text=_("重点村的工作队一般不少于规定人数(见政策设置)。")
    )
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("村分类")
        verbose_name_plural = _("村分类")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Village(models.Model):
    code = models.CharField(_("区划代码"), max_length=12, unique=True, validators=[validate_division_code])
    name = models.CharField(_("村(社区)名称"), max_length=60)
    township = models.ForeignKey(
        Region,
        verbose_name=_("所属乡镇(街道)"),
        on_delete=models.PROTECT,
        related_name="villages",
        limit_choices_to={"level": RegionLevel.TOWNSHIP},
    )
    categories = models.ManyToManyField(VillageCategory, verbose_name=_("村分类"), blank=True, related_name="villages")
    latitude = models.DecimalField(
        _("纬度"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("经度"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    paired_with = models.ForeignKey(
        "self",
        verbose_name=_("结对帮扶村"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("先进村与薄弱村一对一结对帮扶。"),
    )
    population = models.PositiveIntegerField(_("户籍人口"), null=True, blank=True)
    households = models.PositiveIntegerField(_("户数"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("村(社区)")
        verbose_name_plural = _("村(社区)")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Exact(Length("code"), 12), name="village_code_12_digits"),
            models.CheckConstraint(
                condition=~models.Q(paired_with=models.F("pk")), name="village_not_paired_with_itself"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("villages:village_detail", args=[self.pk])

    def clean(self) -> None:
        if self.code and self.township_id:
            if self.township.level != RegionLevel.TOWNSHIP:
                raise ValidationError({"township": _("村必须隶属于乡镇(街道)级区划。")})
            try:
                validate_code_for_level(self.code, 5, self.township.code, self.township.level)
            except ValidationError as exc:
                raise ValidationError({"code": exc.messages}) from exc
        if self.paired_with_id and self.pk and self.paired_with_id == self.pk:
            raise ValidationError({"paired_with": _("不能与本村结对。")})


class DispatchingUnit(models.Model):
    """派驻(选派)单位: a government body that sends cadres, backs them and is accountable for them."""

    Level = RegionLevel

    name = models.CharField(_("单位名称"), max_length=100, unique=True)
    level = models.PositiveSmallIntegerField(_("单位层级"), choices=RegionLevel.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="units"
    )
    contact_name = models.CharField(_("联系人"), max_length=40, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("派驻单位")
        verbose_name_plural = _("派驻单位")
        ordering = ["level", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=4), name="unit_level_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("villages:unit_detail", args=[self.pk])

    def clean(self) -> None:
        if self.region_id and self.level and self.region.level != self.level:
            raise ValidationError(
                {"region": _("单位层级为“%(level)s”,所属区划也必须是该级。") % {"level": self.get_level_display()}}
            )


class CompliancePeriod(models.TextChoices):
    MONTH = "month", _("每月")
    QUARTER = "quarter", _("每季度")
    YEAR = "year", _("每年")


class Policy(models.Model):
    """The policy numbers of one jurisdiction. Resolution: the nearest region up the tree that has a row
    (county override, else city default); without any row, the field defaults below apply. These defaults are
    the only place the numbers of DOMAIN.md appear."""

    region = models.OneToOneField(Region, verbose_name=_("适用区划"), on_delete=models.CASCADE, related_name="policy")
    team_min_priority = models.PositiveSmallIntegerField(
        _("重点村工作队最少人数"), default=3, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    team_max = models.PositiveSmallIntegerField(
        _("工作队最多人数"), default=5, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    term_min_months = models.PositiveSmallIntegerField(
        _("任期最短月数"), default=24, validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    min_days = models.PositiveSmallIntegerField(
        _("在村天数下限"), default=50, validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text=_("每个考核周期内在村工作的最少天数;到岗或离岗在周期中间的,按在岗天数折算(向上取整)。"),
    )
    min_days_period = models.CharField(
        _("考核周期"), max_length=10, choices=CompliancePeriod.choices, default=CompliancePeriod.QUARTER
    )
    count_business = models.BooleanField(_("因公外出计入在村天数"), default=True)
    count_training = models.BooleanField(_("组织培训计入在村天数"), default=True)
    register_confirm_day = models.PositiveSmallIntegerField(
        _("考勤确认截止日"), default=5, validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("乡镇每月在该日之前确认上月考勤。"),
    )
    checkin_enabled = models.BooleanField(_("启用自主签到"), default=False)
    checkin_radius_m = models.PositiveIntegerField(
        _("签到范围(米)"), default=1000, validators=[MinValueValidator(50), MaxValueValidator(50000)]
    )
    checkin_max_accuracy_m = models.PositiveIntegerField(
        _("定位精度上限(米)"), default=500, validators=[MinValueValidator(10), MaxValueValidator(50000)],
        help_text=_("定位误差大于此值的签到标记为“精度差”。"),
    )
    checkin_max_speed_kmh = models.PositiveIntegerField(
        _("合理移动速度上限(公里/小时)"), default=150, validators=[MinValueValidator(10), MaxValueValidator(1000)],
        help_text=_("与上次签到相比移动速度超过此值的签到标记为“位置异常”。"),
    )
    # 召回替补 and 年度考核 (DOMAIN.md §4). The three absence thresholds are independent: each one that a
    # cadre reaches applies, so a policy that orders them unusually still never lets a worse record pass.
    replacement_deadline_days = models.PositiveSmallIntegerField(
        _("召回后替补期限(天)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("召回获批后,派驻单位应在召回日期后的这些天数内选派替补干部,逾期标记为“替补逾期”。"),
    )
    absences_block_excellent = models.PositiveSmallIntegerField(
        _("督查缺勤次数:不得评为优秀"), default=1, validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_("当年督查发现缺勤达到此次数的,年度考核不得评为优秀。"),
    )
    absences_cap_basic = models.PositiveSmallIntegerField(
        _("督查缺勤次数:最高基本称职"), default=2, validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_("当年督查发现缺勤达到此次数的,年度考核最高只能评为基本称职。"),
    )
    absences_not_competent = models.PositiveSmallIntegerField(
        _("督查缺勤次数:评为不称职"), default=3, validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_("当年督查发现缺勤达到此次数的,年度考核评为不称职,并提出召回。"),
    )
    excellent_share_cap = models.PositiveSmallIntegerField(
        _("优秀比例上限(%)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("本县(区)当年应考核的驻村干部中评为优秀的人数不超过该比例(向下取整);留空表示不设上限。"),
    )
    # Dispatching-unit support (seeds 000, 002): the unit's leaders visit the villages of its cadres and hear
    # the cadres' reports. 0 switches a requirement off.
    leader_visits_per_year = models.PositiveSmallIntegerField(
        _("单位领导每年到村走访次数"), default=1, validators=[MinValueValidator(0), MaxValueValidator(12)],
        help_text=_("派驻单位领导每年到本单位干部所驻的每个村走访的最少次数;不足的在帮扶台账中标出。"),
    )
    report_hearings_per_year = models.PositiveSmallIntegerField(
        _("每年听取驻村干部汇报次数"), default=2, validators=[MinValueValidator(0), MaxValueValidator(12)],
        help_text=_("派驻单位每年听取驻村干部工作汇报的最少次数,按半年检查:上半年至少为该数的一半(向下取整),"
                    "下半年至少为其余次数。"),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("政策设置")
        verbose_name_plural = _("政策设置")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(team_min_priority__lte=models.F("team_max")), name="policy_team_min_le_max"
            )
        ]

    def __str__(self) -> str:
        return str(_("%(region)s的政策设置") % {"region": self.region})


    def leave_routes(self) -> list["LeaveRoute"]:
        """The leave routing table, shortest range first. A policy row without routing rows of its own (one
        created in the admin, say) inherits the table of the nearest policy above it, then the defaults."""
        if self.pk:
            rows = list(self.routes.all())
            if rows:
                return sorted(rows, key=lambda r: (r.max_days is None, r.max_days or 0))
            for node in self.region.ancestors()[1:]:
                above = Policy.objects.filter(region=node).first()
                if above is not None and above.routes.exists():
                    return above.leave_routes()
        return [LeaveRoute(policy=self if self.pk else None, **row) for row in DEFAULT_LEAVE_ROUTES]

    def counted_statuses(self) -> set[str]:
        """Register statuses that count as days in the village under this policy."""
        statuses = {"present"}
        if self.count_business:
            statuses.add("business")
        if self.count_training:
            statuses.add("training")
        return statuses


# The default routing table (seed 002): up to 3 days the township party committee approves; longer leave is
# approved by the county organization department and filed with the city's.
DEFAULT_LEAVE_ROUTES = [
    {"max_days": Decimal("3"), "approver_level": RegionLevel.TOWNSHIP, "filing_levels": []},
    {"max_days": None, "approver_level": RegionLevel.COUNTY, "filing_levels": [RegionLevel.CITY]},
]


class LeaveRoute(models.Model):
    """One row of a policy's leave routing table: leave up to `max_days` (inclusive; empty = no limit) is
    approved at `approver_level` and filed with `filing_levels`."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="routes", verbose_name=_("政策"))
    max_days = models.DecimalField(
        _("天数上限(含)"), max_digits=5, decimal_places=1, null=True, blank=True,
        help_text=_("留空表示不设上限。"), validators=[MinValueValidator(Decimal("0.5"))],
    )
    approver_level = models.PositiveSmallIntegerField(_("审批层级"), choices=RegionLevel.choices)
    filing_levels = models.JSONField(_("备案层级"), default=list, blank=True)

    class Meta:
        verbose_name = _("请假审批规则")
        verbose_name_plural = _("请假审批规则")
        constraints = [
            models.UniqueConstraint(fields=["policy", "max_days"], name="leave_route_unique_bound"),
        ]

    def __str__(self) -> str:
        if self.max_days is None:
            return str(_("更长:%(level)s审批") % {"level": self.get_approver_level_display()})
        return str(_("不超过%(days)s天:%(level)s审批") % {"days": self.max_days, "level": self.get_approver_level_display()})

    def filing_level_labels(self) -> list[str]:
        labels = dict(RegionLevel.choices)
        return [str(labels.get(int(level), level)) for level in self.filing_levels]


class PolicyChange(models.Model):
    """History of a policy: who changed which values, when."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="changes", verbose_name=_("政策"))
    changed_at = models.DateTimeField(_("修改时间"), auto_now_add=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("修改人")
    )
    changes = models.JSONField(_("修改内容"), default=dict)

    class Meta:
        verbose_name = _("政策修改记录")
        verbose_name_plural = _("政策修改记录")
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.policy} {self.changed_at:%Y-%m-%d %H:%M}"


class SupportKind(models.TextChoices):
    FUNDS = "funds", _("帮扶资金")
    PROJECT = "project", _("引进项目")
    LEADER_VISIT = "leader_visit", _("单位领导到村走访")
    REPORT_HEARING = "report_hearing", _("听取驻村干部汇报")


class SupportRecord(models.Model):
    """One entry of a dispatching unit's support ledger (帮扶台账): funds provided, a project brought in, a visit
    of the unit's leaders to the village, or a hearing of the cadre's report. Entered once by the unit (or the
    organization department); yearly totals and the missing-visit/hearing flags are computed from these rows."""

    Kind = SupportKind

    unit = models.ForeignKey(
        DispatchingUnit, verbose_name=_("派驻单位"), on_delete=models.PROTECT, related_name="support_records"
    )
    village = models.ForeignKey(
        Village, verbose_name=_("受帮扶村"), on_delete=models.PROTECT, related_name="support_records"
    )
    kind = models.CharField(_("类别"), max_length=20, choices=SupportKind.choices)
    date = models.DateField(_("日期"))
    amount_yuan = models.DecimalField(
        _("金额(元)"), max_digits=14, decimal_places=2, null=True, blank=True,
        help_text=_("帮扶资金必填;引进项目可填投资额;走访和听取汇报不填。"),
    )
    title = models.CharField(_("事项"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("帮扶记录")
        verbose_name_plural = _("帮扶记录")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["unit", "date"], name="support_unit_date")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_yuan__isnull=True) | models.Q(amount_yuan__gt=0),
                name="support_amount_positive",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="funds") | models.Q(amount_yuan__isnull=False),
                name="support_funds_have_amount",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["funds", "project"]) | models.Q(amount_yuan__isnull=True),
                name="support_amount_only_for_funds_or_project",
            ),
        ]

    def __str__(self) -> str:
        return str(
            _("%(unit)s %(date)s %(kind)s:%(title)s")
            % {"unit": self.unit, "date": self.date, "kind": self.get_kind_display(), "title": self.title}
        )
