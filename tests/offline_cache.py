"""Builds the offline caches the tests and notebooks use (placeholder: replaced by the week 3 work)."""

from __future__ import annotations

__all__ = ["build"]


def build() -> None:
    """Build every offline cache (idempotent, cached between runs)."""
