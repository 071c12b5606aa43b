"""``graph.dialect``: where the two backends differ, and the search query each one's index needs."""

from __future__ import annotations

import pytest

from graph.dialect import (
    Dialect,
    fulltext_bigrams,
    is_batched,
    with_cjk_analyzer,
    without_batches,
)
from graph.repositories.search import lucene_query, phrase_query

CREATE = "CREATE FULLTEXT INDEX company_name IF NOT EXISTS FOR (c:Company) ON EACH [c.name]"


def test_dialect_neo4j_full_text_gets_the_cjk_analyzer_once() -> None:
    made = with_cjk_analyzer(CREATE + ";")
    assert made == CREATE + " OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk'}}"
    # An index that names its own options keeps them.
    own = CREATE + " OPTIONS {indexConfig: {`fulltext.analyzer`: 'standard'}}"
    assert with_cjk_analyzer(own) == own


@pytest.mark.parametrize(
    ("text", "bigram_index", "query"),
    [
        ("华为", False, '"华为"'),  # a phrase over ArcadeDB's single characters
        ("华为", True, '"华为"'),  # a bigram under Neo4j's cjk analyzer: the same match
        ("华联超市", True, '"华联" "联超" "超市"'),
        ("华", False, "华"),
        ("华", True, "*华*"),  # Neo4j's index holds bigrams only
        ("北京 华为 Technologies", True, '"北京" "华为" technologies~1'),
        ("华为(技术)*", True, '"华为" "技术"'),  # Lucene syntax never reaches the query
        ("**", True, None),
    ],
)
def test_dialect_search_query_follows_the_index(
    text: str, bigram_index: bool, query: str | None
) -> None:
    assert lucene_query(text, bigram_index=bigram_index) == query


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("示例信息技术(深圳)有限公司", '"示例信息技术 深圳 有限公司"'),
        ("David Miller", '"David Miller"'),
        ('A "B" \\ C~*', '"A B C"'),  # no quote or operator of the name reaches Lucene
        ("（）", None),
    ],
)
def test_dialect_an_exact_name_is_one_phrase(name: str, query: str | None) -> None:
    assert phrase_query(name) == query


def test_dialect_which_backend_makes_bigrams() -> None:
    assert fulltext_bigrams(Dialect.NEO4J) is True
    assert fulltext_bigrams(Dialect.ARCADEDB) is False


def test_dialect_batched_statements_are_told_and_unbatched() -> None:
    batched = "UNWIND $rows AS r CALL { WITH r SET r.x = 1 } IN TRANSACTIONS OF 500 ROWS"
    assert is_batched(batched)
    assert not is_batched("MATCH (n) SET n.x = 1")
    assert without_batches(batched) == "UNWIND $rows AS r CALL { WITH r SET r.x = 1 }"
    assert without_batches("CALL { RETURN 1 AS x } in transactions RETURN x") == (
        "CALL { RETURN 1 AS x } RETURN x"
    )
