"""Click parameter helpers shared by the command modules (cli.py, history/commands.py)."""
from __future__ import annotations

import datetime as dt

import click


def parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    """Click callback: an ISO date option (`--as-of 2026-01-15`), with a Chinese error otherwise."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"应为日期 YYYY-MM-DD，实际为 {value!r}") from None
