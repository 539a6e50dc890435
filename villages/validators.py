"""Validators for the 12-digit statistical division code (统计用区划代码).

Layout: 2 digits province, 2 city, 2 county, 3 township, 3 village. A region of a given level has zeros
after its own digits, and its code begins with its parent's significant digits.
"""
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .text import normalize_digits

# Number of significant digits per region level (see Region.Level).
SIGNIFICANT_DIGITS = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}


def validate_division_code(value: str) -> None:
    value = normalize_digits(value or "")
    if len(value) != 12 or not value.isdigit():
        raise ValidationError(_("区划代码必须是12位数字。"), code="division_code_format")
    if value[:2] == "00":
        raise ValidationError(_("区划代码的省级部分不能为00。"), code="division_code_province")


def code_prefix(code: str, level: int) -> str:
    return code[: SIGNIFICANT_DIGITS[level]]


def validate_code_for_level(code: str, level: int, parent_code: str | None, parent_level: int | None) -> None:
    """The code of a region (or village, level 5) must fit its level and sit under its parent."""
    digits = SIGNIFICANT_DIGITS[level]
    own = code[digits - (3 if level >= 4 else 2) : digits]
    if set(own) == {"0"}:
        raise ValidationError(_("区划代码中本级部分不能全为0。"), code="division_code_level")
    if set(code[digits:]) - {"0"}:
        raise ValidationError(
            _("该级别区划代码的第%(pos)d位以后必须为0。") % {"pos": digits + 1}, code="division_code_level"
        )
    if parent_code is not None and parent_level is not None and not code.startswith(
        code_prefix(parent_code, parent_level)
    ):
        raise ValidationError(
            _("区划代码必须以上级区划的代码%(prefix)s开头。") % {"prefix": code_prefix(parent_code, parent_level)},
            code="division_code_parent",
        )
