"""Field parsers every service shares, so a value means the same from a form, the API or the
CLI. Each returns the clean value or raises ValueError with a sentence for the person; the
caller attaches it to the field."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

CENT = Decimal("0.01")
MAX_MONEY = Decimal("99999999.99")  # Numeric(10, 2): the largest amount a money column holds


def money(value, *, label: str, minimum: Decimal = Decimal("0"), allow_minimum: bool = True,
          maximum: Decimal = MAX_MONEY) -> Decimal:
    """An amount with at most two decimals, checked as it will be stored (so 99999999.995 is
    refused for its third decimal, never rounded past the column's limit)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError(f"The {label} must be an amount, e.g. 120 or 120.50.")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(f"The {label} must be an amount, e.g. 120 or 120.50.") from None
    if not amount.is_finite():
        raise ValueError(f"The {label} must be an amount, e.g. 120 or 120.50.")
    if amount != amount.quantize(CENT):
        raise ValueError(f"The {label} has at most two decimals.")
    amount = amount.quantize(CENT)
    if amount < minimum or (amount == minimum and not allow_minimum) or amount > maximum:
        low = "above" if not allow_minimum else "at least"
        raise ValueError(f"The {label} must be {low} {minimum:,} and at most {maximum:,}.")
    return amount
