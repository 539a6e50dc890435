import datetime

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from villages.models import DispatchingUnit, Region, RegionLevel, Village

from .validators import mask_id_number, validate_id_number, validate_phone


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class PoliticalStatus(models.TextChoices):
    CPC_MEMBER = "cpc", _("中共党员")
    CPC_PROBATIONARY = "cpc_probationary", _("中共预备党员")
    LEAGUE = "league", _("共青团员")
    DEMOCRATIC_PARTY = "democratic", _("民主党派")
    MASSES = "masses", _("群众")


class Education(models.TextChoices):
    POSTGRADUATE = "postgraduate", _("研究生")
    BACHELOR = "bachelor", _("大学本科")
    COLLEGE = "college", _("大学专科")
    SECONDARY = "secondary", _("中专及高中")
    OTHER = "other", _("其他")


class Rank(models.TextChoices):
    DIVISION_CHIEF = "division_chief", _("县处级正职")
    DIVISION_DEPUTY = "division_deputy", _("县处级副职")
    SECTION_CHIEF = "section_chief", _("乡科级正职")
    SECTION_DEPUTY = "section_deputy", _("乡科级副职")
    STAFF = "staff", _("科员")
    CLERK = "clerk", _("办事员")
    NON_CIVIL = "non_civil", _("事业单位或国企人员")


class Cadre(models.Model):
    name = models.CharField(_("姓名"), max_length=40)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    ethnicity = models.CharField(_("民族"), max_length=20, default="汉族")
    birth_date = models.DateField(_("出生日期"))
    id_number = models.CharField(_("身份证号码"), max_length=18, unique=True, validators=[validate_id_number])
    # The last six characters, indexed, so "search by ID tail" needs no scan of the whole table.
    id_tail = models.CharField(max_length=6, db_index=True, editable=False, blank=True)
    phone = models.CharField(_("手机号码"), max_length=20, validators=[validate_phone], db_index=True)
    political_status = models.CharField(
        _("政治面貌"), max_length=20, choices=PoliticalStatus.choices, default=PoliticalStatus.CPC_MEMBER
    )
    education = models.CharField(_("学历"), max_length=20, choices=Education.choices, default=Education.BACHELOR)
    original_post = models.CharField(_("原职务"), max_length=100, blank=True)
    rank = models.CharField(_("职级"), max_length=20, choices=Rank.choices, default=Rank.STAFF)
    is_reserve_cadre = models.BooleanField(_("后备干部"), default=False)
    unit = models.ForeignKey(
        DispatchingUnit, verbose_name=_("原单位"), on_delete=models.PROTECT, related_name="cadres"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("驻村干部")
        verbose_name_plural = _("驻村干部")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # A derived search key, not a rule: kept in step with id_number wherever the row is written.
        self.id_tail = (self.id_number or "")[-6:]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("cadres:cadre_detail", args=[self.pk])

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    def age_on(self, day: datetime.date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


class DispatchRound(models.Model):
    """轮次: a dispatch round issued by a jurisdiction (usually the city), e.g. 第二轮 2024–2026."""

    name = models.CharField(_("轮次名称"), max_length=60)
    region = models.ForeignKey(
        Region, verbose_name=_("组织区划"), on_delete=models.PROTECT, related_name="rounds"
    )
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("派驻轮次")
        verbose_name_plural = _("派驻轮次")
        ordering = ["-start_date", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_date__gt=models.F("start_date")), name="round_dates_ordered"),
            models.UniqueConstraint(fields=["region", "name"], name="round_name_unique_per_region"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("cadres:round_detail", args=[self.pk])

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            raise ValidationError({"end_date": _("结束日期必须晚于开始日期。")})


class PostingRole(models.TextChoices):
    FIRST_SECRETARY = "first_secretary", _("第一书记")
    TEAM_LEADER = "team_leader", _("工作队长")
    MEMBER = "member", _("工作队员")


class PostingStatus(models.TextChoices):
    IN_POST = "in_post", _("在岗")
    RECALLED = "recalled", _("已召回")
    REPLACED = "replaced", _("已轮换")
    COMPLETED = "completed", _("期满")
    TRANSFERRED = "transferred", _("已调整")


class PostingQuerySet(models.QuerySet):
    def in_force_on(self, day: datetime.date) -> "PostingQuerySet":
        return self.filter(start_date__lte=day).filter(models.Q(end_date__isnull=True) | models.Q(end_date__gte=day))

    def overlapping(self, start: datetime.date, end: datetime.date | None) -> "PostingQuerySet":
        """Postings whose [start_date, end_date] (open end = unbounded) intersects [start, end]."""
        qs = self.filter(models.Q(end_date__isnull=True) | models.Q(end_date__gte=start))
        if end is not None:
            qs = qs.filter(start_date__lte=end)
        return qs


class Posting(models.Model):
    """派驻记录: a cadre posted to a village in a round, in one role. A cadre has at most one posting in
    force on any day: checked by the service and, on PostgreSQL, by an exclusion constraint (migration 0002)."""

    Role = PostingRole
    Status = PostingStatus

    cadre = models.ForeignKey(Cadre, verbose_name=_("干部"), on_delete=models.PROTECT, related_name="postings")
    village = models.ForeignKey(Village, verbose_name=_("派驻村"), on_delete=models.PROTECT, related_name="postings")
    round = models.ForeignKey(
        DispatchRound, verbose_name=_("轮次"), on_delete=models.PROTECT, related_name="postings"
    )
    unit = models.ForeignKey(
        DispatchingUnit, verbose_name=_("派驻单位"), on_delete=models.PROTECT, related_name="postings"
    )
    role = models.CharField(_("职务"), max_length=20, choices=PostingRole.choices, default=PostingRole.MEMBER)
    status = models.CharField(_("状态"), max_length=20, choices=PostingStatus.choices, default=PostingStatus.IN_POST)
    start_date = models.DateField(_("到岗日期"))
    end_date = models.DateField(_("离岗日期"), null=True, blank=True, help_text=_("在岗期间留空。"))
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("替补对象"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
        help_text=_("替补被召回或轮换的干部时,选择其原派驻记录。"),
    )
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = PostingQuerySet.as_manager()

    class Meta:
        verbose_name = _("派驻记录")
        verbose_name_plural = _("派驻记录")
        ordering = ["-start_date", "pk"]
        indexes = [
            models.Index(fields=["village", "round"], name="posting_village_round"),
            models.Index(fields=["cadre", "start_date"], name="posting_cadre_start"),
            models.Index(fields=["status", "end_date"], name="posting_status_end"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
                name="posting_dates_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(status=PostingStatus.IN_POST) | models.Q(end_date__isnull=False),
                name="posting_ended_has_end_date",
            ),
            models.CheckConstraint(
                condition=~models.Q(replaces=models.F("pk")), name="posting_does_not_replace_itself"
            ),
        ]

    def __str__(self) -> str:
        return str(
            _("%(cadre)s 派驻 %(village)s(%(role)s)")
            % {"cadre": self.cadre, "village": self.village, "role": self.get_role_display()}
        )

    def get_absolute_url(self) -> str:
        return reverse("cadres:posting_detail", args=[self.pk])

    def is_in_force_on(self, day: datetime.date) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)


class Role(models.TextChoices):
    ORG_DEPT = "org", _("组织部")
    TOWNSHIP = "township", _("乡镇党委")
    UNIT = "unit", _("派驻单位")
    CADRE = "cadre", _("驻村干部")
    ADMIN = "admin", _("系统管理员")


class User(AbstractUser):
    """Each user has one role and one jurisdiction: a region (organization department, township official,
    admin), a dispatching unit, or their own cadre record."""

    Role = Role

    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.ADMIN)
    region = models.ForeignKey(
        Region, verbose_name=_("管辖区划"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    unit = models.ForeignKey(
        DispatchingUnit, verbose_name=_("所属派驻单位"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="users",
    )
    cadre = models.OneToOneField(
        Cadre, verbose_name=_("对应干部"), null=True, blank=True, on_delete=models.PROTECT, related_name="user"
    )
    phone = models.CharField(_("手机号码"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role__in=["org", "township"]) | models.Q(region__isnull=False),
                name="user_region_role_has_region",
            ),
            models.CheckConstraint(
                condition=~models.Q(role="unit") | models.Q(unit__isnull=False), name="user_unit_role_has_unit"
            ),
            models.CheckConstraint(
                condition=~models.Q(role="cadre") | models.Q(cadre__isnull=False), name="user_cadre_role_has_cadre"
            ),
        ]

    def clean(self) -> None:
        super().clean()
        if self.role in (Role.ORG_DEPT, Role.TOWNSHIP) and not self.region_id:
            raise ValidationError({"region": _("组织部和乡镇用户必须指定管辖区划。")})
        if self.role == Role.TOWNSHIP and self.region_id and self.region.level != RegionLevel.TOWNSHIP:
            raise ValidationError({"region": _("乡镇用户的管辖区划必须是乡镇(街道)。")})
        if self.role == Role.ORG_DEPT and self.region_id and self.region.level > RegionLevel.COUNTY:
            raise ValidationError({"region": _("组织部用户的管辖区划必须是省、市或县(区)。")})
        if self.role == Role.UNIT and not self.unit_id:
            raise ValidationError({"unit": _("派驻单位用户必须指定所属单位。")})
        if self.role == Role.CADRE and not self.cadre_id:
            raise ValidationError({"cadre": _("干部用户必须关联干部档案。")})

    def get_full_name(self) -> str:
        # Chinese order: family name first, no space (李建华).
        return f"{self.last_name}{self.first_name}".strip()

    def get_short_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def jurisdiction_label(self) -> str:
        if self.role == Role.UNIT and self.unit_id:
            return str(self.unit)
        if self.role == Role.CADRE and self.cadre_id:
            return str(_("本人"))
        if self.region_id:
            return str(self.region)
        return str(_("全部"))


class AuditEntry(models.Model):
    """Append-only trail of state changes and personal-data access: who, what, when, from where."""

    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(_("操作人账号"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=60, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=60, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=40, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    # The region code the change belongs to, so admins of a jurisdiction can search their own trail.
    region_code = models.CharField(_("区划代码"), max_length=12, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("来源IP"), null=True, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"
