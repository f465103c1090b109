"""Writers of pipelines and stages, and the rule that a record's stage belongs to its pipeline."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from scheda.errors import Conflict, FieldError, NotFound, ValidationFailed, check_texts
from scheda.objects import catalogue
from scheda.objects.models import ObjectType
from scheda.objects.services import schema_changed, with_schema
from scheda.objects.types import WriteContext
from scheda.pipelines.models import Pipeline, PipelineStage


def pipeline_properties(object_type: ObjectType) -> tuple[str, str]:
    """The (pipeline, stage) property names: deals use HubSpot's older names."""
    if object_type.name == "deals":
        return "pipeline", "dealstage"
    return "hs_pipeline", "hs_pipeline_stage"


def pipelines_of(object_type: ObjectType) -> list[Pipeline]:
    """The active pipelines with their stages, kept by the process with the schema (every writer
    below changes the schema token): a deal's or ticket's card, board and form show stage labels.
    Shared between requests: read them, never change them."""
    return list(with_schema(f"pipelines:{object_type.pk}", lambda: list(
        Pipeline.objects.filter(object_type=object_type, archived=False).prefetch_related("stages"))))


def apply_pipeline_rules(object_type: ObjectType, current: dict[str, Any], new: dict[str, Any],
                         ctx: WriteContext | None = None) -> list[FieldError]:
    """Check (and complete) `new`, the values about to be written on a record whose values are
    `current`: the stage must be an active stage of the record's pipeline. A stage without a
    pipeline puts the record in the first pipeline. Deals get their stage's probability."""
    pipeline_name, stage_name = pipeline_properties(object_type)
    if pipeline_name not in new and stage_name not in new:
        return []
    pipelines = ctx.pipelines(object_type) if ctx else pipelines_of(object_type)
    if not pipelines:
        return [FieldError(f"{object_type.plural_label} have no pipeline", "NO_PIPELINE", pipeline_name)]
    pipeline_id = new.get(pipeline_name, current.get(pipeline_name)) or pipelines[0].pipeline_id
    pipeline = next((p for p in pipelines if p.pipeline_id == pipeline_id), None)
    if pipeline is None:
        return [FieldError(f"{pipeline_id!r} is not a pipeline of {object_type.plural_label}", "INVALID_OPTION", pipeline_name)]
    stage_id = new.get(stage_name, current.get(stage_name))
    stages = [s for s in pipeline.stages.all() if not s.archived]
    stage = next((s for s in stages if s.stage_id == stage_id), None)
    if stage is None:
        if stage_id is None and stages:
            stage = stages[0]
        else:
            return [FieldError(f"{stage_id!r} is not a stage of the pipeline {pipeline.label!r}", "INVALID_OPTION", stage_name)]
    new[pipeline_name], new[stage_name] = pipeline.pipeline_id, stage.stage_id
    if object_type.name == "deals" and "probability" in stage.metadata:
        new["hs_deal_stage_probability"] = float(stage.metadata["probability"])
    return []


def _new_id(model: type[Pipeline] | type[PipelineStage], field: str) -> str:
    while True:
        candidate = str(secrets.randbelow(900_000_000) + 100_000_000)
        if not model.objects.filter(**{field: candidate}).exists():
            return candidate


def _check_stages(object_type: ObjectType, stages: list[dict[str, Any]]) -> None:
    if not stages:
        raise ValidationFailed("A pipeline needs at least one stage", [FieldError("A pipeline needs at least one stage", "REQUIRED_FIELD", "stages")])
    labels = [s.get("label") for s in stages]
    if any(not label for label in labels):
        raise ValidationFailed("Every stage needs a label", [FieldError("Every stage needs a label", "REQUIRED_FIELD", "stages")])
    check_texts(**{f"stages[{i}].label": (label, 255) for i, label in enumerate(labels)})
    if len(set(labels)) != len(labels):
        raise ValidationFailed("Stage labels must be distinct", [FieldError("Stage labels must be distinct", "DUPLICATE_LABEL", "stages")])
    for index, stage in enumerate(stages):
        metadata = stage.get("metadata") or {}
        for text in (*metadata, *metadata.values()):  # kept in jsonb, where PostgreSQL refuses NUL
            check_texts(**{f"stages[{index}].metadata": (text, None)})
        if object_type.name == "deals":
            try:
                if isinstance(metadata.get("probability"), bool):
                    raise TypeError  # float(True) is 1.0, but "True" is no probability
                probability = float(metadata.get("probability", "x"))
            except (TypeError, ValueError):
                probability = -1
            if not 0 <= probability <= 1:
                raise ValidationFailed("A deal stage needs a probability from 0 to 1", [
                    FieldError("A deal stage needs a probability from 0 to 1", "INVALID_METADATA", "metadata.probability")])
        elif object_type.name == "tickets" and metadata.get("ticketState") not in ("OPEN", "CLOSED"):
            raise ValidationFailed("A ticket stage needs a ticketState of OPEN or CLOSED", [
                FieldError("ticketState must be OPEN or CLOSED", "INVALID_METADATA", "metadata.ticketState")])


@transaction.atomic
def create_pipeline(object_type: ObjectType, label: str, stages: list[dict[str, Any]], display_order: int = 0,
                    pipeline_id: str | None = None) -> Pipeline:
    if not label:
        raise ValidationFailed("A pipeline needs a label", [FieldError("A pipeline needs a label", "REQUIRED_FIELD", "label")])
    check_texts(label=(label, 255))
    if Pipeline.objects.filter(object_type=object_type, label=label, archived=False).exists():
        raise Conflict(f"A pipeline labelled {label!r} already exists", [FieldError("Pipeline label exists", "DUPLICATE_LABEL", "label")])
    _check_stages(object_type, stages)
    pipeline = Pipeline.objects.create(
        pipeline_id=pipeline_id or _new_id(Pipeline, "pipeline_id"), object_type=object_type,
        label=label, display_order=display_order)
    for order, stage in enumerate(stages):
        create_stage(pipeline, stage.get("label", ""), stage.get("metadata") or {},
                     stage.get("display_order", stage.get("displayOrder", order)), stage.get("id"))
    schema_changed()
    return pipeline


def _text(value: Any) -> str:
    """A metadata value as HubSpot keeps it: a string, booleans as "true"/"false" (is_closed reads them so)."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


@transaction.atomic
def create_stage(pipeline: Pipeline, label: str, metadata: dict[str, Any], display_order: int = 0,
                 stage_id: str | None = None) -> PipelineStage:
    _check_stages(pipeline.object_type, [{"label": label, "metadata": metadata}])
    if pipeline.stages.filter(label=label, archived=False).exists():
        raise Conflict(f"A stage labelled {label!r} already exists", [FieldError("Stage label exists", "DUPLICATE_LABEL", "label")])
    stage = PipelineStage.objects.create(
        stage_id=stage_id or _new_id(PipelineStage, "stage_id"), pipeline=pipeline, label=label,
        display_order=display_order, metadata={k: _text(v) for k, v in metadata.items()})
    schema_changed()
    return stage


@transaction.atomic
def update_pipeline(pipeline: Pipeline, *, label: str | None = None, display_order: int | None = None) -> Pipeline:
    if label is not None:
        if not label:
            raise ValidationFailed("A pipeline needs a label", [FieldError("A pipeline needs a label", "REQUIRED_FIELD", "label")])
        check_texts(label=(label, 255))
        if Pipeline.objects.filter(object_type=pipeline.object_type, label=label, archived=False).exclude(pk=pipeline.pk).exists():
            raise Conflict(f"A pipeline labelled {label!r} already exists", [FieldError("Pipeline label exists", "DUPLICATE_LABEL", "label")])
        pipeline.label = label
    if display_order is not None:
        pipeline.display_order = display_order
    pipeline.save()
    schema_changed()
    return pipeline


@transaction.atomic
def update_stage(stage: PipelineStage, *, label: str | None = None, metadata: dict[str, Any] | None = None,
                 display_order: int | None = None) -> PipelineStage:
    if metadata is not None:
        _check_stages(stage.pipeline.object_type, [{"label": label or stage.label, "metadata": metadata}])
        stage.metadata = {k: _text(v) for k, v in metadata.items()}
    if label:
        check_texts(label=(label, 255))
        if stage.pipeline.stages.filter(label=label, archived=False).exclude(pk=stage.pk).exists():
            raise Conflict(f"A stage labelled {label!r} already exists", [FieldError("Stage label exists", "DUPLICATE_LABEL", "label")])
        stage.label = label
    if display_order is not None:
        stage.display_order = display_order
    stage.save()
    schema_changed()
    return stage


@transaction.atomic
def replace_pipeline(pipeline: Pipeline, label: str, stages: list[dict[str, Any]], display_order: int = 0) -> Pipeline:
    """Set a pipeline's label, order and stages (HubSpot's PUT). A stage keeps its id when a stage
    of the new list has its label; stages left out are archived, which records in them refuse."""
    _check_stages(pipeline.object_type, stages)
    update_pipeline(pipeline, label=label, display_order=display_order)
    current = {stage.label: stage for stage in pipeline.stages.filter(archived=False)}
    for order, spec in enumerate(stages):
        existing = current.get(spec["label"])
        display = spec.get("display_order", spec.get("displayOrder", order))
        if existing is not None:
            update_stage(existing, metadata=spec.get("metadata") or {}, display_order=display)
        else:
            create_stage(pipeline, spec["label"], spec.get("metadata") or {}, display)
    wanted = {spec["label"] for spec in stages}
    for stage_label, stage in current.items():
        if stage_label not in wanted:
            archive_stage(stage)
    return pipeline


def _in_use(object_type: ObjectType, name: str, value: str) -> bool:
    from scheda.records.models import Record

    return Record.objects.filter(object_type=object_type, archived=False, **{f"properties__{name}": value}).exists()


@transaction.atomic
def archive_pipeline(pipeline: Pipeline) -> None:
    name, _ = pipeline_properties(pipeline.object_type)
    if _in_use(pipeline.object_type, name, pipeline.pipeline_id):
        raise ValidationFailed("Records are still in this pipeline: move them first", [
            FieldError("Records are still in this pipeline", "PIPELINE_IN_USE", "pipelineId")])
    pipeline.archived, pipeline.archived_at = True, timezone.now()
    pipeline.save()
    schema_changed()


@transaction.atomic
def archive_stage(stage: PipelineStage) -> None:
    _, name = pipeline_properties(stage.pipeline.object_type)
    if _in_use(stage.pipeline.object_type, name, stage.stage_id):
        raise ValidationFailed("Records are still in this stage: move them first", [
            FieldError("Records are still in this stage", "STAGE_IN_USE", "stageId")])
    if stage.pipeline.stages.filter(archived=False).count() <= 1:
        raise ValidationFailed("A pipeline keeps at least one stage", [FieldError("Last stage", "LAST_STAGE", "stageId")])
    stage.archived, stage.archived_at = True, timezone.now()
    stage.save()
    schema_changed()


def get_pipeline(object_type: ObjectType, pipeline_id: str) -> Pipeline:
    pipeline = Pipeline.objects.filter(object_type=object_type, pipeline_id=pipeline_id, archived=False).first()
    if pipeline is None:
        raise NotFound(f"No pipeline {pipeline_id!r} for {object_type.plural_label}")
    return pipeline


def install_standard_pipelines() -> None:
    for object_name, pipelines in catalogue.PIPELINES.items():
        object_type = ObjectType.objects.get(name=object_name)
        for spec in pipelines:
            if not Pipeline.objects.filter(pipeline_id=spec["id"]).exists():
                create_pipeline(object_type, spec["label"], spec["stages"], spec["display_order"], spec["id"])
