"""The Spark job of ``score --all --engine spark``: read the tables ``graph.repositories.export``
wrote, score every scheme with ``scoring.spark_pass`` and write one row per scored entity (JSON
lines under ``<output>/<scheme>/``).

``credgraph score --all --engine spark`` runs it in its own process (local mode, or a cluster's
master with ``--spark-master``). On a cluster it also runs alone: ``spark-submit
jobs/spark_score.py --input DIR --output DIR --schemes DIR --as-of YYYY-MM-DD``, the folders on
storage every executor reaches (HDFS, S3, a shared file system).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from scoring.scheme import Scheme, load_schemes
from scoring.spark_pass import score_scheme

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

ENTITIES = "entities"
LINKS = "links"
RECORDS = "records"


def session(master: str | None = None, app: str = "credgraph score --all") -> SparkSession:
    """A Spark session: on ``master`` (``local[*]`` when None: every core of this machine)."""
    from pyspark.sql import SparkSession

    if (master or "local").startswith("local"):
        # This machine's loopback, not whatever address its host name resolves to.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.appName(app).master(master or "local[*]")
    builder = builder.config("spark.sql.shuffle.partitions", "8")
    builder = builder.config("spark.ui.enabled", "false")
    builder = builder.config("spark.ui.showConsoleProgress", "false")
    builder = builder.config("spark.sql.session.timeZone", "UTC")
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")  # Spark's warnings are not the command's output
    return spark


def read_tables(spark: SparkSession, folder: str) -> tuple[DataFrame, DataFrame, DataFrame]:
    """The exported tables under ``folder`` (``ENTITIES``, ``LINKS``, ``RECORDS``)."""
    from pyspark.sql import types as T

    entities = T.StructType(
        [T.StructField("key", T.StringType()), T.StructField("company", T.BooleanType())]
    )
    links = T.StructType(
        [
            T.StructField("start", T.StringType()),
            T.StructField("end", T.StringType()),
            T.StructField("rel", T.StringType()),
            T.StructField("stake", T.DoubleType()),
        ]
    )
    records = T.StructType(
        [
            T.StructField(name, T.StringType())
            for name in (
                "id", "subject", "code", "category", "severity", "polarity", "status", "decided"
            )
        ]
    )  # fmt: skip
    base = folder.rstrip("/")
    return (
        spark.read.schema(entities).json(f"{base}/{ENTITIES}"),
        spark.read.schema(links).json(f"{base}/{LINKS}"),
        spark.read.schema(records).json(f"{base}/{RECORDS}"),
    )


def run_job(
    spark: SparkSession,
    input_dir: str,
    output_dir: str,
    schemes: Mapping[str, Scheme],
    as_of: date,
) -> dict[str, str]:
    """Score every scheme and write its rows as JSON lines under ``output_dir/<scheme>``;
    returns where each went."""
    entities, links, records = read_tables(spark, input_dir)
    entities, links, records = entities.cache(), links.cache(), records.cache()
    written = {}
    for scheme_id in sorted(schemes):
        where = f"{output_dir.rstrip('/')}/{scheme_id}"
        rows = score_scheme(spark, entities, links, records, schemes[scheme_id], as_of)
        rows.write.mode("overwrite").json(where)
        written[scheme_id] = where
    return written


def main(argv: list[str] | None = None) -> None:
    """``spark-submit scoring/spark_pass.py``: the job alone, for a cluster."""
    parser = argparse.ArgumentParser(prog="spark_pass", description=__doc__)
    parser.add_argument("--input", required=True, help="the exported tables' folder")
    parser.add_argument("--output", required=True, help="where the scores go")
    parser.add_argument("--schemes", required=True, type=Path, help="the schemes' folder")
    parser.add_argument("--as-of", required=True, type=date.fromisoformat)
    parser.add_argument("--master", default=None, help="set by spark-submit when omitted")
    args = parser.parse_args(argv)
    schemes = load_schemes(args.schemes)
    spark = session(args.master)
    try:
        for scheme_id, where in run_job(
            spark, args.input, args.output, schemes, args.as_of
        ).items():
            print(f"{scheme_id}: {where}")
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
