"""``python -m bench``: run the benchmarks, print each figure beside its baseline, save JSON."""

from __future__ import annotations

import argparse

from bench import registry
from bench.harness import save, show


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--entities", type=int, default=100_000, help="size of the registry set")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--skip-million", action="store_true", help="skip generating one million entities"
    )
    args = parser.parse_args()
    print(f"registry benchmarks on {args.entities:,} generated entities ...", flush=True)
    figures, extra = registry.run(args.entities, args.seed)
    if not args.skip_million:
        figures.append(registry.generate_million(args.seed))
    show(figures)
    print(f"saved {save('registry', figures, extra)}")


if __name__ == "__main__":
    main()
