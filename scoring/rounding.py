"""Points as a file shows them: in cents, summing exactly to the value shown.

The engine keeps every contribution unrounded and rounds the value to cents once
(``scoring.engine``). Rounding each contribution on its own would show parts that do not add up
to the value (three parts of -0.005 show as -0.01 each, or 0.00 each, and the value as -0.02).
Here the parts are apportioned by the largest-remainder method: each part gets the cents below
its exact figure, and the cents still missing to the value go, one each, to the parts with the
largest remainders (the earlier part on a tie). So, always::

    value == base + sum(shown(value, base, parts))   # exactly, as decimals

and no part moves by a cent or more from its exact figure (a part that is exactly 0, an expired
record's, stays 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, Decimal

CENT = Decimal("0.01")


def cents(value: float | int | Decimal) -> Decimal:
    """A float as the decimal it prints as (``-0.16475461250000004``), in cents' units."""
    return Decimal(repr(value) if isinstance(value, float) else value) * 100


def shown(value: float, base: int, parts: Sequence[float]) -> list[Decimal]:
    """``parts`` in cents, summing exactly to ``value - base`` (``value`` in cents already, as
    the engine rounds it)."""
    target = int(cents(value).to_integral_value()) - base * 100
    exact = [cents(p) for p in parts]
    shown_cents = [int(e.to_integral_value(ROUND_FLOOR)) for e in exact]
    left = target - sum(shown_cents)
    # Parts that are exactly whole cents (0 among them) take a cent only if nothing else can,
    # which the engine's rounding of the same sum never asks for.
    step = 1 if left > 0 else -1  # -1 only when a float sum landed a cent off the exact one
    by_remainder = sorted(
        range(len(parts)),
        key=lambda i: (exact[i] == shown_cents[i], -step * (exact[i] - shown_cents[i]), i),
    )
    turn = 0
    while left != 0:
        if not by_remainder:
            raise ValueError(f"no parts to make up {left} cents of {value} over base {base}")
        shown_cents[by_remainder[turn % len(by_remainder)]] += step
        left -= step
        turn += 1
    return [(Decimal(c) * CENT).quantize(CENT) for c in shown_cents]


def exact_sum(base: int, parts: Sequence[float]) -> Decimal:
    """``base`` plus the parts as the decimals they print as: the unrounded value."""
    return Decimal(base) + sum((Decimal(repr(p)) for p in parts), Decimal(0))
