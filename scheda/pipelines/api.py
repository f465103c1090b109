"""/crm/v3/pipelines/{objectType}: HubSpot's pipelines and their stages (deals, tickets, custom
objects). Endpoints parse, call the pipeline services, and render."""

from __future__ import annotations

from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest
from ninja import Router

from scheda.api.auth import require_object, require_right
from scheda.api.schemas import ERRORS, Schema
from scheda.errors import FieldError, NotFound, ValidationFailed
from scheda.objects.models import ObjectType
from scheda.objects.services import get_object_type, load_schema
from scheda.objects.types import format_datetime
from scheda.pipelines import services
from scheda.pipelines.models import Pipeline, PipelineStage

router = Router(tags=["Pipelines"])
Metadata = dict[str, str | int | float | bool]


# --- request and response bodies (HubSpot's models) -------------------------------------------------


class StageInput(Schema):
    label: str
    displayOrder: int
    metadata: Metadata = {}


class StagePatch(Schema):
    label: str | None = None
    displayOrder: int | None = None
    metadata: Metadata | None = None
    archived: bool | None = None


class PipelineInput(Schema):
    label: str
    displayOrder: int
    stages: list[StageInput]


class PipelinePatch(Schema):
    label: str | None = None
    displayOrder: int | None = None
    archived: bool | None = None


class StageOut(Schema):
    id: str
    label: str
    displayOrder: int
    metadata: dict[str, str]
    createdAt: str
    updatedAt: str
    archived: bool
    archivedAt: str | None = None
    writePermissions: Literal["CRM_PERMISSIONS_ENFORCEMENT", "READ_ONLY", "INTERNAL_ONLY"] | None = None


class PipelineOut(Schema):
    id: str
    label: str
    displayOrder: int
    stages: list[StageOut]
    createdAt: str
    updatedAt: str
    archived: bool
    archivedAt: str | None = None


class Pipelines(Schema):
    results: list[PipelineOut]


class Stages(Schema):
    results: list[StageOut]


# --- parsing and rendering ----------------------------------------------------------------------


def object_type_for(request: HttpRequest, name: str, access: str) -> ObjectType:
    """An object type with pipelines; the token needs `access` to its records."""
    object_type = get_object_type(name)
    require_object(request, object_type, access)
    if access == "write":  # pipelines are definitions, like properties
        require_right(request, "manage_properties")
    pipeline_property, _ = services.pipeline_properties(object_type)
    if pipeline_property not in load_schema(object_type).properties:
        raise ValidationFailed(f"{object_type.plural_label} have no pipelines",
                               [FieldError(f"{object_type.plural_label} have no pipelines", "NO_PIPELINES", "objectType")])
    return object_type


def render_stage(stage: PipelineStage) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": stage.stage_id, "label": stage.label, "displayOrder": stage.display_order,
        "metadata": {key: str(value) for key, value in stage.metadata.items()},
        "createdAt": format_datetime(stage.created_at), "updatedAt": format_datetime(stage.updated_at),
        "archived": stage.archived, "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
    }
    if stage.archived_at:
        body["archivedAt"] = format_datetime(stage.archived_at)
    return body


def active_stages(pipeline: Pipeline) -> list[PipelineStage]:
    return sorted((s for s in pipeline.stages.all() if not s.archived), key=lambda s: (s.display_order, s.pk))


def render(pipeline: Pipeline) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": pipeline.pipeline_id, "label": pipeline.label, "displayOrder": pipeline.display_order,
        "stages": [render_stage(s) for s in active_stages(pipeline)],
        "createdAt": format_datetime(pipeline.created_at), "updatedAt": format_datetime(pipeline.updated_at),
        "archived": pipeline.archived,
    }
    if pipeline.archived_at:
        body["archivedAt"] = format_datetime(pipeline.archived_at)
    return body


def stage_specs(stages: list[StageInput]) -> list[dict[str, Any]]:
    return [{"label": s.label, "display_order": s.displayOrder, "metadata": s.metadata} for s in stages]


def get_stage(pipeline: Pipeline, stage_id: str) -> PipelineStage:
    stage = pipeline.stages.filter(stage_id=stage_id, archived=False).select_related("pipeline__object_type").first()
    if stage is None:
        raise NotFound(f"No stage {stage_id!r} in the pipeline {pipeline.label!r}",
                       [FieldError("No such stage", "OBJECT_NOT_FOUND", "stageId")])
    return stage


def fresh(pipeline: Pipeline) -> Pipeline:
    return Pipeline.objects.prefetch_related("stages").get(pk=pipeline.pk)


# --- pipelines ---------------------------------------------------------------------------------------


@router.get("/{object_type}", response={200: Pipelines, **ERRORS}, exclude_none=True, summary="List pipelines")
def list_pipelines(request: HttpRequest, object_type: str):
    kind = object_type_for(request, object_type, "read")
    return {"results": [render(p) for p in services.pipelines_of(kind)]}


@router.post("/{object_type}", response={201: PipelineOut, **ERRORS}, exclude_none=True, summary="Create a pipeline")
def create_pipeline(request: HttpRequest, object_type: str, payload: PipelineInput):
    kind = object_type_for(request, object_type, "write")
    pipeline = services.create_pipeline(kind, payload.label, stage_specs(payload.stages), payload.displayOrder)
    return 201, render(fresh(pipeline))


@router.get("/{object_type}/{pipeline_id}", response={200: PipelineOut, **ERRORS}, exclude_none=True, summary="Read a pipeline")
def read_pipeline(request: HttpRequest, object_type: str, pipeline_id: str):
    kind = object_type_for(request, object_type, "read")
    return render(fresh(services.get_pipeline(kind, pipeline_id)))


@router.patch("/{object_type}/{pipeline_id}", response={200: PipelineOut, **ERRORS}, exclude_none=True,
              summary="Update a pipeline")
def update_pipeline(request: HttpRequest, object_type: str, pipeline_id: str, payload: PipelinePatch):
    kind = object_type_for(request, object_type, "write")
    pipeline = services.get_pipeline(kind, pipeline_id)
    with transaction.atomic():
        pipeline = services.update_pipeline(pipeline, label=payload.label, display_order=payload.displayOrder)
        if payload.archived:
            services.archive_pipeline(pipeline)
    return render(fresh(pipeline))


@router.put("/{object_type}/{pipeline_id}", response={200: PipelineOut, **ERRORS}, exclude_none=True,
            summary="Replace a pipeline and its stages")
def replace_pipeline(request: HttpRequest, object_type: str, pipeline_id: str, payload: PipelineInput):
    kind = object_type_for(request, object_type, "write")
    pipeline = services.get_pipeline(kind, pipeline_id)
    services.replace_pipeline(pipeline, payload.label, stage_specs(payload.stages), payload.displayOrder)
    return render(fresh(pipeline))


@router.delete("/{object_type}/{pipeline_id}", response={204: None, **ERRORS}, summary="Archive a pipeline")
def archive_pipeline(request: HttpRequest, object_type: str, pipeline_id: str):
    kind = object_type_for(request, object_type, "write")
    services.archive_pipeline(services.get_pipeline(kind, pipeline_id))
    return 204, None


# --- stages ------------------------------------------------------------------------------------------


@router.get("/{object_type}/{pipeline_id}/stages", response={200: Stages, **ERRORS}, exclude_none=True,
            summary="List a pipeline's stages")
def list_stages(request: HttpRequest, object_type: str, pipeline_id: str):
    kind = object_type_for(request, object_type, "read")
    pipeline = fresh(services.get_pipeline(kind, pipeline_id))
    return {"results": [render_stage(s) for s in active_stages(pipeline)]}


@router.post("/{object_type}/{pipeline_id}/stages", response={201: StageOut, **ERRORS}, exclude_none=True,
             summary="Add a stage to a pipeline")
def create_stage(request: HttpRequest, object_type: str, pipeline_id: str, payload: StageInput):
    kind = object_type_for(request, object_type, "write")
    pipeline = services.get_pipeline(kind, pipeline_id)
    with transaction.atomic():
        stage = services.create_stage(pipeline, payload.label, payload.metadata, payload.displayOrder)
    return 201, render_stage(stage)


@router.get("/{object_type}/{pipeline_id}/stages/{stage_id}", response={200: StageOut, **ERRORS}, exclude_none=True,
            summary="Read a stage")
def read_stage(request: HttpRequest, object_type: str, pipeline_id: str, stage_id: str):
    kind = object_type_for(request, object_type, "read")
    return render_stage(get_stage(services.get_pipeline(kind, pipeline_id), stage_id))


@router.patch("/{object_type}/{pipeline_id}/stages/{stage_id}", response={200: StageOut, **ERRORS}, exclude_none=True,
              summary="Update a stage")
def update_stage(request: HttpRequest, object_type: str, pipeline_id: str, stage_id: str, payload: StagePatch):
    kind = object_type_for(request, object_type, "write")
    stage = get_stage(services.get_pipeline(kind, pipeline_id), stage_id)
    # A partial update: metadata keys not sent keep their values.
    metadata = {**stage.metadata, **payload.metadata} if payload.metadata is not None else None
    with transaction.atomic():
        stage = services.update_stage(stage, label=payload.label, metadata=metadata, display_order=payload.displayOrder)
        if payload.archived:
            services.archive_stage(stage)
    return render_stage(stage)


@router.put("/{object_type}/{pipeline_id}/stages/{stage_id}", response={200: StageOut, **ERRORS}, exclude_none=True,
            summary="Replace a stage")
def replace_stage(request: HttpRequest, object_type: str, pipeline_id: str, stage_id: str, payload: StageInput):
    kind = object_type_for(request, object_type, "write")
    stage = get_stage(services.get_pipeline(kind, pipeline_id), stage_id)
    stage = services.update_stage(stage, label=payload.label, metadata=payload.metadata, display_order=payload.displayOrder)
    return render_stage(stage)


@router.delete("/{object_type}/{pipeline_id}/stages/{stage_id}", response={204: None, **ERRORS}, summary="Archive a stage")
def archive_stage(request: HttpRequest, object_type: str, pipeline_id: str, stage_id: str):
    kind = object_type_for(request, object_type, "write")
    services.archive_stage(get_stage(services.get_pipeline(kind, pipeline_id), stage_id))
    return 204, None
