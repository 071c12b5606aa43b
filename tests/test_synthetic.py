"""The generator: deterministic, valid codes (with the intended share of bad ones), real shape."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from pathlib import Path

import orjson

from cli.shards import generate
from cli.synthetic import Spec, company_code, person_code
from graph.identifiers import IdentifierError, parse_id_number, parse_uscc
from graph.rows import PARSERS, RowError
from scoring.catalogue import load_catalogue


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.glob("*.jsonl")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def rows(folder: Path) -> list[dict[str, object]]:
    out = []
    for path in sorted(folder.glob("*.jsonl")):
        out += [orjson.loads(line) for line in path.read_bytes().splitlines()]
    return out


def test_generator_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    spec = Spec(companies=300, persons=500, seed=9)
    generate(spec, tmp_path / "a", workers=2)
    generate(spec, tmp_path / "b", workers=1)  # sharding does not change the rows
    generate(Spec(companies=300, persons=500, seed=10), tmp_path / "c", workers=2)
    a, b = rows(tmp_path / "a"), rows(tmp_path / "b")
    assert sorted(map(orjson.dumps, a)) == sorted(map(orjson.dumps, b))
    assert digest(tmp_path / "a") != digest(tmp_path / "c")


def test_generator_writes_valid_rows_of_the_right_shape(tmp_path: Path) -> None:
    spec = Spec(companies=3000, persons=4000, seed=5)
    totals = generate(spec, tmp_path, workers=2)
    assert (totals["companies"], totals["persons"]) == (3000, 4000)
    data = rows(tmp_path)
    kinds = Counter(r["type"] for r in data)
    assert kinds["link"] == totals["links"] > 3000 * 4
    assert kinds["record"] == totals["records"] > 7000

    companies = [r for r in data if r["type"] == "company"]
    assert len({c["uscc"] for c in companies}) == 3000  # codes are unique
    flagged = sum(1 for c in companies if not parse_uscc(str(c["uscc"])).valid)
    assert 5 <= flagged <= 80  # about 1 %
    people = [r for r in data if r["type"] == "person"]
    assert len({p["id_number"] for p in people}) == 4000
    bad_ids = 0
    for p in people:
        try:
            parse_id_number(str(p["id_number"]))
        except IdentifierError:
            bad_ids += 1
    assert 1 <= bad_ids <= 60  # about 0.5 %

    # Every row but those naming a bad identity number passes the import's checks.
    refused: Counter[str] = Counter()
    for row in data:
        try:
            PARSERS[str(row["type"])](row)
        except RowError as exc:
            refused[exc.reason] += 1
    assert set(refused) <= {"the identity number's check character is wrong"}

    codes = load_catalogue()
    records = [r for r in data if r["type"] == "record"]
    assert {r["code"] for r in records} <= set(codes)
    assert {r["polarity"] for r in records} == {"good", "warning"}

    links = [r for r in data if r["type"] == "link"]
    rels = Counter(r["rel"] for r in links)
    assert rels["LEGAL_REPRESENTATIVE_OF"] == 3000
    assert rels["BRANCH_OF"] > 100 and rels["OFFICER_OF"] > 3000
    holders: dict[str, set[str]] = defaultdict(set)
    for link in links:
        if link["rel"] == "SHAREHOLDER_OF":
            holders[str(link["to"])].add(str(link["from"]))
            assert 0 < float(str(link["stake"])) <= 1
    # Ownership among companies: cycles exist, and chains run several levels deep.
    owned_by = {c: {h for h in hs if h in holders or h[:2] == "91"} for c, hs in holders.items()}
    cycles = sum(1 for c, hs in owned_by.items() for h in hs if c in owned_by.get(h, set()))
    assert cycles >= 2

    def depth(code: str, seen: frozenset[str] = frozenset()) -> int:
        parents = owned_by.get(code, set()) - seen
        return 1 + max((depth(p, seen | {code}) for p in list(parents)[:3]), default=0)

    assert max(depth(str(c["uscc"])) for c in companies[-50:]) >= 5


def test_generator_codes_are_functions_of_the_index() -> None:
    spec = Spec(companies=10, persons=10, seed=1)
    assert company_code(spec, 3) == company_code(spec, 3)
    assert person_code(spec, 3) != person_code(spec, 4)
    assert len({company_code(spec, i) for i in range(5000)}) == 5000
    assert len({person_code(spec, i) for i in range(5000)}) == 5000
