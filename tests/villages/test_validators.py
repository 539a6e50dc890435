"""Validation of division codes, resident ID numbers and phone numbers, and ID masking.

Expected messages are the exact Chinese texts users see next to the field.
"""
import datetime

import pytest
from django.core.exceptions import ValidationError
from stdnum.cn import ric

from cadres.validators import (
    id_birth_date,
    id_gender,
    mask_id_number,
    normalize_id_number,
    validate_id_number,
    validate_phone,
)
from villages import services as village_services
from villages.forms import VillageForm
from villages.models import Region, RegionLevel, Village
from villages.validators import validate_division_code

MSG_CODE_FORMAT = "区划代码必须是12位数字。"
MSG_CODE_PROVINCE = "区划代码的省级部分不能为00。"
MSG_OWN_PART_ZERO = "区划代码中本级部分不能全为0。"
MSG_ID_LENGTH = "身份证号码必须是18位。"
MSG_ID_FORMAT = "身份证号码前17位必须是数字,最后一位是数字或X。"
MSG_ID_CHECKSUM = "身份证号码校验位不正确,请核对。"
MSG_ID_COMPONENT = "身份证号码中的出生日期或地址码无效。"
MSG_PHONE = "电话号码格式不正确:手机号为1开头的11位数字,固定电话如 0791-12345678。"

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def with_check_digit(body17: str) -> str:
    """The 18-character ID for a 17-digit body (calc_check_digit wants a placeholder last character)."""
    return body17 + ric.calc_check_digit(body17 + "0")


def id_ending_in_x() -> str:
    """A valid ID whose correct check digit is X (found by trying sequence numbers: about 1 in 11 is)."""
    for seq in range(1000):
        number = with_check_digit(f"11010119850615{seq:03d}")
        if number.endswith("X"):
            return number
    raise AssertionError("no sequence number gives check digit X")  # pragma: no cover


def messages_of(exc_info) -> list[str]:
    return list(exc_info.value.messages)


# --- division codes ------------------------------------------------------------------------------------


def test_it_accepts_a_12_digit_division_code():
    validate_division_code("369901001201")


def test_it_accepts_a_division_code_typed_in_full_width_digits():
    validate_division_code("369901001201".translate(FULL_WIDTH))


@pytest.mark.parametrize("code", ["36990100120", "3699010012011", "36990100120A", "3699 0100 12", ""])
def test_it_rejects_a_division_code_that_is_not_12_digits(code):
    with pytest.raises(ValidationError) as exc:
        validate_division_code(code)
    assert messages_of(exc) == [MSG_CODE_FORMAT]


def test_it_rejects_a_division_code_with_province_part_00():
    with pytest.raises(ValidationError) as exc:
        validate_division_code("009901001201")
    assert messages_of(exc) == [MSG_CODE_PROVINCE]


def region_errors(region: Region) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        region.clean()
    return exc.value.message_dict


def test_it_accepts_a_county_code_under_its_city(org):
    Region(code="369903000000", name="新县", level=RegionLevel.COUNTY, parent=org.city).clean()


def test_it_requires_zeros_after_the_digits_of_the_region_level(org):
    region = Region(code="369903001000", name="新县", level=RegionLevel.COUNTY, parent=org.city)
    assert region_errors(region) == {"code": ["该级别区划代码的第7位以后必须为0。"]}


def test_it_rejects_a_region_whose_own_part_is_all_zero(org):
    region = Region(code="369901000000", name="新镇", level=RegionLevel.TOWNSHIP, parent=org.county_a)
    assert region_errors(region) == {"code": [MSG_OWN_PART_ZERO]}


def test_it_rejects_a_region_code_outside_its_parent(org):
    region = Region(code="370103000000", name="外县", level=RegionLevel.COUNTY, parent=org.city)
    assert region_errors(region) == {"code": ["区划代码必须以上级区划的代码3699开头。"]}


def test_it_rejects_a_parent_that_skips_a_level(org):
    region = Region(code="369901009000", name="新镇", level=RegionLevel.TOWNSHIP, parent=org.city)
    assert region_errors(region) == {"parent": ["上级区划必须是紧邻的上一级。"]}


def test_it_rejects_a_parent_of_a_lower_level(org):
    region = Region(code="369900000000", name="倒挂市", level=RegionLevel.CITY, parent=org.county_a)
    assert region_errors(region) == {"parent": ["上级区划的级别必须高于本级。"]}


def test_it_requires_a_parent_for_a_township():
    region = Region(code="369901009000", name="孤镇", level=RegionLevel.TOWNSHIP)
    assert region_errors(region) == {"parent": ["县级和乡镇级区划必须指定上级区划。"]}


def village_errors(village: Village) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        village.clean()
    return exc.value.message_dict


def test_it_accepts_a_village_code_starting_with_its_townships_9_digits(org):
    Village(code="369901001203", name="新村", township=org.town_a1).clean()


def test_it_rejects_a_village_code_of_another_township(org):
    village = Village(code="369901002203", name="新村", township=org.town_a1)
    assert village_errors(village) == {"code": ["区划代码必须以上级区划的代码369901001开头。"]}


def test_it_rejects_a_village_code_whose_own_part_is_all_zero(org):
    village = Village(code="369901001000", name="新村", township=org.town_a1)
    assert village_errors(village) == {"code": [MSG_OWN_PART_ZERO]}


def test_it_rejects_a_village_attached_to_a_county(org):
    village = Village(code="369901001203", name="新村", township=org.county_a)
    assert village_errors(village) == {"township": ["村必须隶属于乡镇(街道)级区划。"]}


def test_it_normalises_a_full_width_village_code_typed_into_the_form(users, org):
    form = VillageForm(
        data={"code": "369901001203".translate(FULL_WIDTH), "name": "新村", "township": org.town_a1.pk},
        user=users.county,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["code"] == "369901001203"
    assert form.instance.code == "369901001203"


def test_it_saves_a_full_width_village_code_through_the_service_in_ascii(users, org):
    village = Village(code="369901001203".translate(FULL_WIDTH), name="新村", township=org.town_a1)
    village_services.village_save(actor=users.county, village=village)
    assert Village.objects.get(name="新村").code == "369901001203"


def test_it_saves_a_full_width_region_code_through_the_service_in_ascii(users, org):
    region = Region(code="369903000000".translate(FULL_WIDTH), name="新县", level=RegionLevel.COUNTY, parent=org.city)
    village_services.region_save(actor=users.city, region=region)
    assert Region.objects.get(name="新县").code == "369903000000"


# --- resident ID numbers ---------------------------------------------------------------------------------


VALID_ID = with_check_digit("11010119850615123")


def test_it_accepts_a_valid_id_number():
    validate_id_number(VALID_ID)
    assert id_birth_date(VALID_ID) == datetime.date(1985, 6, 15)
    assert id_gender(VALID_ID) == "M"  # 17th digit 3 is odd


def test_it_reads_a_female_id_number():
    number = with_check_digit("11010119900203124")
    assert id_gender(number) == "F"
    assert id_birth_date(number) == datetime.date(1990, 2, 3)


def test_it_rejects_a_wrong_check_digit():
    wrong = VALID_ID[:-1] + ("1" if VALID_ID[-1] == "0" else "0")
    with pytest.raises(ValidationError) as exc:
        validate_id_number(wrong)
    assert messages_of(exc) == [MSG_ID_CHECKSUM]
    assert exc.value.code == "id_checksum"


@pytest.mark.parametrize("case", ["upper", "lower", "full_width_lower"])
def test_it_accepts_a_check_digit_x_in_either_case(case):
    number = id_ending_in_x()
    typed = {
        "upper": number,
        "lower": number.lower(),
        "full_width_lower": number[:-1].translate(FULL_WIDTH) + "ｘ",
    }[case]
    validate_id_number(typed)
    assert normalize_id_number(typed) == number


def test_it_accepts_an_id_number_in_full_width_digits_with_spaces():
    validate_id_number(" " + VALID_ID[:6].translate(FULL_WIDTH) + " " + VALID_ID[6:])


@pytest.mark.parametrize("number", [VALID_ID[:17], VALID_ID + "1", "110101850615123"])
def test_it_rejects_an_id_number_of_the_wrong_length(number):
    with pytest.raises(ValidationError) as exc:
        validate_id_number(number)
    assert messages_of(exc) == [MSG_ID_LENGTH]


def test_it_rejects_letters_inside_the_id_number():
    with pytest.raises(ValidationError) as exc:
        validate_id_number("11010119850615A23X")
    assert messages_of(exc) == [MSG_ID_FORMAT]


@pytest.mark.parametrize("birth", ["19850230", "19851301", "19850000"])
def test_it_rejects_an_id_number_with_an_impossible_birth_date(birth):
    # The check digit is right, so only the date can be at fault.
    number = with_check_digit(f"110101{birth}123")
    with pytest.raises(ValidationError) as exc:
        validate_id_number(number)
    assert messages_of(exc) == [MSG_ID_COMPONENT]


def test_it_rejects_an_unknown_address_code():
    number = with_check_digit("99999919850615123")
    with pytest.raises(ValidationError) as exc:
        validate_id_number(number)
    assert messages_of(exc) == [MSG_ID_COMPONENT]


def test_it_rejects_an_id_number_born_in_the_future():
    with pytest.raises(ValidationError):
        validate_id_number(with_check_digit("11010120900615123"))


# --- phone numbers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        "13912345678",
        "19912345678",
        "0791-12345678",
        "010-12345678",
        "07911234567",
        "0791-1234567",
        "１３９１２３４５６７８",
        "139 1234 5678",
        "０７９１－１２３４５６７８",
        "0791—12345678",
    ],
)
def test_it_accepts_mobile_and_landline_numbers(phone):
    validate_phone(phone)


@pytest.mark.parametrize(
    "phone",
    ["12912345678", "1391234567", "139123456789", "0791-123456", "791-12345678", "0791-123456789", "abc", ""],
)
def test_it_rejects_malformed_phone_numbers(phone):
    with pytest.raises(ValidationError) as exc:
        validate_phone(phone)
    assert messages_of(exc) == [MSG_PHONE]


# --- masking ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("110101198506151234", "110101********1234"),
        ("11010119850615123X", "110101********123X"),
        ("", ""),
        ("12345", "*****"),
    ],
)
def test_it_masks_all_but_the_address_code_and_last_four(number, masked):
    assert mask_id_number(number) == masked


def test_it_masks_eight_birth_digits_of_an_18_character_id():
    masked = mask_id_number(VALID_ID)
    assert masked == VALID_ID[:6] + "*" * 8 + VALID_ID[-4:]
    assert len(masked) == 18


def test_it_refuses_an_id_whose_address_code_stdnum_cannot_place_instead_of_crashing():
    # stdnum raises KeyError('county') for this address code; the validator must turn it into a message.
    from cadres.validators import validate_id_number as validate

    with pytest.raises(ValidationError, match="地址码无效"):
        validate("370106198506150019")
