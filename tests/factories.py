"""factory_boy factories and a small named organisation used across the suite.

The organisation (build_org) is the hand-made fixture that expected numbers are computed from:

    city 青山市 369900000000
      county A 云溪县 369901000000
        township A1 城关镇 369901001000 — villages A1a (priority), A1b
        township A2 河口乡 369901002000 — village A2a
      county B 石门县 369902000000
        township B1 石门镇 369902001000 — village B1a
"""
import datetime
import itertools
from types import SimpleNamespace

import factory
from stdnum.cn import ric

from cadres.models import Cadre, DispatchRound, Posting, Role, User
from villages.models import DispatchingUnit, Region, RegionLevel, Village, VillageCategory

PASSWORD = "Demo@2026"
_serial = itertools.count(1)


def make_id_number(birth: datetime.date = datetime.date(1985, 6, 15), male: bool = True) -> str:
    """A valid 18-character resident ID (address 110101, given birth date, unique sequence)."""
    seq_digits = f"{(next(_serial) * 2 + (1 if male else 0)) % 1000:03d}"  # odd 3rd digit = male
    body = f"110101{birth:%Y%m%d}{seq_digits}"
    return body + ric.calc_check_digit(body + "0")


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"区划{n}")
    level = RegionLevel.CITY
    code = "369900000000"


class VillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Village

    name = factory.Sequence(lambda n: f"测试{n}村")
    code = factory.Sequence(lambda n: f"369901001{200 + n % 700:03d}")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DispatchingUnit

    name = factory.Sequence(lambda n: f"测试单位{n}")
    level = RegionLevel.CITY


class CadreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cadre

    name = factory.Sequence(lambda n: f"干部{n}")
    gender = "M"
    birth_date = datetime.date(1985, 6, 15)
    id_number = factory.LazyAttribute(lambda o: make_id_number(o.birth_date, o.gender == "M"))
    phone = factory.Sequence(lambda n: f"139{n:08d}")


class RoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DispatchRound

    name = factory.Sequence(lambda n: f"第{n}轮")
    start_date = datetime.date(2025, 3, 1)
    end_date = datetime.date(2027, 2, 28)


class PostingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Posting

    role = Posting.Role.MEMBER
    status = Posting.Status.IN_POST
    start_date = datetime.date(2025, 3, 1)
    unit = factory.LazyAttribute(lambda o: o.cadre.unit)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create and results:
            instance.save(update_fields=["password"])


def build_org() -> SimpleNamespace:
    city = RegionFactory(code="369900000000", name="青山市", level=RegionLevel.CITY)
    county_a = RegionFactory(code="369901000000", name="云溪县", level=RegionLevel.COUNTY, parent=city)
    county_b = RegionFactory(code="369902000000", name="石门县", level=RegionLevel.COUNTY, parent=city)
    town_a1 = RegionFactory(code="369901001000", name="城关镇", level=RegionLevel.TOWNSHIP, parent=county_a)
    town_a2 = RegionFactory(code="369901002000", name="河口乡", level=RegionLevel.TOWNSHIP, parent=county_a)
    town_b1 = RegionFactory(code="369902001000", name="石门镇", level=RegionLevel.TOWNSHIP, parent=county_b)

    v_a1a = VillageFactory(code="369901001201", name="杨家坪村", township=town_a1)
    v_a1a.categories.add(VillageCategory.objects.get(code="key_assistance"))
    v_a1b = VillageFactory(code="369901001202", name="石桥村", township=town_a1)
    v_a2a = VillageFactory(code="369901002201", name="新塘村", township=town_a2)
    v_b1a = VillageFactory(code="369902001201", name="龙潭村", township=town_b1)

    unit_city = UnitFactory(name="市财政局", level=RegionLevel.CITY, region=city)
    unit_a = UnitFactory(name="云溪县农业农村局", level=RegionLevel.COUNTY, region=county_a)
    unit_b = UnitFactory(name="石门县教育局", level=RegionLevel.COUNTY, region=county_b)

    rnd = RoundFactory(name="第二轮", region=city)

    c_a1_sec = CadreFactory(name="张伟", unit=unit_city)
    c_a1_mem = CadreFactory(name="李娜", gender="F", unit=unit_a)
    c_a2_sec = CadreFactory(name="王强", unit=unit_a)
    c_b1_sec = CadreFactory(name="刘洋", unit=unit_b)
    c_idle = CadreFactory(name="陈静", gender="F", unit=unit_a)  # registered, not posted

    p_a1_sec = PostingFactory(cadre=c_a1_sec, village=v_a1a, round=rnd, role=Posting.Role.FIRST_SECRETARY)
    p_a1_mem = PostingFactory(cadre=c_a1_mem, village=v_a1a, round=rnd)
    p_a2_sec = PostingFactory(cadre=c_a2_sec, village=v_a2a, round=rnd, role=Posting.Role.FIRST_SECRETARY)
    p_b1_sec = PostingFactory(cadre=c_b1_sec, village=v_b1a, round=rnd, role=Posting.Role.FIRST_SECRETARY)

    return SimpleNamespace(
        city=city, county_a=county_a, county_b=county_b, town_a1=town_a1, town_a2=town_a2, town_b1=town_b1,
        v_a1a=v_a1a, v_a1b=v_a1b, v_a2a=v_a2a, v_b1a=v_b1a,
        unit_city=unit_city, unit_a=unit_a, unit_b=unit_b, round=rnd,
        c_a1_sec=c_a1_sec, c_a1_mem=c_a1_mem, c_a2_sec=c_a2_sec, c_b1_sec=c_b1_sec, c_idle=c_idle,
        p_a1_sec=p_a1_sec, p_a1_mem=p_a1_mem, p_a2_sec=p_a2_sec, p_b1_sec=p_b1_sec,
    )


def build_users(org: SimpleNamespace) -> SimpleNamespace:
    """Users named after the role they play; `*_b` users sit in county B and are outsiders to county A."""
    return SimpleNamespace(
        admin=UserFactory(username="t_admin", role=Role.ADMIN, region=org.city, is_staff=True, is_superuser=True),
        city=UserFactory(username="t_city", role=Role.ORG_DEPT, region=org.city),
        county=UserFactory(username="t_county", role=Role.ORG_DEPT, region=org.county_a),
        county_b=UserFactory(username="t_county_b", role=Role.ORG_DEPT, region=org.county_b),
        township=UserFactory(username="t_township", role=Role.TOWNSHIP, region=org.town_a1),
        township2=UserFactory(username="t_township2", role=Role.TOWNSHIP, region=org.town_a2),
        township_b=UserFactory(username="t_township_b", role=Role.TOWNSHIP, region=org.town_b1),
        unit=UserFactory(username="t_unit", role=Role.UNIT, unit=org.unit_city),
        unit_b=UserFactory(username="t_unit_b", role=Role.UNIT, unit=org.unit_b),
        cadre=UserFactory(username="t_cadre", role=Role.CADRE, cadre=org.c_a1_mem),
        cadre_b=UserFactory(username="t_cadre_b", role=Role.CADRE, cadre=org.c_b1_sec),
    )
