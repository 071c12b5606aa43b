"""``python -m bench``: run the benchmarks on each backend (the embedded ArcadeDB, then the local
Neo4j), print each figure beside its baseline on the same backend, save JSON, write the report."""

from __future__ import annotations

import argparse

from bench import (
    auditing,
    bystander,
    investigation,
    load,
    peer,
    registry,
    report,
    scaling,
    scoring,
    shared,
    spark,
)
from bench.harness import BACKENDS, Figure, on_backend, save, show
from cli.synthetic import Spec
from config.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--entities", type=int, default=100_000, help="size of the registry set")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--skip-million", action="store_true", help="skip generating one million entities"
    )
    parser.add_argument(
        "--scoring-entities", type=int, default=1_000_000, help="size for score --all"
    )
    parser.add_argument(
        "--skip-registry", action="store_true", help="skip the import and lookup benchmarks"
    )
    parser.add_argument("--skip-scoring", action="store_true", help="skip the scoring benchmarks")
    parser.add_argument("--skip-scaling", action="store_true", help="skip score --all at 10k/100k")
    parser.add_argument("--skip-load", action="store_true", help="skip the 60 s load test")
    parser.add_argument(
        "--skip-bystander", action="store_true", help="skip the bystander-under-attack test"
    )
    parser.add_argument(
        "--bystander-only", action="store_true", help="only run the bystander-under-attack test"
    )
    parser.add_argument("--skip-audit", action="store_true", help="skip the audit throughput test")
    parser.add_argument("--skip-shared", action="store_true", help="skip two workers sharing Redis")
    parser.add_argument(
        "--skip-spark", action="store_true", help="skip score --all on Spark beside scipy"
    )
    parser.add_argument(
        "--spark-only", action="store_true", help="only score --all on Spark beside scipy"
    )
    parser.add_argument(
        "--spark-sizes",
        default="100000,1000000",
        help="entities for the Spark beside scipy runs, comma-separated",
    )
    parser.add_argument(
        "--shared-only", action="store_true", help="only run two workers sharing Redis"
    )
    parser.add_argument(
        "--skip-peer", action="store_true", help="skip credgraph beside @neo4j/graphql"
    )
    parser.add_argument(
        "--peer-only", action="store_true", help="only credgraph beside @neo4j/graphql"
    )
    parser.add_argument(
        "--audit-only", action="store_true", help="only run the audit throughput test"
    )
    parser.add_argument(
        "--skip-investigation",
        action="store_true",
        help="skip riskPaths and linkage (measured on the score --all graph)",
    )
    parser.add_argument(
        "--investigation-only",
        type=int,
        metavar="N",
        help="only run riskPaths and linkage, on a graph of N entities",
    )
    parser.add_argument(
        "--backend",
        choices=[*(str(b) for b in BACKENDS), "both"],
        default="both",
        help="which graph backend to measure on (default both, one after the other)",
    )
    args = parser.parse_args()
    for backend in BACKENDS:
        if args.backend in (str(backend), "both"):
            print(f"== on {backend} ==", flush=True)
            with on_backend(backend):
                run(args)
    print(f"wrote {report.write()}")


def run(args: argparse.Namespace) -> None:
    """The chosen benchmarks on the backend in use."""
    if args.peer_only:
        run_peer()
        return
    if args.shared_only:
        run_shared()
        return
    if args.spark_only:
        run_spark(args)
        return
    if args.bystander_only or args.audit_only:
        if args.bystander_only:
            run_bystander()
        if args.audit_only:
            run_audit()
        return
    if args.investigation_only:
        print(f"investigation on {args.investigation_only:,} entities ...", flush=True)
        figures = investigation.run(args.investigation_only, seed=args.seed)
        show(figures)
        print(f"saved {save('investigation', figures, {'entities': args.investigation_only})}")
        return
    if not args.skip_registry:
        print(f"registry benchmarks on {args.entities:,} generated entities ...", flush=True)
        figures, extra = registry.run(args.entities, args.seed)
        if not args.skip_million:
            figures.append(registry.generate_million(args.seed))
        show(figures)
        print(f"saved {save('registry', figures, extra)}", flush=True)
    if not args.skip_scoring:
        run_scoring(args)
    if not args.skip_scaling:
        print("score --all at 10k and 100k entities ...", flush=True)
        scaled = scaling.run(seed=args.seed)
        show(scaled)
        print(f"saved {save('scaling', scaled, {})}", flush=True)
    if not args.skip_load:
        print(f"load: 32 clients for 60 s on {args.entities:,} entities ...", flush=True)
        loaded, extra = load.run(args.entities, seed=args.seed)
        show(loaded)
        print(f"saved {save('load', loaded, extra)}", flush=True)
    if not args.skip_bystander:
        run_bystander()
    if not args.skip_audit:
        run_audit()
    if not args.skip_shared:
        run_shared()
    if not args.skip_spark:
        run_spark(args)
    if not args.skip_peer:
        run_peer()


def run_peer() -> None:
    print(f"credgraph beside {peer.PEER_VERSION} on the same graph ...", flush=True)
    figures, extra = peer.run()
    show(figures)
    print(f"saved {save('peer', figures, extra)}", flush=True)


def run_spark(args: argparse.Namespace) -> None:
    sizes = tuple(int(size) for size in args.spark_sizes.split(","))
    print(f"score --all on Spark beside scipy at {sizes} entities ...", flush=True)
    figures = spark.run(sizes, seed=args.seed)
    show(figures)
    print(f"saved {save('spark', figures, {'sizes': list(sizes)})}", flush=True)


def run_shared() -> None:
    print("two API workers sharing Redis: one key's limit, one watch event ...", flush=True)
    figures = shared.run()
    show(figures)
    print(f"saved {save('shared', figures, {})}", flush=True)


def run_audit() -> None:
    print("audited writes and reads under 32 clients ...", flush=True)
    figures = auditing.run()
    show(figures)
    print(f"saved {save('audit', figures, {})}", flush=True)


def run_bystander() -> None:
    print("bystander lookups while an anonymous client attacks ...", flush=True)
    figures = bystander.run()
    show(figures)
    print(f"saved {save('bystander', figures, {})}", flush=True)


def run_scoring(args: argparse.Namespace) -> None:
    print(f"rescoring on {args.entities:,} entities ...", flush=True)
    rescoring = scoring.run_rescore(args.entities, seed=args.seed)
    show(rescoring)
    print(f"score --all on {args.scoring_entities:,} entities ...", flush=True)
    after = None
    if not args.skip_investigation:

        def after(settings: Settings, spec: Spec) -> list[Figure]:
            print("riskPaths and linkage on the same graph ...", flush=True)
            return investigation.measure(settings, spec, 200, args.seed)

    recompute, info = scoring.run_recompute(args.scoring_entities, args.seed, after)
    show(recompute)
    print(f"saved {save('scoring', rescoring + recompute, info)}")


if __name__ == "__main__":
    main()
