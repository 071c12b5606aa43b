"""Writing a generated registry in parallel: shards of companies and people, each process
writing its own four files, with flat memory (rows are written as they are made)."""

from __future__ import annotations

import multiprocessing as mp
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from cli.synthetic import Spec, company, company_links, person, records, regions
from graph.identifiers import division_name


@dataclass(frozen=True)
class Shard:
    """A slice of the companies and people, written to its own four files."""

    spec: Spec
    number: int
    companies: range
    persons: range


def shards(spec: Spec, count: int) -> list[Shard]:
    def part(total: int, k: int) -> range:
        return range(total * k // count, total * (k + 1) // count)

    return [Shard(spec, k, part(spec.companies, k), part(spec.persons, k)) for k in range(count)]


def write_shard(shard: Shard, out: Path, progress: Any = None) -> dict[str, int]:
    """Write one shard's rows; returns how many rows of each type it wrote."""
    spec = shard.spec
    names = ("companies", "persons", "links", "records")
    handles: dict[str, BinaryIO] = {
        name: (out / f"{name}-{shard.number}.jsonl").open("wb", buffering=1 << 20) for name in names
    }
    written = dict.fromkeys(names, 0)
    dumps = orjson.dumps
    pending = 0
    try:
        for i in shard.companies:
            row = company(spec, i)
            handles["companies"].write(dumps(row) + b"\n")
            place = row["registration_authority"].removesuffix("市场监督管理局")
            for link in company_links(spec, i):
                handles["links"].write(dumps(link) + b"\n")
                written["links"] += 1
            for record in records(spec, "company", i, row["uscc"], place):
                handles["records"].write(dumps(record) + b"\n")
                written["records"] += 1
            pending += 1
            if pending == 2000 and progress is not None:
                with progress.get_lock():
                    progress.value += pending
                pending = 0
        written["companies"] = len(shard.companies)
        for i in shard.persons:
            row = person(spec, i)
            handles["persons"].write(dumps(row) + b"\n")
            place = division(row["id_number"][:6])
            for record in records(spec, "person", i, row["id_number"], place):
                handles["records"].write(dumps(record) + b"\n")
                written["records"] += 1
            pending += 1
            if pending == 2000 and progress is not None:
                with progress.get_lock():
                    progress.value += pending
                pending = 0
        written["persons"] = len(shard.persons)
    finally:
        for handle in handles.values():
            handle.close()
    if progress is not None:
        with progress.get_lock():
            progress.value += pending
    return written


@cache
def division(code: str) -> str:
    return division_name(code) or ""


def _init_worker(counter: Any) -> None:
    global _COUNTER
    _COUNTER = counter


_COUNTER: Any = None


def _run_shard(shard: Shard, out: Path) -> dict[str, int]:
    return write_shard(shard, out, _COUNTER)


def generate(spec: Spec, out: Path, *, workers: int = 2, on_progress: Any = None) -> dict[str, int]:
    """Write the registry of ``spec`` into ``out`` as JSON Lines, ``workers`` shards in parallel.

    ``on_progress(entities_done)`` is called about every half second from this process.
    """

    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.jsonl"):
        old.unlink()
    regions()  # load the division table once, before the workers fork
    parts = shards(spec, max(1, workers))
    context = mp.get_context("fork")
    counter = context.Value("q", 0)
    totals = dict.fromkeys(("companies", "persons", "links", "records"), 0)
    with ProcessPoolExecutor(
        max_workers=len(parts), mp_context=context, initializer=_init_worker, initargs=(counter,)
    ) as pool:
        futures = [pool.submit(_run_shard, part, out) for part in parts]
        while not all(f.done() for f in futures):
            if on_progress is not None:
                on_progress(counter.value)
            time.sleep(0.5)
        for future in futures:
            for name, n in future.result().items():
                totals[name] += n
    if on_progress is not None:
        on_progress(counter.value)
    return totals
