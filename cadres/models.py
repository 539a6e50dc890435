import datetime

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
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


# --- Management workflows (六项管理制度, DOMAIN.md §7): recall and replacement, annual evaluation, awards ---


class RecallReason(models.TextChoices):
    INCOMPETENT = "incompetent", _("不能胜任驻村工作")
    INSPECTION_ABSENCE = "inspection_absence", _("督查发现多次不在岗")
    DISCIPLINE = "discipline", _("违反纪律")
    HEALTH = "health", _("身体原因")
    UNIT_REQUEST = "unit_request", _("派驻单位申请")
    OTHER = "other", _("其他")


class RecallStatus(models.TextChoices):
    PROPOSED = "proposed", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")


class Recall(models.Model):
    """召回: proposed by an organization department or the dispatching unit (or automatically, on inspection
    findings), decided by the organization department of the village's county, or of the city when the
    posting's unit is a city-level (or higher) unit. Approval ends the posting as recalled on `recall_date`
    and the unit owes a replacement by `replacement_due` (policy days after the recall date).

    The deciding body is fixed when the recall is proposed (`decider_region`), like a leave request's route,
    so the queue is one indexed filter and a later change of the unit does not move a pending recall."""

    Reason = RecallReason
    Status = RecallStatus

    posting = models.ForeignKey(Posting, verbose_name=_("派驻记录"), on_delete=models.PROTECT, related_name="recalls")
    reason = models.CharField(_("召回原因"), max_length=30, choices=RecallReason.choices)
    note = models.TextField(_("情况说明"), blank=True)
    recall_date = models.DateField(
        _("召回日期"), null=True, blank=True, help_text=_("派驻记录在该日结束;提出时可留空,审批时确定。")
    )
    status = models.CharField(_("状态"), max_length=10, choices=RecallStatus.choices, default=RecallStatus.PROPOSED)
    proposed_by = models.ForeignKey(
        "User", verbose_name=_("提出人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("为空表示系统根据督查结果自动提出。"),
    )
    proposer_body = models.CharField(_("提出单位"), max_length=100, blank=True)
    proposed_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    decider_level = models.PositiveSmallIntegerField(_("审批层级"), choices=RegionLevel.choices)
    decider_region = models.ForeignKey(
        Region, verbose_name=_("审批单位"), on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        "User", verbose_name=_("审批人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_comment = models.CharField(_("审批意见"), max_length=300, blank=True)
    replacement_due = models.DateField(_("替补期限"), null=True, blank=True)

    class Meta:
        verbose_name = _("召回")
        verbose_name_plural = _("召回")
        ordering = ["-proposed_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "decider_region"], name="recall_queue"),
            models.Index(fields=["status", "replacement_due"], name="recall_replacement_due"),
        ]
        constraints = [
            # One pending proposal per posting (the automatic proposal on inspection findings relies on it),
            # and a posting ends by recall at most once.
            models.UniqueConstraint(
                fields=["posting"], condition=models.Q(status="proposed"), name="recall_one_pending_per_posting"
            ),
            models.UniqueConstraint(
                fields=["posting"], condition=models.Q(status="approved"), name="recall_one_approved_per_posting"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="approved")
                | models.Q(recall_date__isnull=False, replacement_due__isnull=False),
                name="recall_approved_has_dates",
            ),
        ]

    def __str__(self) -> str:
        return str(
            _("召回 %(cadre)s(%(village)s)") % {"cadre": self.posting.cadre, "village": self.posting.village}
        )

    def get_absolute_url(self) -> str:
        return reverse("cadres:recall_detail", args=[self.pk])

    def replacement_overdue_on(self, day: datetime.date) -> bool:
        """Approved, the deadline passed and no posting replaces the recalled one yet."""
        return (
            self.status == RecallStatus.APPROVED
            and self.replacement_due is not None
            and self.replacement_due < day
            and not hasattr(self.posting, "replaced_by")
        )


class EvaluationGrade(models.TextChoices):
    # Ordered best first: the rules compare positions in this list.
    EXCELLENT = "excellent", _("优秀")
    COMPETENT = "competent", _("称职")
    BASIC = "basic", _("基本称职")
    INCOMPETENT = "incompetent", _("不称职")


class AspectRating(models.TextChoices):
    GOOD = "good", _("好")
    FAIR = "fair", _("较好")
    AVERAGE = "average", _("一般")
    POOR = "poor", _("差")


class Evaluation(models.Model):
    """年度考核: one per cadre and year. A democratic rating (the votes cast for each grade), the five aspects
    德能勤绩廉, and the organization's grade and comment, decided by the county organization department of the
    village the cadre served in (`posting`: the cadre's last posting in force during that year)."""

    Grade = EvaluationGrade

    cadre = models.ForeignKey(Cadre, verbose_name=_("干部"), on_delete=models.PROTECT, related_name="evaluations")
    year = models.PositiveSmallIntegerField(
        _("考核年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    posting = models.ForeignKey(
        Posting, verbose_name=_("考核时的派驻记录"), on_delete=models.PROTECT, related_name="evaluations"
    )
    county = models.ForeignKey(Region, verbose_name=_("考核县(区)"), on_delete=models.PROTECT, related_name="+")
    votes_excellent = models.PositiveSmallIntegerField(_("民主测评:优秀票"), default=0)
    votes_competent = models.PositiveSmallIntegerField(_("民主测评:称职票"), default=0)
    votes_basic = models.PositiveSmallIntegerField(_("民主测评:基本称职票"), default=0)
    votes_incompetent = models.PositiveSmallIntegerField(_("民主测评:不称职票"), default=0)
    virtue = models.CharField(_("德"), max_length=10, choices=AspectRating.choices, blank=True)
    ability = models.CharField(_("能"), max_length=10, choices=AspectRating.choices, blank=True)
    diligence = models.CharField(_("勤"), max_length=10, choices=AspectRating.choices, blank=True)
    performance = models.CharField(_("绩"), max_length=10, choices=AspectRating.choices, blank=True)
    integrity = models.CharField(_("廉"), max_length=10, choices=AspectRating.choices, blank=True)
    grade = models.CharField(_("考核等次"), max_length=12, choices=EvaluationGrade.choices)
    comment = models.TextField(_("组织评语"), blank=True)
    decided_by = models.ForeignKey(
        "User", verbose_name=_("确定人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("确定时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("年度考核")
        verbose_name_plural = _("年度考核")
        ordering = ["-year", "cadre__name", "pk"]
        indexes = [models.Index(fields=["county", "year", "grade"], name="evaluation_county_year")]
        constraints = [
            models.UniqueConstraint(fields=["cadre", "year"], name="evaluation_one_per_cadre_year"),
        ]

    def __str__(self) -> str:
        return str(
            _("%(cadre)s %(year)s年度考核:%(grade)s")
            % {"cadre": self.cadre, "year": self.year, "grade": self.get_grade_display()}
        )

    def get_absolute_url(self) -> str:
        return reverse("cadres:evaluation_edit", args=[self.year, self.cadre_id])

    ASPECTS = ("virtue", "ability", "diligence", "performance", "integrity")

    @property
    def votes_total(self) -> int:
        return self.votes_excellent + self.votes_competent + self.votes_basic + self.votes_incompetent

    def vote_share(self, grade: str) -> int | None:
        """The percentage of votes for `grade`, rounded to a whole number; None without votes."""
        total = self.votes_total
        if not total:
            return None
        return round(100 * getattr(self, f"votes_{grade}") / total)

    def aspect_rows(self) -> list[tuple[str, str]]:
        return [(str(self._meta.get_field(a).verbose_name), getattr(self, f"get_{a}_display")()) for a in self.ASPECTS]


class AwardKind(models.TextChoices):
    MERIT_THIRD = "merit_third", _("记三等功")
    COMMENDATION = "commendation", _("通报嘉奖")
    PRAISE = "praise", _("通报表扬")
    CRITICISM = "criticism", _("通报批评")
    ADMONITION = "admonition", _("诫勉谈话")


# Which kinds are awards (refused to a cadre recalled that year) and which are discipline.
AWARD_KINDS = frozenset({AwardKind.MERIT_THIRD, AwardKind.COMMENDATION, AwardKind.PRAISE})
DISCIPLINE_KINDS = frozenset({AwardKind.CRITICISM, AwardKind.ADMONITION})


class AwardRecord(models.Model):
    """工作激励: an award (记三等功, 通报嘉奖, 通报表扬) or a disciplinary measure (通报批评, 诫勉谈话) given to a
    cadre on a date by an issuing body, with its document number (文号)."""

    Kind = AwardKind

    cadre = models.ForeignKey(Cadre, verbose_name=_("干部"), on_delete=models.PROTECT, related_name="awards")
    kind = models.CharField(_("类别"), max_length=20, choices=AwardKind.choices)
    date = models.DateField(_("日期"))
    level = models.PositiveSmallIntegerField(_("级别"), choices=RegionLevel.choices)
    issuing_body = models.CharField(_("发文单位"), max_length=100)
    document_number = models.CharField(
        _("文号"), max_length=60, blank=True, help_text=_("如“云组通〔2025〕12号”;诫勉谈话可无文号。")
    )
    reason = models.TextField(_("事由"), blank=True)
    recorded_by = models.ForeignKey(
        "User", verbose_name=_("登记人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("奖惩记录")
        verbose_name_plural = _("奖惩记录")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["cadre", "date"], name="award_cadre_date")]

    def __str__(self) -> str:
        return str(
            _("%(cadre)s %(kind)s(%(date)s)") % {"cadre": self.cadre, "kind": self.get_kind_display(), "date": self.date}
        )

    def get_absolute_url(self) -> str:
        return reverse("cadres:award_list") + f"?cadre={self.cadre_id}"

    @property
    def is_award(self) -> bool:
        return self.kind in AWARD_KINDS
