"""Resident ID (GB 11643-1999) and phone number validation; both accept full-width digits and spaces."""
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

from villages.text import normalize_digits

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def normalize_id_number(value: str) -> str:
    return normalize_digits(value or "").upper()


def validate_id_number(value: str) -> None:
    """18 characters, a real birth date and address code, and the ISO 7064 MOD 11-2 check digit (0-9 or X)."""
    number = normalize_id_number(value)
    try:
        ric.validate(number)
    except InvalidLength as exc:
        raise ValidationError(_("身份证号码必须是18位。"), code="id_length") from exc
    except InvalidFormat as exc:
        raise ValidationError(_("身份证号码前17位必须是数字,最后一位是数字或X。"), code="id_format") from exc
    except InvalidChecksum as exc:
        raise ValidationError(_("身份证号码校验位不正确,请核对。"), code="id_checksum") from exc
    except (InvalidComponent, KeyError, ValueError) as exc:
        # stdnum's address table raises KeyError for some codes it lists without a county entry.
        raise ValidationError(_("身份证号码中的出生日期或地址码无效。"), code="id_component") from exc
    from django.utils import timezone

    if ric.get_birth_date(number) > timezone.localdate():
        raise ValidationError(_("身份证号码中的出生日期晚于今天。"), code="id_birth_future")


def id_birth_date(number: str):
    return ric.get_birth_date(normalize_id_number(number))


def id_gender(number: str) -> str:
    """The 17th digit is odd for men and even for women (GB 11643)."""
    return "M" if int(normalize_id_number(number)[16]) % 2 else "F"


def mask_id_number(number: str) -> str:
    """110101********1234: the address code and the last four characters stay visible."""
    if not number:
        return ""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def normalize_phone(value: str) -> str:
    return normalize_digits(value or "").replace("—", "-").replace("－", "-")


def validate_phone(value: str) -> None:
    phone = normalize_phone(value)
    if not (MOBILE_RE.match(phone) or LANDLINE_RE.match(phone)):
        raise ValidationError(
            _("电话号码格式不正确:手机号为1开头的11位数字,固定电话如 0791-12345678。"), code="phone"
        )
