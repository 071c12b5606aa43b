"""``python -m bench``: run the benchmarks, print each figure beside its baseline, save JSON."""

from __future__ import annotations

import argparse

from bench import registry, scoring
from bench.harness import save, show


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
    parser.add_argument("--skip-scoring", action="store_true", help="skip the scoring benchmarks")
    args = parser.parse_args()
    print(f"registry benchmarks on {args.entities:,} generated entities ...", flush=True)
    figures, extra = registry.run(args.entities, args.seed)
    if not args.skip_million:
        figures.append(registry.generate_million(args.seed))
    show(figures)
    print(f"saved {save('registry', figures, extra)}", flush=True)
    if args.skip_scoring:
        return
    print(f"rescoring on {args.entities:,} entities ...", flush=True)
    rescoring = scoring.run_rescore(args.entities, seed=args.seed)
    show(rescoring)
    print(f"score --all on {args.scoring_entities:,} entities ...", flush=True)
    recompute, info = scoring.run_recompute(args.scoring_entities, args.seed)
    show(recompute)
    print(f"saved {save('scoring', rescoring + recompute, info)}")


if __name__ == "__main__":
    main()
