"""replace_pipeline: HubSpot's PUT of a pipeline with its stages."""

import pytest

from scheda.errors import ValidationFailed
from scheda.objects.services import get_object_type
from scheda.pipelines import services
from scheda.records import services as records
from scheda.records.services import Author

pytestmark = pytest.mark.django_db


def stage(label, probability="0.5", **extra):
    return {"label": label, "metadata": {"probability": probability, **extra}}


def test_replace_keeps_ids_by_label_adds_and_archives():
    deals = get_object_type("deals")
    pipeline = services.create_pipeline(deals, "Partners", [stage("New", "0.1"), stage("Won", "1")])
    ids = {s.label: s.stage_id for s in pipeline.stages.all()}
    services.replace_pipeline(pipeline, "Partners 2", [stage("Won", "1", isClosed=True), stage("Lost", "0")], 4)
    pipeline.refresh_from_db()
    active = {s.label: s for s in pipeline.stages.filter(archived=False)}
    assert (pipeline.label, pipeline.display_order, sorted(active)) == ("Partners 2", 4, ["Lost", "Won"])
    assert active["Won"].stage_id == ids["Won"] and active["Won"].metadata == {"probability": "1", "isClosed": "true"}
    assert (active["Won"].display_order, active["Lost"].display_order) == (0, 1)
    assert pipeline.stages.get(stage_id=ids["New"]).archived


def test_replace_refuses_to_drop_a_stage_in_use_and_changes_nothing():
    deals = get_object_type("deals")
    pipeline = services.create_pipeline(deals, "Resellers", [stage("New"), stage("Won", "1")])
    new = pipeline.stages.get(label="New")
    records.create_record(deals, {"dealname": "Big", "pipeline": pipeline.pipeline_id, "dealstage": new.stage_id}, Author())
    with pytest.raises(ValidationFailed) as refused:
        services.replace_pipeline(pipeline, "Resellers renamed", [stage("Won", "1")])
    assert refused.value.errors[0].code == "STAGE_IN_USE"
    pipeline.refresh_from_db()
    assert pipeline.label == "Resellers" and not pipeline.stages.get(pk=new.pk).archived
