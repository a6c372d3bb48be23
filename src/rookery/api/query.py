"""Query-string options as Magpie reads them: booleans by any of their alias names."""

from __future__ import annotations

from fastapi import Request

TRUE_WORDS = frozenset({"true", "yes", "on", "y", "t", "1"})
"""Pyramid's ``asbool`` truths (any letter case); everything else is false."""


def flag(request: Request, *names: str) -> bool:
    """True when the first of ``names`` present in the query string holds a true word."""
    for name in names:
        value = request.query_params.get(name)
        if value is not None:
            return value.strip().lower() in TRUE_WORDS
    return False
