"""The board of deals or tickets: one column per stage of a pipeline, in order, each with its
first cards, a count and (deals) a total amount."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.db import connection

from scheda.objects.services import Schema
from scheda.objects.types import WriteContext
from scheda.pipelines.models import Pipeline, PipelineStage
from scheda.pipelines.services import pipeline_properties, pipelines_of
from scheda.records import storage
from scheda.records.display import Presenter
from scheda.records.models import Record
from scheda.records.query import Filter, Query
from scheda.savedviews.index import compiler_for, fetch

CARDS_PER_COLUMN = 20
# What a card shows under the record's name.
CARD_PROPERTIES = {"deals": ["amount", "closedate"], "tickets": ["hs_ticket_priority"]}


@dataclass
class Column:
    stage: PipelineStage
    cards: list[Record]
    after: int | None
    count: int
    total: float | None


def pick_pipeline(schema: Schema, pipeline_id: str) -> tuple[list[Pipeline], Pipeline | None]:
    pipelines = pipelines_of(schema.object_type)
    chosen = next((p for p in pipelines if p.pipeline_id == pipeline_id), pipelines[0] if pipelines else None)
    return pipelines, chosen


def stage_filters(schema: Schema, pipeline: Pipeline, stage: PipelineStage | None = None) -> list[Filter]:
    pipeline_name, stage_name = pipeline_properties(schema.object_type)
    filters = [Filter(pipeline_name, "EQ", pipeline.pipeline_id)]
    if stage is not None:
        filters.append(Filter(stage_name, "EQ", stage.stage_id))
    return filters


def with_filters(query: Query, extra: list[Filter]) -> Query:
    group = (query.filter_groups[0] if query.filter_groups else []) + extra
    return replace(query, filter_groups=[group])


def cards(schema: Schema, query: Query, pipeline: Pipeline, stage: PipelineStage, after: int | None,
          ctx: WriteContext | None = None) -> tuple[list[int], int | None]:
    return compiler_for(schema, ctx).page(with_filters(query, stage_filters(schema, pipeline, stage)), CARDS_PER_COLUMN, after)


def totals(schema: Schema, query: Query, pipeline: Pipeline, ctx: WriteContext | None = None) -> dict[str, tuple[int, float | None]]:
    """Count and (deals) sum of the amount per stage, in one grouped query over the pipeline."""
    _, stage_name = pipeline_properties(schema.object_type)
    where, params = compiler_for(schema, ctx).where(with_filters(query, stage_filters(schema, pipeline)))
    stage = storage.text_sql(stage_name)
    if schema.object_type.name == "deals" and "amount" in schema.properties:
        amount = storage.value_sql("amount")
        if connection.vendor == "postgresql":
            amount = f"CASE WHEN jsonb_typeof({amount}) = 'number' THEN ({amount})::text::numeric END"
        total = f"sum({amount})"
    else:
        total = "NULL"
    rows = storage.planned(f"SELECT {stage}, count(*), {total} FROM records_record WHERE {where} GROUP BY {stage}", params)
    return {str(row[0]): (row[1], float(row[2]) if row[2] is not None else None) for row in rows}


def board(schema: Schema, query: Query, pipeline: Pipeline, ctx: WriteContext | None = None) -> list[Column]:
    stages = [s for s in pipeline.stages.all() if not s.archived]
    pages = {s.stage_id: cards(schema, query, pipeline, s, None, ctx) for s in stages}
    records = {r.pk: r for r in fetch(schema, query, [i for ids, _ in pages.values() for i in ids])}
    sums = totals(schema, query, pipeline, ctx)
    columns = []
    for stage in stages:
        ids, after = pages[stage.stage_id]
        count, total = sums.get(stage.stage_id, (0, None))
        columns.append(Column(stage, [records[i] for i in ids if i in records], after, count,
                              total if schema.object_type.name == "deals" else None))
    return columns


def card_facts(presenter: Presenter, record: Record) -> list[tuple[str, Any]]:
    schema = presenter.schema
    facts = []
    for name in CARD_PROPERTIES.get(schema.object_type.name, []):
        value = record.properties.get(name)
        if name in schema.properties and value not in (None, ""):
            facts.append((schema.properties[name].label, presenter.show(name, value)))
    return facts
