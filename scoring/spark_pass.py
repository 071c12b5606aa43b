"""The whole-graph pass as Spark DataFrame maths: the same scores as ``scoring.batch`` (the scipy
pass), as joins and aggregations over tables a cluster holds in pieces, never the whole graph in
one process. Pure like the rest of ``scoring``: DataFrames in, a DataFrame out; the job that
reads the exported tables and writes the rows is ``jobs.spark_score``, and ``credgraph score
--all --engine spark`` exports, runs it and stores the scores that changed
(``usecases.spark_scores``).

The tables (``jobs.spark_score.read_tables``):

- ``entities``: ``key``, ``company`` (bool);
- ``links``: ``start``, ``end`` (entity keys), ``rel``, ``stake`` (negative: none);
- ``records``: ``id``, ``subject``, ``code``, ``category``, ``severity``, ``polarity``,
  ``status``, ``decided`` (ISO date).

Per scheme, as ``scoring.batch.compute`` does with arrays:

1. Each distinct record kind (code, category, severity, polarity; a few hundred) gets its rule,
   points, months of validity and blacklist flag on the driver, with the scheme's own Python
   (``Scheme.rule_for``): a small table broadcast to the executors, so a rule is decided in one
   place for both passes.
2. Records join it; those whose rule and status let them count on ``as_of`` add up per entity
   into ``risk`` (warnings taking points: they propagate), ``taken`` and ``given``.
3. The propagation matrix ``W`` is a table of weighted links (``u`` to ``v``, distinct links of a
   type counted once, types between the same ends added up). One hop is ``Wᵀ·risk``, a join and a
   sum by ``v``; a second is ``Wᵀ·one`` less ``diag(W²)·risk`` (the walks that come straight
   back), times the decay: two more joins.
4. Caps, ``base``, rounding exactly as numpy rounds (``rint(x·100)/100``), the level, the
   blacklist (by level, or by a counting record whose rule blacklists) and its reasons in the
   words ``scoring.policy`` gives them.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from scoring import policy
from scoring.batch import EXACT_HOPS
from scoring.scheme import Scheme

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

# How the stored statuses count (``scoring.arrays.STATUS_CODES``): expired is counted by its
# dates like an active record; removed, restored and anything unknown never count.
STATUS_AS = {"active": "active", "expired": "active", "disputed": "disputed"}
NEVER = "removed"


def _kinds(spark: SparkSession, records: DataFrame, scheme: Scheme) -> DataFrame:
    """Each record kind's rule under ``scheme`` (kinds without one are left out)."""
    from pyspark.sql import types as T

    found = records.select("code", "category", "severity", "polarity").distinct().collect()
    rows = []
    for kind in found:
        rule = scheme.rule_for(kind.code, kind.category, kind.severity, kind.polarity)
        if rule is None:
            continue
        rows.append(
            (
                kind.code, kind.category, kind.severity, kind.polarity, rule.id,
                float(rule.points), scheme.validity_months(rule, kind.severity),
                bool(rule.blacklist), kind.polarity == "warning",
            )
        )  # fmt: skip
    schema = T.StructType(
        [
            T.StructField("code", T.StringType()),
            T.StructField("category", T.StringType()),
            T.StructField("severity", T.StringType()),
            T.StructField("polarity", T.StringType()),
            T.StructField("rule", T.StringType()),
            T.StructField("points", T.DoubleType()),
            T.StructField("months", T.IntegerType()),
            T.StructField("blacklisting", T.BooleanType()),
            T.StructField("warning", T.BooleanType()),
        ]
    )
    return spark.createDataFrame(rows, schema)


def _weights(
    spark: SparkSession, entities: DataFrame, links: DataFrame, scheme: Scheme
) -> DataFrame:
    """``W`` as rows ``u``, ``v``, ``w``: how much of ``u``'s risk reaches ``v`` over one link."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    known = entities.select("key")
    ends = links.join(known.withColumnRenamed("key", "start"), "start").join(
        known.withColumnRenamed("key", "end"), "end"
    )
    # Two links of one type between the same ends carry risk once.
    distinct = ends.groupBy("start", "end", "rel").agg(F.max("stake").alias("stake"))
    rules = spark.createDataFrame(
        [(e.rel, e.direction, float(e.weight), bool(e.by_stake)) for e in scheme.propagation.edges],
        T.StructType(
            [
                T.StructField("rel", T.StringType()),
                T.StructField("direction", T.StringType()),
                T.StructField("weight", T.DoubleType()),
                T.StructField("by_stake", T.BooleanType()),
            ]
        ),
    )
    weighted = distinct.join(F.broadcast(rules), "rel").select(
        F.when(F.col("direction") == "forward", F.col("start")).otherwise(F.col("end")).alias("u"),
        F.when(F.col("direction") == "forward", F.col("end")).otherwise(F.col("start")).alias("v"),
        F.when(
            F.col("by_stake"),
            F.col("weight") * F.when(F.col("stake") >= 0, F.col("stake")).otherwise(F.lit(0.0)),
        )
        .otherwise(F.col("weight"))
        .alias("w"),
    )
    return weighted.groupBy("u", "v").agg(F.sum("w").alias("w"))


def _cut(amount: Column, cap: int | None) -> Column:
    from pyspark.sql import functions as F

    if cap is None:
        return F.lit(0.0)
    return F.greatest(amount - F.lit(float(cap)), F.lit(0.0))


def score_scheme(
    spark: SparkSession,
    entities: DataFrame,
    links: DataFrame,
    records: DataFrame,
    scheme: Scheme,
    as_of: date,
) -> DataFrame:
    """One row per entity ``scheme`` scores: ``key``, ``value``, ``level``, ``blacklisted``,
    ``reasons`` (an array of words, for blacklisted entities)."""
    from pyspark.sql import functions as F

    if scheme.propagation.max_hops > EXACT_HOPS:
        raise ValueError(f"the whole-graph pass handles at most {EXACT_HOPS} hops")
    today = F.lit(as_of.isoformat()).cast("date")
    allowed = [name for name in ("active", "disputed") if policy.may_count(name, scheme)]
    status = F.coalesce(
        F.create_map(*[F.lit(x) for pair in STATUS_AS.items() for x in pair])[F.col("status")],
        F.lit(NEVER),
    )
    decided = F.to_date(F.coalesce(F.col("decided"), F.lit("1900-01-01")))
    candidates = (
        records.join(
            F.broadcast(_kinds(spark, records, scheme)),
            ["code", "category", "severity", "polarity"],
        )
        .where(status.isin(allowed))
        .withColumn("decided_on", decided)
        .withColumn("expires", F.add_months(F.col("decided_on"), F.col("months")))
        .withColumn("counting", (F.col("decided_on") <= today) & (today < F.col("expires")))
        .withColumn("own", F.when(F.col("counting"), F.col("points")).otherwise(F.lit(0.0)))
    )
    risky = F.col("warning") & (F.col("points") < 0)
    sums = candidates.groupBy(F.col("subject").alias("key")).agg(
        F.sum(F.when(risky, F.col("own")).otherwise(F.lit(0.0))).alias("risk"),
        F.sum(F.when(~risky & (F.col("points") <= 0), F.col("own")).otherwise(F.lit(0.0))).alias(
            "rest"
        ),
        F.sum(F.when(F.col("points") > 0, F.col("own")).otherwise(F.lit(0.0))).alias("given"),
    )
    scored = entities
    if "company" not in scheme.subjects:
        scored = entities.where(~F.col("company"))
    elif "person" not in scheme.subjects:
        scored = entities.where(F.col("company"))
    base = entities.select("key").join(sums, "key", "left").na.fill(0.0, ["risk", "rest", "given"])
    hops, decay = scheme.propagation.max_hops, scheme.propagation.decay
    if hops == 0:
        reached = base.select("key", F.lit(0.0).alias("reached"))
    else:
        w = _weights(spark, entities, links, scheme).cache()
        risk = base.select(F.col("key").alias("u"), "risk").where(F.col("risk") != 0)
        one = (
            w.join(risk, "u")
            .groupBy(F.col("v").alias("key"))
            .agg(F.sum(F.col("w") * F.col("risk")).alias("one"))
        )
        if hops == 1:
            reached = one.select("key", F.col("one").alias("reached"))
        else:
            two = (
                w.join(one.withColumnRenamed("key", "u"), "u")
                .groupBy(F.col("v").alias("key"))
                .agg(F.sum(F.col("w") * F.col("one")).alias("two"))
            )
            back = (
                w.alias("a")
                .join(w.alias("b"), (F.col("a.v") == F.col("b.u")) & (F.col("a.u") == F.col("b.v")))
                .groupBy(F.col("a.u").alias("key"))
                .agg(F.sum(F.col("a.w") * F.col("b.w")).alias("back"))
            )
            reached = (
                base.select("key", "risk")
                .join(one, "key", "left")
                .join(two, "key", "left")
                .join(back, "key", "left")
                .na.fill(0.0, ["one", "two", "back"])
                .where((F.col("one") != 0) | (F.col("two") != 0) | (F.col("back") != 0))
                .select(
                    "key",
                    (
                        F.col("one")
                        + F.lit(float(decay)) * (F.col("two") - F.col("back") * F.col("risk"))
                    ).alias("reached"),
                )
            )
    totals = (
        scored.select("key")
        .join(base, "key")
        .join(reached, "key", "left")
        .na.fill(0.0, ["reached"])
        .withColumn("taken", F.col("risk") + F.col("rest"))
    )
    total = (
        F.col("taken")
        + F.col("given")
        + F.col("reached")
        - _cut(F.col("given"), scheme.max_positive)
        + _cut(-(F.col("taken") + F.least(F.col("reached"), F.lit(0.0))), scheme.max_negative)
    )
    # numpy's np.round(x, 2): x·100 to the nearest integer, halves to even, then /100.
    value = F.rint((F.lit(float(scheme.base)) + total) * F.lit(100.0)) / F.lit(100.0)
    valued = totals.select("key", value.alias("value"))
    # The level: the first (best first) whose floor the value reaches; the last has none.
    level: Column = F.lit(scheme.levels[-1].name)
    for item in reversed(scheme.levels[:-1]):
        floor = float("-inf") if item.min is None else float(item.min)
        level = F.when(F.col("value") >= F.lit(floor), F.lit(item.name)).otherwise(level)
    levelled = valued.withColumn("level", level).withColumn(
        "by_level", F.col("level").isin(list(scheme.blacklist_levels))
    )
    hits = (
        candidates.where(F.col("counting") & F.col("blacklisting"))
        .groupBy(F.col("subject").alias("key"))
        .agg(
            F.sort_array(
                F.collect_list(F.struct(F.col("decided_on"), F.col("id"), F.col("rule"))),
                asc=False,
            ).alias("hits")
        )
    )
    level_reason = F.concat(F.lit(policy.level_reason("")), F.col("level"))
    record_reasons = F.transform(
        F.coalesce(F.col("hits"), F.array()),
        lambda h: F.concat(F.lit("record "), h["id"], F.lit(" under rule "), h["rule"]),
    )
    return (
        levelled.join(hits, "key", "left")
        .withColumn("blacklisted", F.col("by_level") | F.col("hits").isNotNull())
        .select(
            "key",
            "value",
            "level",
            "blacklisted",
            F.when(
                F.col("blacklisted"),
                F.concat(
                    F.when(F.col("by_level"), F.array(level_reason)).otherwise(
                        F.array().cast("array<string>")
                    ),
                    record_reasons,
                ),
            )
            .otherwise(F.array().cast("array<string>"))
            .alias("reasons"),
        )
    )
