"""Demo data for `manage.py seed_demo` (run by `make run`): the fictional 青山市 (code 369900000000) with three
counties, 25 townships, about 150 villages, 44 dispatching units, two dispatch rounds, 450 cadres with their
postings, a recall that was replaced and one that was not, and one account per role.

Two steps. `build_plan()` makes the whole data set in memory from a fixed random seed: no database and no
clock, so every run plans the same rows. `seed_demo()` writes the plan by natural keys (region code, village
code, unit name, round (region, name), cadre ID number, posting (cadre, round, start date), username), so a
second run creates nothing and changes nothing.

Rows are written in bulk rather than through the services one at a time: the services' per-row audit entries
and row locks are for people's edits, and the whole set has to load in a few seconds at every `make run`. The
rules still hold: every region, village, unit and cadre passes full_clean() and every new posting passes
cadres.services.posting_check(). Postings that already exist are left as they are (their status belongs to
whoever recalled or replaced them in the demo); reference rows are put back to the demo values.
"""
import datetime
import random
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TextIO

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import models, transaction
from stdnum.cn import ric

from villages.models import DispatchingUnit, Region, RegionLevel, Village, VillageCategory

from .audit import audit_record
from .models import (
    Cadre,
    DispatchRound,
    Education,
    Gender,
    PoliticalStatus,
    Posting,
    PostingRole,
    PostingStatus,
    Rank,
    Role,
    User,
)
from .services import posting_check

SEED = 20250301
DEMO_PASSWORD = "Demo@2026"  # noqa: S105 - the published password of the demo accounts, not a secret
TARGET_CADRES = 450

CITY_CODE, CITY_NAME = "369900000000", "青山市"
CITY_PREFIX = CITY_CODE[:4]
# Lat/lon box the villages are scattered in (a hilly city in the south of the Yangtze basin).
LAT_RANGE, LON_RANGE = (27.60, 28.30), (114.60, 115.60)

# County code, name, (lat, lon) of the seat, townships as (own 3 digits, name, number of villages and
# communities). Real codes number street offices 0xx, towns 1xx and townships 2xx.
COUNTIES: list[tuple[str, str, tuple[float, float], list[tuple[str, str, int]]]] = [
    ("369901000000", "云溪县", (27.96, 114.86), [
        ("100", "云溪镇", 6), ("101", "白沙镇", 7), ("102", "龙潭镇", 6), ("103", "桃源镇", 6), ("104", "清水镇", 6),
        ("105", "黄岗镇", 6), ("200", "梅林乡", 7), ("201", "枫树乡", 6), ("202", "高坪乡", 6),
    ]),
    ("369902000000", "石门县", (28.10, 115.18), [
        ("100", "石门镇", 6), ("101", "三江镇", 7), ("102", "大坪镇", 6), ("103", "官桥镇", 6), ("104", "长岭镇", 6),
        ("200", "竹山乡", 6), ("201", "杉木乡", 6), ("202", "罗溪乡", 6),
    ]),
    ("369903000000", "柳江区", (27.80, 115.36), [
        ("001", "柳城街道", 5), ("002", "江南街道", 5), ("003", "新塘街道", 6), ("100", "柳林镇", 7),
        ("101", "河口镇", 6), ("102", "金滩镇", 6), ("103", "双港镇", 6), ("200", "莲塘乡", 6),
    ]),
]
# Communities (社区) per street office; a town has one (its seat), a township none.
STREET_COMMUNITIES = {"柳城街道": 4, "江南街道": 3, "新塘街道": 2}
# Townships whose party committee appoints a township cadre as team leader (驻村工作队长) in each village.
LEADER_TOWNSHIPS = ["白沙镇", "梅林乡", "三江镇", "柳林镇"]

# The scenes the demo accounts open on (see build_plan):
DEMO_TOWNSHIP, DEMO_TOWNSHIP2 = "369901101000", "369901102000"  # 白沙镇, 龙潭镇 of 云溪县
DEMO_UNIT = "市农业农村局"
CADRE_VILLAGE = "369901101201"  # the `cadre` account serves here, sent by DEMO_UNIT
RECALL_REPLACED_VILLAGE = "369901101202"  # a member recalled in 2025, replaced
RECALL_OPEN_VILLAGE = "369901102201"  # first secretary recalled 2026-11-01, replacement not arrived
SHORT_VILLAGES = ["369901103201", "369903101201"]  # priority villages with only two in post

ROUNDS = [
    ("第一轮", datetime.date(2023, 3, 1), datetime.date(2025, 2, 28), "青山市第一轮驻村工作,任期两年。"),
    ("第二轮", datetime.date(2025, 3, 1), datetime.date(2027, 2, 28), "青山市第二轮驻村工作,任期两年。"),
]
LATE_STARTS = {
    "第一轮": [datetime.date(2023, 3, 13), datetime.date(2023, 3, 20), datetime.date(2023, 4, 6)],
    "第二轮": [datetime.date(2025, 3, 10), datetime.date(2025, 3, 17), datetime.date(2025, 3, 24),
             datetime.date(2025, 4, 7)],
}
# The replacement arrives after the 30-day deadline (2025-11-14): the demo shows a late replacement.
RECALL_REPLACED_END, REPLACEMENT_START = datetime.date(2025, 10, 15), datetime.date(2025, 11, 24)
RECALL_OPEN_END = datetime.date(2026, 11, 1)


def _words(text: str) -> list[str]:
    return text.split()


# --- names -------------------------------------------------------------------------------------------------

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任卢姚沈"
    "钟姜崔谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
# Roughly Zipf-like: 王李张刘陈 are far more common than 孔向汤.
SURNAME_WEIGHTS = [1 / (rank + 6) for rank in range(len(SURNAMES))]
# Given names follow fashion: people born in the 1960s-70s and in the 1990s were named differently.
GIVEN = {
    ("M", "old"): ("建国卫志永德海春新立明文红庆学光振金长晓", "华强平军明林生忠兵勇刚东斌峰辉清荣伟良成"),
    ("M", "young"): ("浩子宇俊嘉晨志家一文思天明晓鹏泽", "涛鹏杰宇轩磊超凯阳航晨博昊睿洋帆鑫豪"),
    ("F", "old"): ("秀桂红丽春美晓小金玉海冬爱淑素", "英梅芳兰华珍萍霞娟琴红燕玲莲凤"),
    ("F", "young"): ("欣思雨佳梦雅诗婉子晓静嘉一紫", "怡婷琳颖雪倩瑶璐丹蓉萱涵琪悦洁"),
}

VILLAGE_ROOTS = _words(
    "石桥 新塘 枫林 青石 竹园 高岭 水口 田心 塘背 大塘 松山 龙山 凤岭 桂花 梅岭 荷塘 白石 长冲 丰田 东岭 西坑 "
    "金盘 大桥 小港 湖田 横江 河东 岭下 上坪 下坪 双江 三合 永丰 和平 胜利 红星 光明 新华 联合 江口 沙洲 茶山 "
    "桐木 杉山 樟溪 柏树 麻田 稠溪 坪头 源头 岭背 官庄 五里 七星 南岭 北坑 中洲 洲上 上湾 坳背 石岭 黄土 罗坑 "
    "油茶 山口 圳上 垄口 花桥 竹林 杨梅 芦溪 清溪 板桥"
)
CLAN_SURNAMES = "杨李王张刘陈黄胡周谢彭曾罗邓廖钟邹熊万付肖吴郭朱徐何袁江程龚"
CLAN_SUFFIXES = "坪湾岭坊洲冲垅边岗源"
COMMUNITY_NAMES = _words(
    "城东 城南 城西 解放路 人民路 滨江 府前 站前 文昌 建设 朝阳 幸福 锦江 柳湖 东门 南门 五一路 中山路"
)

# --- units -------------------------------------------------------------------------------------------------

# City unit: its sections (科室) and affiliated institutions (事业单位) with the posts held there.
CITY_UNITS: dict[str, tuple[list[str], list[tuple[str, str]]]] = {
    "市委办公室": (["秘书科", "综合科", "督查室", "信息科", "机要科"], []),
    "市政府办公室": (["秘书一科", "秘书二科", "督查科", "综合科", "政务公开科"], []),
    "市委组织部": (["组织科", "干部科", "干部监督科", "人才科", "办公室"], []),
    "市委宣传部": (["宣传教育科", "新闻科", "文明创建科", "办公室"], []),
    "市纪委监委": (["党风政风监督室", "第一纪检监察室", "第二纪检监察室", "案件审理室", "办公室"], []),
    "市发展和改革委员会": (["综合科", "投资科", "农村经济科", "价格科"], [("市价格认证中心", "工作人员")]),
    "市财政局": (["综合科", "预算科", "国库科", "农业农村科", "行政政法科"], [("市财政投资评审中心", "评审员")]),
    "市教育局": (["基础教育科", "人事科", "计划财务科", "职业与成人教育科"],
              [("青山市第一中学", "教师"), ("青山市实验小学", "教师"), ("市教育考试院", "工作人员")]),
    "市卫生健康委员会": (["医政医管科", "疾病预防控制科", "基层卫生健康科", "人事科"],
                  [("青山市人民医院", "主治医师"), ("青山市中医院", "医师"), ("市疾病预防控制中心", "公共卫生医师")]),
    "市农业农村局": (["农村经济科", "种植业管理科", "乡村振兴科", "农田建设管理科"],
                [("市农业技术推广中心", "农艺师"), ("市畜牧水产技术推广站", "畜牧师")]),
    "市自然资源局": (["国土空间规划科", "耕地保护监督科", "不动产登记科", "地籍管理科"],
                [("市不动产登记中心", "工作人员"), ("市国土空间规划编制中心", "工程师")]),
    "市住房和城乡建设局": (["村镇建设科", "建筑市场监管科", "城市建设科"], [("市建设工程质量安全监督站", "工程师")]),
    "市交通运输局": (["规划建设科", "公路管理科", "运输科"], [("市公路事业发展中心", "工程师")]),
    "市水利局": (["农村水利科", "水旱灾害防御科", "河湖管理科"], [("市水利工程管理中心", "工程师")]),
    "市人力资源和社会保障局": (["就业促进科", "职业能力建设科", "社会保险科"], [("市就业创业服务中心", "工作人员")]),
    "市市场监督管理局": (["综合科", "食品安全协调科", "质量发展科"], [("市检验检测中心", "检验员")]),
}
# County unit by the part after the county's name (云溪县 + 财政局): sections (股) and institutions; the
# institution names get the county's name in front.
COUNTY_UNITS: dict[str, tuple[list[str], list[tuple[str, str]]]] = {
    "委办公室": (["秘书股", "综合股", "督查室", "信息股"], []),
    "委组织部": (["组织股", "干部股", "干部监督股", "人才办"], []),
    "财政局": (["预算股", "国库股", "农业股", "综合股"], [("财政投资评审中心", "工作人员")]),
    "教育体育局": (["基础教育股", "人事股", "计财股"], [("第一中学", "教师"), ("实验小学", "教师")]),
    "卫生健康委员会": (["医政股", "基层卫生股", "疾控股"], [("人民医院", "医师"), ("疾病预防控制中心", "公共卫生医师")]),
    "农业农村局": (["农村经济股", "乡村振兴股", "种植业股", "农田建设股"],
              [("农业技术推广中心", "农技员"), ("农村经营管理站", "工作人员")]),
    "自然资源局": (["规划股", "耕地保护股", "地籍股"], [("不动产登记中心", "工作人员")]),
    "人力资源和社会保障局": (["就业股", "社保股", "人事股"], [("就业创业服务中心", "工作人员")]),
}
TOWNSHIP_LEADER_POSTS = ["党委委员、副{t}长", "党委委员、组织委员", "党委委员、武装部部长", "人大主席团副主席",
                         "党委委员、宣传委员"]

# Jiangxi address codes for the first six ID digits. stdnum knows when each code was in use, so a code is
# only drawn for people born while it existed (the old prefecture codes 362xxx for the 1960s-70s).
ADDRESS_CODES = _words(
    "360102 360103 360111 360121 360122 360124 360202 360302 360403 360423 360424 360425 360502 360521 "
    "360602 360702 360731 360733 362101 362123 362131 362132 362201 362226 362227 362228 362229 362301 "
    "362323 362329 362401 362421 362422 362426 362502 362522 362524 362525"
)
MOBILE_PREFIXES = [f"13{d}" for d in range(10)] + ["150", "151", "152", "153", "155", "156", "157", "158",
                                                     "159"] + [f"18{d}" for d in range(10)] + ["191", "198", "199"]


# --- the plan ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RegionSpec:
    code: str
    name: str
    level: int
    parent_code: str | None


@dataclass
class VillageSpec:
    code: str
    name: str
    township_code: str
    categories: tuple[str, ...]
    latitude: Decimal
    longitude: Decimal
    population: int
    households: int
    paired_with_code: str | None = None

    @property
    def is_community(self) -> bool:
        return self.name.endswith("社区")


@dataclass(frozen=True)
class UnitSpec:
    name: str
    level: int
    region_code: str
    contact_name: str
    contact_phone: str

    def may_post_to(self, village_code: str) -> bool:
        """City units send cadres anywhere in the city, county units in their county, township units in
        their township."""
        return village_code.startswith(self.region_code[: {2: 4, 3: 6, 4: 9}[self.level]])


@dataclass
class CadreSpec:
    id_number: str
    name: str
    gender: str
    ethnicity: str
    birth_date: datetime.date
    phone: str
    political_status: str
    education: str
    original_post: str
    rank: str
    is_reserve_cadre: bool
    unit_name: str


@dataclass
class PostingSpec:
    id_number: str
    round_name: str
    village_code: str
    role: str
    start_date: datetime.date
    status: str = PostingStatus.IN_POST
    end_date: datetime.date | None = None
    replaces: tuple[str, str, datetime.date] | None = None
    note: str = ""

    @property
    def key(self) -> tuple[str, str, datetime.date]:
        return (self.id_number, self.round_name, self.start_date)


@dataclass(frozen=True)
class AccountSpec:
    username: str
    role: str
    last_name: str
    first_name: str
    region_code: str | None = None
    unit_name: str | None = None
    cadre_id_number: str | None = None
    is_staff: bool = False
    is_superuser: bool = False


@dataclass
class Plan:
    regions: list[RegionSpec] = field(default_factory=list)
    villages: list[VillageSpec] = field(default_factory=list)
    units: list[UnitSpec] = field(default_factory=list)
    cadres: list[CadreSpec] = field(default_factory=list)
    postings: list[PostingSpec] = field(default_factory=list)
    accounts: list[AccountSpec] = field(default_factory=list)


class _Builder:
    """Draws the plan. Every random choice goes through self.rng, in a fixed order, so the plan is the same
    on every run and on every machine."""

    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.plan = Plan()
        self.units: dict[str, UnitSpec] = {}
        self.unit_profiles: dict[str, tuple[list[str], list[tuple[str, str]]]] = {}
        self.villages: dict[str, VillageSpec] = {}
        self.cadres: dict[str, CadreSpec] = {}
        self.names: set[str] = set()
        self.phones: set[str] = set()
        self.codes_by_year: dict[int, list[str]] = {}

    # regions and villages

    def build_regions(self) -> None:
        rng = self.rng
        regions = self.plan.regions
        regions.append(RegionSpec(CITY_CODE, CITY_NAME, RegionLevel.CITY, None))
        village_roots = rng.sample(VILLAGE_ROOTS, 62)
        clan_names = rng.sample([s + "家" + t for s in CLAN_SURNAMES for t in CLAN_SUFFIXES], 76)
        rural_names = village_roots + clan_names
        rng.shuffle(rural_names)
        community_names = list(COMMUNITY_NAMES)
        rng.shuffle(community_names)
        for county_code, county_name, (c_lat, c_lon), townships in COUNTIES:
            regions.append(RegionSpec(county_code, county_name, RegionLevel.COUNTY, CITY_CODE))
            for own, name, size in townships:
                code = county_code[:6] + own + "000"
                regions.append(RegionSpec(code, name, RegionLevel.TOWNSHIP, county_code))
                street = name.endswith("街道")
                spread = 0.03 if street else 0.17
                t_lat = c_lat + rng.uniform(-spread, spread)
                t_lon = c_lon + rng.uniform(-spread, spread) * 1.2
                communities = STREET_COMMUNITIES.get(name, 1 if name.endswith("镇") else 0)
                for i in range(size):
                    if i < communities:
                        # A town's only community is its seat and carries the town's name (白沙社区).
                        v_name = (name[:-1] if not street else community_names.pop()) + "社区"
                        v_code = code[:9] + f"{i + 1:03d}"
                    else:
                        v_name = rural_names.pop() + "村"
                        v_code = code[:9] + f"{201 + i - communities:03d}"
                    self._add_village(v_code, v_name, code, t_lat, t_lon, street or i < communities)

    def _add_village(self, code: str, name: str, township_code: str, t_lat: float, t_lon: float,
                     urban: bool) -> None:
        rng = self.rng
        spread = 0.012 if urban else 0.045
        lat = min(max(t_lat + rng.uniform(-spread, spread), LAT_RANGE[0] + 0.01), LAT_RANGE[1] - 0.01)
        lon = min(max(t_lon + rng.uniform(-spread, spread), LON_RANGE[0] + 0.01), LON_RANGE[1] - 0.01)
        population = rng.randint(2800, 9500) if name.endswith("社区") else rng.randint(1100, 4300)
        households = round(population / rng.uniform(3.1, 3.8))
        village = VillageSpec(
            code=code, name=name, township_code=township_code, categories=self._categories(name),
            latitude=Decimal(f"{lat:.6f}"), longitude=Decimal(f"{lon:.6f}"),
            population=population, households=households,
        )
        self.villages[code] = village
        self.plan.villages.append(village)

    def _categories(self, name: str) -> tuple[str, ...]:
        rng = self.rng
        if name.endswith("社区"):
            roll = rng.random()
            return ("advanced",) if roll < 0.15 else ("weak_party",) if roll < 0.2 else ()
        if rng.random() < 0.11:
            return ("advanced",)
        cats = []
        if rng.random() < 0.26:
            cats.append("poverty_exit")
            if rng.random() < 0.35:
                cats.append("key_assistance")
        elif rng.random() < 0.05:
            cats.append("key_assistance")
        if rng.random() < 0.06:
            cats.append("relocation")
        if rng.random() < 0.08:
            cats.append("weak_party")
        if rng.random() < 0.22:
            cats.append("weak_economy")
        return tuple(cats)

    def force_scenes(self, priority_codes: set[str]) -> None:
        """The villages the demo accounts open on get the categories their scene needs."""
        for code in SHORT_VILLAGES:
            village = self.villages[code]
            if not set(village.categories) & priority_codes:
                village.categories = ("poverty_exit", *[c for c in village.categories if c != "advanced"])
        # The village that lost its first secretary shows only that warning: not a priority village.
        self.villages[RECALL_OPEN_VILLAGE].categories = ("weak_economy",)

    def pair_villages(self) -> None:
        """A few advanced villages are paired one-to-one with a weak village of the same county (结对帮扶)."""
        rng = self.rng
        rural = [v for v in self.plan.villages if not v.is_community]
        advanced = [v for v in rural if "advanced" in v.categories]
        weak = [v for v in rural if {"weak_party", "weak_economy"} & set(v.categories)]
        taken: set[str] = set()
        for village in rng.sample(advanced, min(6, len(advanced))):
            options = [w for w in weak if w.code[:6] == village.code[:6] and w.code not in taken]
            if options:
                partner = rng.choice(options)
                taken.add(partner.code)
                village.paired_with_code = partner.code

    # units

    def build_units(self) -> None:
        for name, profile in CITY_UNITS.items():
            self._add_unit(name, RegionLevel.CITY, CITY_CODE, profile)
        for county_code, county_name, _seat, _townships in COUNTIES:
            for suffix, (sections, institutions) in COUNTY_UNITS.items():
                profile = (sections, [(county_name + inst, title) for inst, title in institutions])
                self._add_unit(county_name + suffix, RegionLevel.COUNTY, county_code, profile)
        townships = {r.name: r for r in self.plan.regions if r.level == RegionLevel.TOWNSHIP}
        for name in LEADER_TOWNSHIPS:
            self._add_unit(name + "人民政府", RegionLevel.TOWNSHIP, townships[name].code, ([], []))

    def _add_unit(self, name: str, level: int, region_code: str, profile) -> None:
        contact = self.person_name(self.rng.choice("MF"), self.rng.randint(1972, 1994))
        phone = f"0795-{self.rng.randint(3200000, 3899999)}"
        unit = UnitSpec(name, level, region_code, contact, phone)
        self.units[name] = unit
        self.unit_profiles[name] = profile
        self.plan.units.append(unit)

    # people

    def person_name(self, gender: str, birth_year: int) -> str:
        rng = self.rng
        era = "old" if birth_year < 1980 else "young" if birth_year >= 1988 else rng.choice(["old", "young"])
        firsts, seconds = GIVEN[(gender, era)]
        for _attempt in range(50):
            surname = rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
            first, second = rng.choice(firsts), rng.choice(seconds)
            name = surname + first + second
            # Namesakes exist in real registers, but a demo is easier to follow without them.
            if first != second and name not in self.names:
                self.names.add(name)
                return name
        raise RuntimeError("name pools exhausted")

    def _address_codes(self, year: int) -> list[str]:
        if year not in self.codes_by_year:
            probe = f"{year}0601001"
            self.codes_by_year[year] = [c for c in ADDRESS_CODES if ric.is_valid(_with_check_digit(c + probe))]
        return self.codes_by_year[year]

    def id_number(self, birth: datetime.date, gender: str) -> str:
        rng = self.rng
        code = rng.choice(self._address_codes(birth.year))
        while True:
            # The 17th digit (last of the sequence) is odd for men, even for women.
            sequence = rng.randrange(0, 500) * 2 + (1 if gender == Gender.MALE else 0)
            number = _with_check_digit(f"{code}{birth:%Y%m%d}{sequence:03d}")
            if number not in self.cadres:
                return number

    def phone(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def new_cadre(self, unit_name: str, role: str, years: tuple[int, int]) -> CadreSpec:
        rng = self.rng
        unit = self.units[unit_name]
        gender = Gender.MALE if rng.random() < (0.8 if role != PostingRole.MEMBER else 0.66) else Gender.FEMALE
        # Most stationed cadres are in their thirties and forties: a triangular spread peaking two thirds in.
        start = datetime.date(years[0], 1, 1)
        span = (datetime.date(years[1], 12, 31) - start).days
        birth = start + datetime.timedelta(days=int(rng.triangular(0, span, span * 2 / 3)))
        age = 2025 - birth.year
        rank, post = self._career(unit, role, age)
        if role != PostingRole.MEMBER:
            political = PoliticalStatus.CPC_MEMBER  # first secretaries and team leaders are party members
        else:
            roll = rng.random()
            political = (
                PoliticalStatus.CPC_MEMBER if roll < 0.8
                else PoliticalStatus.CPC_PROBATIONARY if roll < 0.86
                else (PoliticalStatus.LEAGUE if age < 28 else PoliticalStatus.MASSES) if roll < 0.95
                else PoliticalStatus.DEMOCRATIC_PARTY
            )
        edu_roll = rng.random()
        education = (
            Education.POSTGRADUATE if edu_roll < (0.22 if age < 35 else 0.08)
            else Education.BACHELOR if edu_roll < 0.78
            else Education.COLLEGE if edu_roll < 0.96 or age < 45
            else Education.SECONDARY
        )
        ethnic_roll = rng.random()
        cadre = CadreSpec(
            id_number=self.id_number(birth, gender),
            name=self.person_name(gender, birth.year),
            gender=gender,
            ethnicity="畲族" if ethnic_roll < 0.02 else "回族" if ethnic_roll < 0.03 else "汉族",
            birth_date=birth,
            phone=self.phone(),
            political_status=political,
            education=education,
            original_post=post,
            rank=rank,
            is_reserve_cadre=age <= 45 and rng.random() < 0.22,
            unit_name=unit_name,
        )
        self.cadres[cadre.id_number] = cadre
        self.plan.cadres.append(cadre)
        return cadre

    def _career(self, unit: UnitSpec, role: str, age: int) -> tuple[str, str]:
        """Rank and original post (原职务), plausible for the unit, the role in the team and the age."""
        rng = self.rng
        sections, institutions = self.unit_profiles[unit.name]
        if unit.level == RegionLevel.TOWNSHIP:
            township = unit.name.removesuffix("人民政府")
            post = rng.choice(TOWNSHIP_LEADER_POSTS).format(t=township[-1])
            return Rank.SECTION_DEPUTY, township + post
        roll = rng.random()
        if role == PostingRole.FIRST_SECRETARY:
            if unit.level == RegionLevel.CITY and age >= 48 and roll < 0.15:
                rank = Rank.DIVISION_DEPUTY
            elif age >= 33:
                rank = Rank.SECTION_CHIEF if roll < 0.4 else Rank.SECTION_DEPUTY
            elif age >= 28:
                rank = Rank.SECTION_DEPUTY if roll < 0.4 else Rank.STAFF
            else:
                rank = Rank.STAFF
        elif age < 30:
            rank = Rank.CLERK if roll < 0.25 else Rank.STAFF if roll < 0.8 else Rank.NON_CIVIL
        elif age < 40:
            rank = Rank.STAFF if roll < 0.55 else Rank.SECTION_DEPUTY if roll < 0.7 else Rank.NON_CIVIL
        else:
            rank = Rank.STAFF if roll < 0.35 else Rank.SECTION_DEPUTY if roll < 0.72 else Rank.NON_CIVIL
        if rank == Rank.NON_CIVIL and not institutions:
            rank = Rank.STAFF
        section = rng.choice(sections) if sections else ""
        county = unit.level == RegionLevel.COUNTY
        if rank == Rank.NON_CIVIL:
            institution, title = rng.choice(institutions)
            return rank, institution + title
        if rank == Rank.DIVISION_DEPUTY:
            return rank, unit.name + "四级调研员"
        if rank == Rank.SECTION_CHIEF:
            return rank, unit.name + ("一级主任科员" if county else section + _head_title(section))
        if rank == Rank.SECTION_DEPUTY:
            if county:
                return rank, unit.name + (_deputy_head_title(unit.name) if roll < 0.5 else "四级主任科员")
            return rank, unit.name + section + "副" + _head_title(section)
        if rank == Rank.STAFF:
            # In a county bureau a section (股) is headed by a 股长, who holds no leadership rank.
            head = county and section.endswith("股") and rng.random() < 0.35
            return rank, unit.name + section + ("股长" if head else rng.choice(["一级科员", "二级科员"]))
        return rank, unit.name + section + "一级办事员"

    def pick_unit(self, village_code: str, role: str) -> str:
        """City units send more first secretaries, county units more members."""
        rng = self.rng
        city_share = 0.6 if role == PostingRole.FIRST_SECRETARY else 0.35
        level = RegionLevel.CITY if rng.random() < city_share else RegionLevel.COUNTY
        options = [u.name for u in self.plan.units if u.level == level and u.may_post_to(village_code)]
        return rng.choice(options)

    # postings

    def build_round2(self, priority_codes: set[str]) -> dict[str, list[PostingSpec]]:
        rng = self.rng
        round_name, start, _end, _note = ROUNDS[1]
        leader_units = {u.region_code: u.name for u in self.plan.units if u.level == RegionLevel.TOWNSHIP}
        teams: dict[str, list[PostingSpec]] = {}
        for village in self.plan.villages:
            priority = bool(set(village.categories) & priority_codes)
            leader_unit = leader_units.get(village.township_code)
            if village.code in SHORT_VILLAGES:
                members = 1  # deliberately below the priority minimum of 3, so the warning shows
            elif village.code == RECALL_OPEN_VILLAGE:
                members = 2
            elif priority:
                members = rng.choice([1, 1, 2]) if leader_unit else rng.choice([2, 2, 2, 2, 3])
            else:
                members = rng.choice([1, 1, 1, 1, 1, 1, 2, 2, 3]) if not leader_unit else rng.choice([1, 1, 1, 2])
            roles = [PostingRole.FIRST_SECRETARY]
            roles += [PostingRole.TEAM_LEADER] if leader_unit else []
            roles += [PostingRole.MEMBER] * members
            team = teams[village.code] = []
            for slot, role in enumerate(roles):
                if role == PostingRole.TEAM_LEADER:
                    unit_name = leader_unit
                elif village.code == CADRE_VILLAGE and slot == len(roles) - members:
                    unit_name = DEMO_UNIT  # the `cadre` account: a member sent by the `unit` account's unit
                else:
                    unit_name = self.pick_unit(village.code, role)
                years = {PostingRole.FIRST_SECRETARY: (1970, 1993), PostingRole.TEAM_LEADER: (1972, 1990)}.get(
                    role, (1968, 1998)
                )
                cadre = self.new_cadre(unit_name, role, years)
                day = rng.choice(LATE_STARTS[round_name]) if rng.random() < 0.1 else start
                team.append(PostingSpec(cadre.id_number, round_name, village.code, role, day))
            self.plan.postings.extend(team)
        self._recalls(teams)
        return teams

    def _recalls(self, teams: dict[str, list[PostingSpec]]) -> None:
        round_name = ROUNDS[1][0]
        # 1. A member recalled on health grounds in 2025, and the replacement their unit sent.
        recalled = [p for p in teams[RECALL_REPLACED_VILLAGE] if p.role == PostingRole.MEMBER][-1]
        recalled.status, recalled.end_date = PostingStatus.RECALLED, RECALL_REPLACED_END
        recalled.note = "因病需长期住院治疗,派驻单位申请召回,经县委组织部批准。"
        old = self.cadres[recalled.id_number]
        new = self.new_cadre(old.unit_name, PostingRole.MEMBER, (1980, 1996))
        replacement = PostingSpec(
            new.id_number, round_name, RECALL_REPLACED_VILLAGE, PostingRole.MEMBER, REPLACEMENT_START,
            replaces=recalled.key, note=f"接替被召回的{old.name}。",
        )
        self.plan.postings.append(replacement)
        # 2. A first secretary recalled three weeks ago; the unit has 30 days to send someone.
        secretary = teams[RECALL_OPEN_VILLAGE][0]
        secretary.status, secretary.end_date = PostingStatus.RECALLED, RECALL_OPEN_END
        secretary.note = (
            "2026年三次暗访均不在村,年度考核拟定为不称职,经县委组织部研究决定召回;替补人选由派驻单位30日内选派。"
        )

    def build_round1(self, teams: dict[str, list[PostingSpec]], priority_codes: set[str]) -> None:
        """Round 1 covered fewer villages, mostly priority ones. Some of its cadres serve again in round 2
        (in the same village or another), the others have only round-1 history."""
        rng = self.rng
        round_name, start, end, _note = ROUNDS[0]
        rural = [v for v in self.plan.villages if not v.is_community]
        weighted = sorted(
            rural, key=lambda v: rng.random() - (0.6 if set(v.categories) & priority_codes else 0)
        )
        reusable = [
            p.id_number for p in self.plan.postings
            if self.units[self.cadres[p.id_number].unit_name].level != RegionLevel.TOWNSHIP
            and p.replaces is None
        ]
        used: set[str] = set()
        count = 0
        for village in weighted:
            if count >= 120:
                break
            roles = [PostingRole.FIRST_SECRETARY] + [PostingRole.MEMBER] * rng.choice([1, 1, 2])
            for role in roles:
                needs_party = role == PostingRole.FIRST_SECRETARY

                def fits(id_number: str, village=village, needs_party=needs_party) -> bool:
                    cadre = self.cadres[id_number]
                    return (
                        id_number not in used
                        and self.units[cadre.unit_name].may_post_to(village.code)
                        and (not needs_party or cadre.political_status == PoliticalStatus.CPC_MEMBER)
                    )

                roll = rng.random()
                same = [p.id_number for p in teams.get(village.code, []) if p.id_number in reusable]
                same = [n for n in same if fits(n)]
                others = [n for n in reusable if fits(n)] if roll < 0.85 else []
                if roll < 0.22 and same:
                    id_number = rng.choice(same)
                elif others:
                    id_number = rng.choice(others)
                else:
                    years = (1968, 1990) if needs_party else (1968, 1995)
                    id_number = self.new_cadre(self.pick_unit(village.code, role), role, years).id_number
                used.add(id_number)
                day = rng.choice(LATE_STARTS[round_name]) if rng.random() < 0.05 else start
                self.plan.postings.append(PostingSpec(
                    id_number, round_name, village.code, role, day, status=PostingStatus.COMPLETED, end_date=end,
                ))
                count += 1

    def fill_pool(self) -> None:
        """Cadres registered by their units but not (yet) posted: candidates for the next replacement."""
        while len(self.plan.cadres) < TARGET_CADRES:
            unit = self.rng.choice([u for u in self.plan.units if u.level != RegionLevel.TOWNSHIP])
            self.new_cadre(unit.name, PostingRole.MEMBER, (1985, 1998))

    def build_accounts(self) -> None:
        cadre_posting = next(
            p for p in self.plan.postings
            if p.village_code == CADRE_VILLAGE and self.cadres[p.id_number].unit_name == DEMO_UNIT
            and p.role == PostingRole.MEMBER and p.status == PostingStatus.IN_POST
        )
        cadre = self.cadres[cadre_posting.id_number]
        contact = self.units[DEMO_UNIT].contact_name
        self.plan.accounts = [
            AccountSpec("admin", Role.ADMIN, "吴", "昊", region_code=CITY_CODE, is_staff=True, is_superuser=True),
            AccountSpec("city", Role.ORG_DEPT, "周", "敏", region_code=CITY_CODE),
            AccountSpec("county", Role.ORG_DEPT, "李", "建华", region_code=COUNTIES[0][0]),
            AccountSpec("county2", Role.ORG_DEPT, "刘", "志强", region_code=COUNTIES[1][0]),
            AccountSpec("township", Role.TOWNSHIP, "黄", "海燕", region_code=DEMO_TOWNSHIP),
            AccountSpec("township2", Role.TOWNSHIP, "彭", "晓军", region_code=DEMO_TOWNSHIP2),
            AccountSpec("unit", Role.UNIT, contact[0], contact[1:], unit_name=DEMO_UNIT),
            AccountSpec("cadre", Role.CADRE, cadre.name[0], cadre.name[1:], cadre_id_number=cadre.id_number),
        ]


def _with_check_digit(first17: str) -> str:
    # calc_check_digit() expects the whole number and ignores its last character.
    return first17 + ric.calc_check_digit(first17 + "0")


def _head_title(section: str) -> str:
    return "科长" if section.endswith("科") else "股长" if section.endswith("股") else "主任"


def _deputy_head_title(unit_name: str) -> str:
    if unit_name.endswith("局"):
        return "党组成员、副局长"
    if unit_name.endswith("部"):
        return "副部长"
    return "副主任"


def build_plan() -> Plan:
    """The whole demo data set, in memory. Pure: the same plan every time."""
    # The priority categories as villages migration 0002 seeds them. Fixed here rather than read from the
    # database, so that editing the reference data in the admin cannot change the plan (and break idempotence).
    priority_codes = {"poverty_exit", "key_assistance", "relocation", "weak_party"}
    builder = _Builder()
    builder.build_regions()
    builder.force_scenes(priority_codes)
    builder.pair_villages()
    builder.build_units()
    teams = builder.build_round2(priority_codes)
    builder.build_round1(teams, priority_codes)
    builder.fill_pool()
    builder.build_accounts()
    _check_plan(builder.plan)
    return builder.plan


def _check_plan(plan: Plan) -> None:
    """Guards against a change to this module that would break a rule: fails before anything is written."""
    units = {u.name: u for u in plan.units}
    cadres = {c.id_number: c for c in plan.cadres}
    if len(cadres) != len(plan.cadres) or len({c.phone for c in plan.cadres}) != len(plan.cadres):
        raise RuntimeError("demo plan: duplicate ID number or phone")
    by_cadre: dict[str, list[PostingSpec]] = {}
    for posting in plan.postings:
        by_cadre.setdefault(posting.id_number, []).append(posting)
        if not units[cadres[posting.id_number].unit_name].may_post_to(posting.village_code):
            raise RuntimeError(f"demo plan: {posting.key} is outside its unit's area")
    far = datetime.date.max
    for postings in by_cadre.values():
        postings.sort(key=lambda p: p.start_date)
        for before, after in zip(postings, postings[1:], strict=False):
            if (before.end_date or far) >= after.start_date:
                raise RuntimeError(f"demo plan: {before.key} overlaps {after.key}")


# --- writing -----------------------------------------------------------------------------------------------

Key = Any


def _sync(
    model: type[models.Model],
    rows: dict[Key, dict[str, Any]],
    existing: dict[Key, models.Model],
    stats: Counter,
    label: str,
) -> dict[Key, models.Model]:
    """Create the missing rows and put changed ones back to the planned values, in bulk. Each written row
    passes full_clean(); uniqueness is already settled by the natural key lookup."""
    result: dict[Key, models.Model] = {}
    to_create: list[models.Model] = []
    to_update: list[models.Model] = []
    changed: set[str] = set()
    for key, values in rows.items():
        obj = existing.get(key)
        if obj is None:
            obj = model(**values)
            to_create.append(obj)
        else:
            diff = [name for name, value in values.items() if not _same(obj, name, value)]
            if diff:
                for name in diff:
                    setattr(obj, name, values[name])
                changed.update(diff)
                to_update.append(obj)
        result[key] = obj
    for obj in to_create + to_update:
        obj.full_clean(validate_unique=False, validate_constraints=False)
    model.objects.bulk_create(to_create)
    if to_update:
        model.objects.bulk_update(to_update, fields=sorted(changed))
    stats[f"{label}_created"] += len(to_create)
    stats[f"{label}_updated"] += len(to_update)
    return result


def _same(obj: models.Model, name: str, value: Any) -> bool:
    model_field = obj._meta.get_field(name)
    if model_field.is_relation:
        # Compare ids: no query for the related row.
        return getattr(obj, model_field.attname) == (value.pk if value is not None else None)
    return getattr(obj, name) == value


def _write_regions(plan: Plan, stats: Counter) -> dict[str, Region]:
    regions: dict[str, Region] = {}
    # Parents first: a level's rows need their parents' primary keys.
    for level in (RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWNSHIP):
        specs = [r for r in plan.regions if r.level == level]
        rows = {
            r.code: {"code": r.code, "name": r.name, "level": r.level,
                     "parent": regions[r.parent_code] if r.parent_code else None}
            for r in specs
        }
        existing = Region.objects.in_bulk([r.code for r in specs], field_name="code")
        regions.update(_sync(Region, rows, existing, stats, "regions"))
    return regions


def _write_villages(plan: Plan, regions: dict[str, Region], stats: Counter) -> dict[str, Village]:
    rows = {
        v.code: {"code": v.code, "name": v.name, "township": regions[v.township_code], "latitude": v.latitude,
                 "longitude": v.longitude, "population": v.population, "households": v.households}
        for v in plan.villages
    }
    existing = Village.objects.in_bulk(list(rows), field_name="code")
    villages = _sync(Village, rows, existing, stats, "villages")
    # Pairing points from village to village, so it is set once all villages have primary keys.
    repaired = []
    for spec in plan.villages:
        village = villages[spec.code]
        partner_id = villages[spec.paired_with_code].pk if spec.paired_with_code else None
        if village.paired_with_id != partner_id:
            village.paired_with_id = partner_id
            repaired.append(village)
    Village.objects.bulk_update(repaired, fields=["paired_with"])
    stats["villages_updated"] += len(repaired)
    # Categories: exactly the planned ones on the demo villages.
    categories = {c.code: c.pk for c in VillageCategory.objects.all()}
    missing = {c for v in plan.villages for c in v.categories} - set(categories)
    if missing:
        raise RuntimeError(f"village categories missing (run migrate first): {sorted(missing)}")
    through = Village.categories.through
    wanted = {(villages[v.code].pk, categories[c]) for v in plan.villages for c in v.categories}
    ids = [v.pk for v in villages.values()]
    present = set(through.objects.filter(village_id__in=ids).values_list("village_id", "villagecategory_id"))
    through.objects.bulk_create(
        [through(village_id=v, villagecategory_id=c) for v, c in sorted(wanted - present)]
    )
    for village_id, category_id in present - wanted:
        through.objects.filter(village_id=village_id, villagecategory_id=category_id).delete()
    stats["village_categories_changed"] += len(wanted ^ present)
    return villages


def _write_units(plan: Plan, regions: dict[str, Region], stats: Counter) -> dict[str, DispatchingUnit]:
    rows = {
        u.name: {"name": u.name, "level": u.level, "region": regions[u.region_code],
                 "contact_name": u.contact_name, "contact_phone": u.contact_phone}
        for u in plan.units
    }
    existing = DispatchingUnit.objects.in_bulk(list(rows), field_name="name")
    return _sync(DispatchingUnit, rows, existing, stats, "units")


def _write_rounds(city: Region, stats: Counter) -> dict[str, DispatchRound]:
    rows = {
        name: {"name": name, "region": city, "start_date": start, "end_date": end, "note": note}
        for name, start, end, note in ROUNDS
    }
    existing = {r.name: r for r in DispatchRound.objects.filter(region=city, name__in=list(rows))}
    return _sync(DispatchRound, rows, existing, stats, "rounds")


def _write_cadres(plan: Plan, units: dict[str, DispatchingUnit], stats: Counter) -> dict[str, Cadre]:
    rows = {
        c.id_number: {
            "id_number": c.id_number, "id_tail": c.id_number[-6:],  # Cadre.save() is bypassed by bulk_create
            "name": c.name, "gender": c.gender, "ethnicity": c.ethnicity, "birth_date": c.birth_date,
            "phone": c.phone, "political_status": c.political_status, "education": c.education,
            "original_post": c.original_post, "rank": c.rank, "is_reserve_cadre": c.is_reserve_cadre,
            "unit": units[c.unit_name],
        }
        for c in plan.cadres
    }
    existing = Cadre.objects.in_bulk(list(rows), field_name="id_number")
    return _sync(Cadre, rows, existing, stats, "cadres")


def _write_postings(
    plan: Plan, cadres: dict[str, Cadre], villages: dict[str, Village], rounds: dict[str, DispatchRound],
    stats: Counter,
) -> None:
    """Only missing postings are created; existing ones keep whatever the demo's users did to them. A planned
    posting that no longer fits (someone posted that cadre elsewhere in the meantime) is skipped, not forced."""
    existing = {
        (p.cadre_id, p.round_id, p.start_date): p
        for p in Posting.objects.filter(round__in=list(rounds.values()))
    }
    saved: dict[tuple, Posting] = {}

    def key_of(spec_key: tuple) -> tuple:
        id_number, round_name, start = spec_key
        return (cadres[id_number].pk, rounds[round_name].pk, start)

    # Replacements point at the posting they replace, so they go in a second batch.
    for batch in (
        [s for s in plan.postings if s.replaces is None],
        [s for s in plan.postings if s.replaces is not None],
    ):
        new: list[Posting] = []
        for spec in batch:
            key = key_of(spec.key)
            if key in existing:
                saved[spec.key] = existing[key]
                continue
            replaces = None
            if spec.replaces is not None:
                replaces = saved.get(spec.replaces)
                if replaces is None:
                    stats["postings_skipped"] += 1
                    continue
            cadre = cadres[spec.id_number]
            posting = Posting(
                cadre=cadre, village=villages[spec.village_code], round=rounds[spec.round_name], unit=cadre.unit,
                role=spec.role, status=spec.status, start_date=spec.start_date, end_date=spec.end_date,
                replaces=replaces, note=spec.note,
            )
            try:
                posting.clean_fields(exclude=["cadre", "village", "round", "unit", "replaces"])
                posting_check(posting)
            except ValidationError:
                stats["postings_skipped"] += 1
                continue
            new.append(posting)
            saved[spec.key] = posting
        Posting.objects.bulk_create(new)
        stats["postings_created"] += len(new)


def _write_accounts(
    plan: Plan, regions: dict[str, Region], units: dict[str, DispatchingUnit], cadres: dict[str, Cadre],
    stats: Counter,
) -> list[User]:
    users = User.objects.in_bulk([a.username for a in plan.accounts], field_name="username")
    # Hashing is slow on purpose (PBKDF2); hash once and give the demo accounts the same hash, and check an
    # existing hash only once per distinct value, so a re-run costs one check instead of eight hashes.
    demo_hash: str | None = None
    verified: dict[str, bool] = {}
    result = []
    for spec in plan.accounts:
        user = users.get(spec.username) or User(username=spec.username)
        values = {
            "role": spec.role, "first_name": spec.first_name, "last_name": spec.last_name,
            "region": regions[spec.region_code] if spec.region_code else None,
            "unit": units[spec.unit_name] if spec.unit_name else None,
            "cadre": cadres[spec.cadre_id_number] if spec.cadre_id_number else None,
            "is_staff": spec.is_staff, "is_superuser": spec.is_superuser, "is_active": True,
        }
        diff = [name for name, value in values.items() if not _same(user, name, value)]
        for name in diff:
            setattr(user, name, values[name])
        if user.password not in verified:
            verified[user.password] = bool(user.password) and user.check_password(DEMO_PASSWORD)
        if not verified[user.password]:
            demo_hash = demo_hash or make_password(DEMO_PASSWORD)
            user.password = demo_hash
            diff.append("password")
        if user.pk is None or diff:
            user.full_clean()
            stats["users_created" if user.pk is None else "users_updated"] += 1
            user.save()
        result.append(user)
    return result


def seed_demo(*, stdout: TextIO | None = None) -> dict[str, Any]:
    """Load (or bring back) the demo data and return a summary; with `stdout`, also print it in Chinese."""
    plan = build_plan()
    stats: Counter = Counter()
    with transaction.atomic():
        regions = _write_regions(plan, stats)
        villages = _write_villages(plan, regions, stats)
        units = _write_units(plan, regions, stats)
        rounds = _write_rounds(regions[CITY_CODE], stats)
        cadres = _write_cadres(plan, units, stats)
        _write_postings(plan, cadres, villages, rounds, stats)
        users = _write_accounts(plan, regions, units, cadres, stats)
        changes = {k: v for k, v in sorted(stats.items()) if v}
        if any(v for k, v in changes.items() if k != "postings_skipped"):
            audit_record(actor=None, action="demo.seed", region_code=CITY_CODE, detail=changes)
        summary = _summary(users, changes)
    if stdout is not None:
        stdout.write(format_summary(summary))
    return summary


def _summary(users: list[User], changes: dict[str, int]) -> dict[str, Any]:
    regions = Counter(
        Region.objects.filter(code__startswith=CITY_PREFIX).values_list("level", flat=True)
    )
    postings = Posting.objects.filter(village__code__startswith=CITY_PREFIX)
    by_status = Counter(postings.values_list("status", flat=True))
    accounts = []
    for user in users:
        if user.role == Role.CADRE:
            posting = user.cadre.postings.filter(status=PostingStatus.IN_POST).select_related("village").first()
            jurisdiction = f"本人({user.cadre.name},驻{posting.village.name})" if posting else "本人"
        elif user.role == Role.UNIT:
            jurisdiction = user.unit.name
        else:
            jurisdiction = " ".join(r.name for r in reversed(user.region.ancestors()))
        accounts.append({
            "username": user.username, "role": user.get_role_display(), "name": user.last_name + user.first_name,
            "jurisdiction": jurisdiction, "password": DEMO_PASSWORD,
        })
    return {
        "city": Region.objects.filter(code__startswith=CITY_PREFIX, level=RegionLevel.CITY).count(),
        "counties": regions[RegionLevel.COUNTY],
        "townships": regions[RegionLevel.TOWNSHIP],
        "villages": Village.objects.filter(code__startswith=CITY_PREFIX).count(),
        "units": DispatchingUnit.objects.filter(region__code__startswith=CITY_PREFIX).count(),
        "rounds": DispatchRound.objects.filter(region__code__startswith=CITY_PREFIX).count(),
        "cadres": Cadre.objects.filter(unit__region__code__startswith=CITY_PREFIX).count(),
        "postings": sum(by_status.values()),
        "postings_by_status": {s.value: by_status.get(s.value, 0) for s in PostingStatus},
        "accounts": accounts,
        "changes": changes,
    }


def format_summary(summary: dict[str, Any]) -> str:
    status = summary["postings_by_status"]
    changes = summary["changes"]
    written = sum(v for k, v in changes.items() if k != "postings_skipped")
    lines = [
        f"演示数据已就绪:{CITY_NAME}({CITY_CODE})",
        f"  本次新建或更新 {written} 条记录" if written else "  数据已是最新,本次未作改动",
    ]
    if changes.get("postings_skipped"):
        lines.append(f"  跳过 {changes['postings_skipped']} 条与现有记录冲突的派驻记录")
    lines += [
        f"  县(区) {summary['counties']} 个,乡镇(街道) {summary['townships']} 个,村(社区) {summary['villages']} 个",
        f"  派驻单位 {summary['units']} 个,派驻轮次 {summary['rounds']} 个,驻村干部 {summary['cadres']} 人",
        f"  派驻记录 {summary['postings']} 条(在岗 {status['in_post']},期满 {status['completed']},"
        f"已召回 {status['recalled']})",
        "",
        f"演示账号(密码均为 {DEMO_PASSWORD}):",
    ]
    header = ["账号", "角色", "姓名", "管辖范围", "密码"]
    rows = [[a["username"], a["role"], a["name"], a["jurisdiction"], a["password"]] for a in summary["accounts"]]
    lines += _table(header, rows)
    return "\n".join(lines) + "\n"


def _table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    """Columns padded by display width: a Chinese character takes two columns in a terminal."""
    rows = [header, *rows]
    widths = [max(_width(r[i]) for r in rows) for i in range(len(header))]
    pad: Callable[[str, int], str] = lambda text, width: text + " " * (width - _width(text))  # noqa: E731
    return ["  " + "  ".join(pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
