"""``credgraph generate``: a plausible registry in the import format, deterministic for a seed.

Every entity is a pure function of (seed, kind, index): its code, name, address and records come
from a random generator seeded with those three numbers, so links can name any other entity by
its index without the generator keeping a table of what it wrote. Memory stays flat whatever the
size, and the work splits into shards that run in parallel and write their own files.

Shape of the data: each company has a legal representative, officers and shareholders (people,
or earlier companies, which makes ownership chains many levels deep), some are branches of
another, a few own each other in 2- and 3-cycles. About 1% of codes carry a wrong check character
(accepted and flagged by the import) and 0.5% of identity numbers too (rejected by the import).
Records are drawn from the record-code catalogue the scoring schemes use.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from stdnum import numdb

from graph.identifiers import USCC_ALPHABET, division_name
from scoring.catalogue import RecordCode, load_catalogue

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
)
COMPOUND_SURNAMES = ("欧阳", "上官", "司马", "诸葛", "东方", "皇甫")
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强志明海燕玉兰红梅小红"
    "鑫宇浩然子涵欣怡梓萱一诺雨桐佳怡思远晨曦嘉懿俊杰文博天佑若曦婉清景行致远"
)
BRAND = "华腾盛鑫恒泰达嘉锦瑞信宏伟通源隆兴金天新东方中海远佳和丰安博创智德聚汇润诚正永利富荣昌茂"
INDUSTRIES = (
    "科技",
    "贸易",
    "建设工程",
    "餐饮管理",
    "物流",
    "房地产开发",
    "电子",
    "实业",
    "投资管理",
    "文化传媒",
    "医药",
    "食品",
    "服装",
    "机械设备",
    "旅游",
    "教育咨询",
    "网络科技",
    "汽车销售",
    "环保科技",
    "新能源",
    "生物科技",
    "供应链管理",
    "建材",
    "家具",
    "农业发展",
)
SUFFIXES = ("有限公司",) * 8 + ("股份有限公司", "有限责任公司")
ROADS = ("路", "街", "大道", "大街", "巷")
PROFESSIONS = (
    "engineer",
    "teacher",
    "doctor",
    "lawyer",
    "accountant",
    "tour guide",
    "driver",
    "farmer",
    "civil servant",
    "merchant",
    "nurse",
    "worker",
    "self-employed",
    "student",
    "retired",
    None,
)
OFFICER_ROLES = ("董事长", "董事", "监事", "总经理", "副总经理", "财务负责人")
STATUSES = ("active",) * 17 + ("revoked", "cancelled", "cancelled")
FIRST_BIRTH, LAST_BIRTH = date(1950, 1, 1), date(2005, 12, 31)
BIRTH_DAYS = (LAST_BIRTH - FIRST_BIRTH).days + 1
TODAY = date(2026, 11, 1)  # fixed, so that the same seed gives the same files on any day
PENALTIES = {
    "minor": ("警告", "罚款200元", "罚款500元", "批评教育"),
    "general": ("罚款5000元", "罚款2万元", "暂扣许可证", "限期整改并罚款"),
    "serious": (
        "限制高消费",
        "纳入失信被执行人名单",
        "吊销营业执照",
        "罚款50万元",
        "限制乘坐飞机和高铁",
    ),
}
COMPANY_MULT = 2_654_435_761  # odd and not a multiple of 31: a bijection on [0, 31**9)
USCC_SPACE = 31**9


@dataclass(frozen=True)
class Spec:
    """What to generate."""

    companies: int
    persons: int
    seed: int = 1


@cache
def regions() -> tuple[tuple[str, str], ...]:
    """County-level division codes valid from 1950 on, with their names."""
    found = []
    for province in numdb.get("cn/loc").prefixes:
        _length, low, _high, _props, children = province
        for child in children:
            _l, code, code_high, props, _c = child
            county = props.get("county", "")
            if code != code_high or code.endswith("00") or county.startswith("["):
                continue
            full = low + code
            name = division_name(full)
            if name:
                found.append((full, name))
    return tuple(sorted(found))


def _rng(seed: int, kind: int, index: int) -> random.Random:
    return random.Random((seed * 4_000_037 + kind) * 1_000_000_007 + index)


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


@cache
def _person_multiplier(space: int) -> int:
    mult = 2_654_435_761
    while _gcd(mult, space) != 1:
        mult += 2
    return mult


_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_INDEX = {c: n for n, c in enumerate(USCC_ALPHABET)}


def _company_start(spec: Spec, i: int) -> tuple[random.Random, str, str, str]:
    """The first draws of company ``i``: its RNG, region code, place name and USCC."""
    rng = _rng(spec.seed, 1, i)
    region, place = rng.choice(regions())
    x = ((i + 1) * COMPANY_MULT + spec.seed * 7919) % USCC_SPACE
    body = []
    for _ in range(9):
        x, r = divmod(x, 31)
        body.append(USCC_ALPHABET[r])
    first17 = "91" + region + "".join(reversed(body))
    total = sum(_USCC_INDEX[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    check = (31 - total % 31) % 31
    if rng.random() < 0.01:
        check = (check + 1 + rng.randrange(30)) % 31
    return rng, region, place, first17 + USCC_ALPHABET[check]


def company_code(spec: Spec, i: int) -> str:
    """The USCC of company ``i`` (about 1% with a wrong check character)."""
    return _company_start(spec, i)[3]


def person_code(spec: Spec, i: int) -> str:
    """The identity number of person ``i`` (0.5% with a wrong check character)."""
    table = regions()
    space = len(table) * BIRTH_DAYS * 1000
    x = (i * _person_multiplier(space) + spec.seed * 104_729) % space
    x, seq = divmod(x, 1000)
    region_index, day = divmod(x, BIRTH_DAYS)
    born = FIRST_BIRTH + timedelta(days=day)
    first17 = f"{table[region_index][0]}{born:%Y%m%d}{seq:03d}"
    check = (1 - 2 * int(first17, 13)) % 11
    if _rng(spec.seed, 2, i).random() < 0.005:
        check = (check + 1) % 11
    return first17 + ("X" if check == 10 else str(check))


def person_name(rng: random.Random) -> str:
    surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.01 else rng.choice(SURNAMES)
    return surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _phone(rng: random.Random, region: str) -> str:
    if rng.random() < 0.7:
        return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
    return f"0{region[:2]}{rng.randrange(1, 10)}-{rng.randrange(10**7, 10**8)}"


def _address(rng: random.Random, place: str) -> str:
    road = rng.choice(BRAND) + rng.choice(BRAND) + rng.choice(ROADS)
    address = f"{place}{road}{rng.randrange(1, 999)}号"
    if rng.random() < 0.4:
        address += f"{rng.randrange(1, 30)}号楼{rng.randrange(1, 25)}{rng.randrange(1, 20):02d}室"
    return address


def _base_name(rng: random.Random, place: str) -> str:
    return f"{place[:2]}{rng.choice(BRAND)}{rng.choice(BRAND)}{rng.choice(INDUSTRIES)}"


def branch_parent(spec: Spec, i: int) -> int | None:
    """The parent of company ``i`` when it is a branch (8% of companies), else None."""
    if i == 0:
        return None
    rng = _rng(spec.seed, 5, i)
    return rng.randrange(i) if rng.random() < 0.08 else None


def company_name(spec: Spec, i: int) -> str:
    """The name of company ``i`` (a branch is named after its parent)."""
    rng, _region, place, _code = _company_start(spec, i)
    parent = branch_parent(spec, i)
    if parent is not None:
        return f"{company_name(spec, parent)}{place[-3:]}分公司"
    return _base_name(rng, place) + SUFFIXES[i % len(SUFFIXES)]


def company(spec: Spec, i: int) -> dict[str, Any]:
    """The ``company`` row of company ``i``."""
    rng, region, place, code = _company_start(spec, i)
    founded = TODAY - timedelta(days=rng.randrange(90, 30 * 365))
    return {
        "type": "company",
        "uscc": code,
        "name": company_name(spec, i),
        "registration_number": f"{region}{i:09d}",
        "address": _address(rng, place),
        "phone": _phone(rng, region),
        "status": rng.choice(STATUSES),
        "founded_on": founded.isoformat(),
        "registration_authority": f"{place}市场监督管理局",
    }


def person(spec: Spec, i: int) -> dict[str, Any]:
    """The ``person`` row of person ``i``."""
    rng = _rng(spec.seed, 2, i)
    rng.random()  # the draw person_code spends on the check character
    row: dict[str, Any] = {"type": "person", "id_number": person_code(spec, i)}
    row["name"] = person_name(rng)
    profession = rng.choice(PROFESSIONS)
    if profession:
        row["profession"] = profession
    return row


def _stakes(rng: random.Random, n: int) -> list[float]:
    weights = [rng.random() + 0.05 for _ in range(n)]
    total = sum(weights) / (0.6 + 0.4 * rng.random())
    return [max(0.0001, round(w / total, 4)) for w in weights]


def company_links(spec: Spec, i: int) -> Iterator[dict[str, Any]]:
    """The links that end at company ``i``, plus the cycles it closes."""
    rng = _rng(spec.seed, 3, i)
    me = company_code(spec, i)
    since = (TODAY - timedelta(days=rng.randrange(30, 20 * 365))).isoformat()
    link = {"type": "link", "to": me}
    if spec.persons:
        rep = person_code(spec, rng.randrange(spec.persons))
        yield {**link, "rel": "LEGAL_REPRESENTATIVE_OF", "from": rep, "since": since}
        for role in rng.sample(OFFICER_ROLES, rng.choice((1, 1, 2, 2, 3, 4))):
            officer = person_code(spec, rng.randrange(spec.persons))
            yield {**link, "rel": "OFFICER_OF", "from": officer, "role": role, "since": since}
    holders: list[str] = []
    for _ in range(rng.choice((1, 2, 2, 3, 3, 4, 5))):
        if i > 0 and (rng.random() < 0.3 or not spec.persons):
            # A recent earlier company: chains of ownership grow many levels deep.
            holder = company_code(spec, i - 1 - rng.randrange(min(i, 50)))
        else:
            holder = person_code(spec, rng.randrange(spec.persons))
        if holder not in holders and holder != me:
            holders.append(holder)
    cycle_partners: list[int] = []
    if i >= 2 and i % 997 == 0:
        cycle_partners = [i - 1]  # i-1 holds i, i holds i-1
    elif i >= 3 and i % 1999 == 0:
        cycle_partners = [i - 2]  # i holds i-1 (below), i-1 holds i-2, i-2 holds i
    partner_codes = {company_code(spec, j) for j in cycle_partners}
    holders = [h for h in holders if h not in partner_codes]
    stakes = _stakes(rng, len(holders) + len(cycle_partners))
    for holder, stake in zip(holders + sorted(partner_codes), stakes, strict=True):
        yield {**link, "rel": "SHAREHOLDER_OF", "from": holder, "stake": stake}
    if i >= 2 and i % 997 == 0:
        yield {
            "type": "link",
            "rel": "SHAREHOLDER_OF",
            "from": me,
            "to": company_code(spec, i - 1),
            "stake": 0.1,
        }
    elif i >= 3 and i % 1999 == 0:
        yield {
            "type": "link",
            "rel": "SHAREHOLDER_OF",
            "from": me,
            "to": company_code(spec, i - 1),
            "stake": 0.05,
        }
        yield {
            "type": "link",
            "rel": "SHAREHOLDER_OF",
            "from": company_code(spec, i - 1),
            "to": company_code(spec, i - 2),
            "stake": 0.07,
        }
    parent = branch_parent(spec, i)
    if parent is not None:
        yield {
            **link,
            "rel": "BRANCH_OF",
            "from": me,
            "to": company_code(spec, parent),
            "since": since,
        }


@cache
def _codes(kind: str) -> tuple[tuple[RecordCode, ...], tuple[RecordCode, ...]]:
    codes = [c for c in load_catalogue().values() if c.concerns(kind)]
    return (
        tuple(c for c in codes if c.polarity == "good"),
        tuple(c for c in codes if c.polarity == "warning"),
    )


_NATIONAL = ("中心", "委员会", "海关")
_PER_COMPANY = (0, 0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 8)
_PER_PERSON = (0, 0, 0, 1, 1, 1, 2, 2, 3, 4, 5)


def records(spec: Spec, kind: str, i: int, subject: str, place: str) -> Iterator[dict[str, Any]]:
    """The records of entity ``i`` of ``kind`` (``person`` or ``company``)."""
    rng = _rng(spec.seed, 4 if kind == "company" else 6, i)
    good, warning = _codes(kind)
    counts = _PER_COMPANY if kind == "company" else _PER_PERSON
    warning_share = 0.7 if kind == "company" else 0.55
    for n in range(rng.choice(counts)):
        code = rng.choice(warning if rng.random() < warning_share else good)
        decided = TODAY - timedelta(days=rng.randrange(1, 5 * 365))
        authority = code.authority
        if not authority.endswith(_NATIONAL):
            authority = place + authority
        if code.authority == "人民法院":
            case = f"({decided.year}){place[:1]}{subject[2:6]}执{rng.randrange(1, 9999)}号"
        else:
            case = f"{place[:2]}{code.authority[:2]}罚〔{decided.year}〕{rng.randrange(1, 999)}号"
        title = code.title_zh
        row: dict[str, Any] = {
            "type": "record",
            "record_id": f"{kind[0].upper()}{spec.seed}-{i}-{n}",
            "subject": subject,
            "authority": authority,
            "case_number": case,
            "category": code.category,
            "code": code.code,
            "polarity": code.polarity,
            "severity": code.severity,
            "decided_on": decided.isoformat(),
            "description": title,
        }
        if code.polarity == "warning":
            row["penalty"] = rng.choice(PENALTIES[code.severity])
        yield row
