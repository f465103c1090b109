"""Pipelines and stages through HubSpot's own SDK against a live server."""

import json

import pytest
from hubspot import HubSpot
from hubspot.crm.deals import SimplePublicObjectInput as DealUpdate
from hubspot.crm.deals import SimplePublicObjectInputForCreate as DealInput
from hubspot.crm.pipelines import (
    ApiException,
    PipelineInput,
    PipelinePatchInput,
    PipelineStageInput,
    PipelineStagePatchInput,
)


def deal_stages(*labels):
    return [PipelineStageInput(label=label, display_order=i, metadata={"probability": str(round(0.1 * (i + 1), 1))})
            for i, label in enumerate(labels)]


def new_pipeline(hubspot, unique, *labels, object_type="deals"):
    return hubspot.crm.pipelines.pipelines_api.create(object_type, PipelineInput(
        label=f"Pipeline {unique}", display_order=5, stages=deal_stages(*(labels or ("New", "Won")))))


def body(error):
    return json.loads(error.value.body)


def test_the_default_deal_pipeline(hubspot):
    pipelines = hubspot.crm.pipelines.pipelines_api.get_all("deals").results
    sales = next(p for p in pipelines if p.id == "default")
    assert sales.label == "Sales Pipeline" and sales.archived is False and sales.created_at is not None
    assert sales.stages[0].id == "appointmentscheduled"
    assert sales.stages[0].metadata == {"probability": "0.2", "isClosed": "false"}
    assert [s.display_order for s in sales.stages] == sorted(s.display_order for s in sales.stages)
    assert hubspot.crm.pipelines.pipelines_api.get_by_id("deals", "default").label == "Sales Pipeline"
    assert hubspot.crm.pipelines.pipelines_api.get_by_id("tickets", "0").stages[0].metadata["ticketState"] == "OPEN"


def test_create_read_update_replace_and_archive_a_pipeline(hubspot, unique):
    api = hubspot.crm.pipelines.pipelines_api
    made = new_pipeline(hubspot, unique, "New", "Won")
    assert (made.label, made.display_order, [s.label for s in made.stages]) == (f"Pipeline {unique}", 5, ["New", "Won"])
    assert made.stages[1].metadata == {"probability": "0.2"}
    assert made.id in {p.id for p in api.get_all("deals").results}
    renamed = api.update("deals", made.id, PipelinePatchInput(label=f"Renamed {unique}", display_order=7))
    assert (renamed.label, renamed.display_order, renamed.stages) == (f"Renamed {unique}", 7, made.stages)
    won = made.stages[1]
    replaced = api.replace("deals", made.id, PipelineInput(label=f"Replaced {unique}", display_order=1, stages=[
        PipelineStageInput(label="Won", display_order=0, metadata={"probability": "1.0", "isClosed": "true"}),
        PipelineStageInput(label="Lost", display_order=1, metadata={"probability": "0", "isClosed": "true"})]))
    assert [(s.label, s.display_order) for s in replaced.stages] == [("Won", 0), ("Lost", 1)]
    assert replaced.stages[0].id == won.id and replaced.stages[0].metadata == {"probability": "1.0", "isClosed": "true"}
    assert made.stages[0].id not in {s.id for s in replaced.stages}
    api.archive("deals", made.id)
    with pytest.raises(ApiException) as gone:
        api.get_by_id("deals", made.id)
    assert gone.value.status == 404 and body(gone)["category"] == "OBJECT_NOT_FOUND"
    assert made.id not in {p.id for p in api.get_all("deals").results}


def test_archiving_through_patch(hubspot, unique):
    made = new_pipeline(hubspot, unique)
    archived = hubspot.crm.pipelines.pipelines_api.update("deals", made.id, PipelinePatchInput(archived=True))
    assert archived.archived is True and archived.archived_at is not None


def test_stages(hubspot, unique):
    stages = hubspot.crm.pipelines.pipeline_stages_api
    made = new_pipeline(hubspot, unique, "New", "Won")
    added = stages.create("deals", made.id, PipelineStageInput(label="Demo", display_order=2, metadata={"probability": "0.5"}))
    assert (added.label, added.metadata, added.write_permissions) == ("Demo", {"probability": "0.5"}, "CRM_PERMISSIONS_ENFORCEMENT")
    assert [s.label for s in stages.get_all("deals", made.id).results] == ["New", "Won", "Demo"]
    assert stages.get_by_id("deals", made.id, added.id).label == "Demo"
    patched = stages.update("deals", made.id, added.id, PipelineStagePatchInput(metadata={"isClosed": "false"}, label="Demo call"))
    assert (patched.label, patched.metadata) == ("Demo call", {"probability": "0.5", "isClosed": "false"})
    replaced = stages.replace("deals", made.id, added.id, PipelineStageInput(label="Demo", display_order=9, metadata={"probability": "0.7"}))
    assert (replaced.label, replaced.display_order, replaced.metadata) == ("Demo", 9, {"probability": "0.7"})
    stages.archive("deals", made.id, added.id)
    assert [s.label for s in stages.get_all("deals", made.id).results] == ["New", "Won"]
    with pytest.raises(ApiException) as gone:
        stages.get_by_id("deals", made.id, added.id)
    assert gone.value.status == 404
    with pytest.raises(ApiException) as duplicate:
        stages.create("deals", made.id, PipelineStageInput(label="Won", display_order=3, metadata={"probability": "1"}))
    assert duplicate.value.status == 409


def test_a_deal_stage_needs_a_probability(hubspot, unique):
    with pytest.raises(ApiException) as bad:
        hubspot.crm.pipelines.pipelines_api.create("deals", PipelineInput(label=f"Bad {unique}", display_order=0, stages=[
            PipelineStageInput(label="New", display_order=0, metadata={"isClosed": "false"})]))
    assert bad.value.status == 400 and body(bad)["errors"][0]["in"] == "metadata.probability"
    assert "probability" in body(bad)["message"]
    assert f"Bad {unique}" not in {p.label for p in hubspot.crm.pipelines.pipelines_api.get_all("deals").results}
    made = new_pipeline(hubspot, unique)
    with pytest.raises(ApiException) as stage:
        hubspot.crm.pipelines.pipeline_stages_api.create("deals", made.id, PipelineStageInput(label="X", display_order=2, metadata={}))
    assert stage.value.status == 400 and body(stage)["errors"][0]["in"] == "metadata.probability"
    with pytest.raises(ApiException) as replaced:
        hubspot.crm.pipelines.pipeline_stages_api.replace("deals", made.id, made.stages[0].id,
                                                          PipelineStageInput(label="New", display_order=0, metadata={}))
    assert replaced.value.status == 400 and body(replaced)["errors"][0]["in"] == "metadata.probability"


def test_a_pipeline_or_stage_in_use_cannot_be_archived(hubspot, unique):
    made = new_pipeline(hubspot, unique, "New", "Won")
    deal = hubspot.crm.deals.basic_api.create(DealInput(properties={
        "dealname": f"Deal {unique}", "pipeline": made.id, "dealstage": made.stages[0].id}))
    with pytest.raises(ApiException) as in_use:
        hubspot.crm.pipelines.pipelines_api.archive("deals", made.id)
    assert in_use.value.status == 400 and body(in_use)["errors"][0]["code"] == "PIPELINE_IN_USE"
    with pytest.raises(ApiException) as stage_in_use:
        hubspot.crm.pipelines.pipeline_stages_api.archive("deals", made.id, made.stages[0].id)
    assert stage_in_use.value.status == 400 and body(stage_in_use)["errors"][0]["code"] == "STAGE_IN_USE"
    with pytest.raises(ApiException) as replaced:  # PUT without the deal's stage would archive it
        hubspot.crm.pipelines.pipelines_api.replace("deals", made.id, PipelineInput(
            label=f"Pipeline {unique}", display_order=0, stages=deal_stages("Won")))
    assert replaced.value.status == 400
    assert [s.label for s in hubspot.crm.pipelines.pipelines_api.get_by_id("deals", made.id).stages] == ["New", "Won"]
    hubspot.crm.deals.basic_api.update(deal.id, DealUpdate(properties={"dealstage": made.stages[1].id}))
    hubspot.crm.pipelines.pipeline_stages_api.archive("deals", made.id, made.stages[0].id)
    hubspot.crm.deals.basic_api.archive(deal.id)
    hubspot.crm.pipelines.pipelines_api.archive("deals", made.id)


def test_ticket_pipelines_and_scopes(server, hubspot, unique):
    made = hubspot.crm.pipelines.pipelines_api.create("tickets", PipelineInput(label=f"Support {unique}", display_order=0, stages=[
        PipelineStageInput(label="Open", display_order=0, metadata={"ticketState": "OPEN"}),
        PipelineStageInput(label="Closed", display_order=1, metadata={"ticketState": "CLOSED"})]))
    assert [s.metadata["ticketState"] for s in made.stages] == ["OPEN", "CLOSED"]
    with pytest.raises(ApiException) as no_state:
        hubspot.crm.pipelines.pipeline_stages_api.create("tickets", made.id, PipelineStageInput(label="Other", display_order=2))
    assert no_state.value.status == 400 and body(no_state)["errors"][0]["in"] == "metadata.ticketState"

    deals_reader = HubSpot(access_token=server.token_with("crm.objects.deals.read"), host=server.url)
    assert deals_reader.crm.pipelines.pipelines_api.get_by_id("deals", "default").id == "default"
    with pytest.raises(ApiException) as tickets:
        deals_reader.crm.pipelines.pipelines_api.get_all("tickets")
    assert tickets.value.status == 403 and body(tickets)["category"] == "MISSING_SCOPES"
    with pytest.raises(ApiException) as write:
        deals_reader.crm.pipelines.pipelines_api.create("deals", PipelineInput(
            label=f"Nope {unique}", display_order=0, stages=deal_stages("New")))
    assert write.value.status == 403
    ticket_user = HubSpot(access_token=server.token_with("tickets"), host=server.url)
    assert made.id in {p.id for p in ticket_user.crm.pipelines.pipelines_api.get_all("tickets").results}


def test_objects_without_pipelines_and_unknown_pipelines(hubspot):
    with pytest.raises(ApiException) as contacts:
        hubspot.crm.pipelines.pipelines_api.get_all("contacts")
    assert contacts.value.status == 400
    with pytest.raises(ApiException) as unknown:
        hubspot.crm.pipelines.pipeline_stages_api.get_all("deals", "no-such-pipeline")
    assert unknown.value.status == 404
    with pytest.raises(ApiException) as duplicate:
        hubspot.crm.pipelines.pipelines_api.create("deals", PipelineInput(
            label="Sales Pipeline", display_order=0, stages=deal_stages("New")))
    assert duplicate.value.status == 409
