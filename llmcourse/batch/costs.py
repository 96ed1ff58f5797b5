"""What a request cost, from its token usage and the price table in `llmcourse.settings`.

Example:
    >>> from llmcourse.settings import MODELS, PRICES_PER_MILLION
    >>> cost_usd({"input_tokens": 1_000_000, "output_tokens": 0}, MODELS["openai"]) == PRICES_PER_MILLION[MODELS["openai"]][0]
    True
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["cost_usd", "price_for"]


def price_for(
    *models: str | None, prices: Mapping[str, tuple[float, float]] | None = None
) -> tuple[float, float] | None:
    """(input, output) US dollars per million tokens for the first model the price table knows.

    Tries each name as given, then without a `local:` prefix, then the longest table entry it starts
    with (so a dated `<model>-2026-09-22` that a server reports is priced as `<model>`).

    Example:
        >>> from llmcourse.settings import MODELS, PRICES_PER_MILLION
        >>> price_for(MODELS["openai"] + "-2026-09-22") == PRICES_PER_MILLION[MODELS["openai"]]
        True
    """
    if prices is None:
        from llmcourse.settings import PRICES_PER_MILLION as prices  # noqa: N811
    for model in models:
        if not model:
            continue
        for name in (model, model.removeprefix("local:")):
            if name in prices:
                return prices[name]
        prefixes = [known for known in prices if model.startswith(known)]
        if prefixes:
            return prices[max(prefixes, key=len)]
    return None


def cost_usd(
    usage: Mapping[str, int] | None,
    *models: str | None,
    discount: float = 1.0,
    prices: Mapping[str, tuple[float, float]] | None = None,
) -> float | None:
    """Dollars for `usage` (`input_tokens`, `output_tokens`); None when no price or no usage is known.
    `discount` scales the result (OpenAI's Batch API charges half: 0.5).

    Example:
        >>> cost_usd({"input_tokens": 10, "output_tokens": 5}, "a-model-nobody-prices") is None
        True
    """
    price = price_for(*models, prices=prices)
    if price is None or not usage:
        return None
    dollars = (usage.get("input_tokens", 0) * price[0] + usage.get("output_tokens", 0) * price[1]) / 1_000_000
    return round(dollars * discount, 10)
