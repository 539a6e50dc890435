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

