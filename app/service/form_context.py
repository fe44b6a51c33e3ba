"""What a form's case rules see (app/formdefs/case_rules.py): the act's instant, the case data as
the task sees it, and the settings the case started with (the region's current ones at a start)."""
from __future__ import annotations

from typing import Mapping

from app.formdefs import FormContext

from .context import Context


def for_start(ctx: Context, people=None, settings: Mapping | None = None) -> FormContext:
    """`settings`: those of the version the case starts on."""
    return FormContext(now=ctx.now(), data={}, settings=settings if settings is not None else ctx.parameters,
                       people=people)


def for_data(ctx: Context, data: Mapping, people=None) -> FormContext:
    settings = data.get("instellingen")
    return FormContext(now=ctx.now(), data=data, settings=settings if isinstance(settings, Mapping) else ctx.parameters,
                       people=people)
