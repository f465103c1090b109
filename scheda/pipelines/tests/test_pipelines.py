"""Pipelines and stages: their writers and the rules on their metadata and use."""

import pytest

from scheda.errors import Conflict, NotFound, ValidationFailed
from scheda.objects.services import get_object_type
from scheda.pipelines import services
from scheda.pipelines.models import Pipeline, PipelineStage
from scheda.records import services as records
from scheda.records.services import Author

pytestmark = pytest.mark.django_db

DEAL_STAGES = [
    {"label": "Open", "metadata": {"probability": 0.3, "isClosed": "false"}},
    {"label": "Won", "metadata": {"probability": "1.0", "isClosed": "true"}},
]
TICKET_STAGES = [
    {"label": "New", "metadata": {"ticketState": "OPEN"}},
    {"label": "Done", "metadata": {"ticketState": "CLOSED"}},
]


@pytest.fixture
def deals():
    return get_object_type("deals")


@pytest.fixture
def tickets():
    return get_object_type("tickets")


def codes(caught) -> list[str]:
    return [e.code for e in caught.value.errors]


def test_standard_pipelines_are_installed(deals, tickets):
    sales = services.get_pipeline(deals, "default")
    assert sales.label == "Sales Pipeline"
    assert [s.stage_id for s in sales.stages.all()][:2] == [
        "appointmentscheduled",
        "qualifiedtobuy",
    ]
    assert sales.stages.get(stage_id="closedwon").is_closed
    assert not sales.stages.get(stage_id="qualifiedtobuy").is_closed
    support = services.get_pipeline(tickets, "0")
    assert [s.metadata["ticketState"] for s in support.stages.all()] == [
        "OPEN",
        "OPEN",
        "OPEN",
        "CLOSED",
    ]
    assert services.pipeline_properties(deals) == ("pipeline", "dealstage")
    assert services.pipeline_properties(tickets) == ("hs_pipeline", "hs_pipeline_stage")


def test_create_pipeline(deals):
    pipeline = services.create_pipeline(deals, "Renewals", DEAL_STAGES, display_order=3)
    pipeline.refresh_from_db()
    assert pipeline.label == "Renewals" and pipeline.display_order == 3
    assert pipeline.pipeline_id.isdigit() and len(pipeline.pipeline_id) == 9
    stages = list(pipeline.stages.all())
    assert [(s.label, s.display_order, s.metadata) for s in stages] == [
        ("Open", 0, {"probability": "0.3", "isClosed": "false"}),
        ("Won", 1, {"probability": "1.0", "isClosed": "true"}),
    ]
    assert stages[1].is_closed and not stages[0].is_closed
    assert [p.label for p in services.pipelines_of(deals)] == ["Sales Pipeline", "Renewals"]
    assert services.get_pipeline(deals, pipeline.pipeline_id) == pipeline
    # Its stages are a deal's to take.
    deal = records.create_record(
        "deals", {"dealname": "D", "pipeline": pipeline.pipeline_id}, Author()
    )
    assert deal.properties["dealstage"] == stages[0].stage_id
    assert deal.properties["hs_deal_stage_probability"] == 0.3


def test_create_ticket_pipeline(tickets):
    pipeline = services.create_pipeline(tickets, "Escalations", TICKET_STAGES, pipeline_id="esc")
    assert pipeline.pipeline_id == "esc"
    ticket = records.create_record("tickets", {"subject": "S", "hs_pipeline": "esc"}, Author())
    assert ticket.properties["hs_pipeline_stage"] == pipeline.stages.first().stage_id


@pytest.mark.parametrize(
    "metadata",
    [
        {},
        {"probability": "1.5"},
        {"probability": -0.1},
        {"probability": "high"},
        {"probability": None},
        {"probability": "nan"},
        {"probability": [0.5]},
        {"probability": True},
    ],
)
def test_deal_stage_needs_a_probability_from_0_to_1(deals, metadata):
    with pytest.raises(ValidationFailed) as caught:
        services.create_pipeline(deals, "Bad", [{"label": "Open", "metadata": metadata}])
    assert codes(caught) == ["INVALID_METADATA"]
    assert not Pipeline.objects.filter(label="Bad").exists()


@pytest.mark.parametrize("probability", ["0", "1", 0, 1, "0.25"])
def test_deal_stage_probability_bounds(deals, probability):
    pipeline = services.create_pipeline(
        deals, "P", [{"label": "S", "metadata": {"probability": probability}}]
    )
    assert pipeline.stages.get().metadata["probability"] == str(probability)


@pytest.mark.parametrize(
    "metadata", [{}, {"ticketState": "open"}, {"ticketState": "PENDING"}, {"probability": "0.5"}]
)
def test_ticket_stage_needs_a_ticket_state(tickets, metadata):
    with pytest.raises(ValidationFailed) as caught:
        services.create_pipeline(tickets, "Bad", [{"label": "New", "metadata": metadata}])
    assert codes(caught) == ["INVALID_METADATA"]
    assert not Pipeline.objects.filter(label="Bad").exists()


@pytest.mark.parametrize(
    ("label", "stages", "code"),
    [
        ("", DEAL_STAGES, "REQUIRED_FIELD"),
        ("P", [], "REQUIRED_FIELD"),
        ("P", [{"label": "", "metadata": {"probability": "0"}}], "REQUIRED_FIELD"),
        (
            "P",
            [
                {"label": "A", "metadata": {"probability": "0"}},
                {"label": "A", "metadata": {"probability": "1"}},
            ],
            "DUPLICATE_LABEL",
        ),
    ],
)
def test_create_pipeline_validation(deals, label, stages, code):
    count = Pipeline.objects.count(), PipelineStage.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        services.create_pipeline(deals, label, stages)
    assert codes(caught) == [code]
    assert (Pipeline.objects.count(), PipelineStage.objects.count()) == count


def test_pipeline_labels_are_unique_per_object_type(deals, tickets):
    with pytest.raises(Conflict):
        services.create_pipeline(deals, "Sales Pipeline", DEAL_STAGES)
    assert services.create_pipeline(tickets, "Sales Pipeline", TICKET_STAGES).object_type == tickets


def test_update_pipeline(deals):
    pipeline = services.create_pipeline(deals, "Renewals", DEAL_STAGES)
    services.update_pipeline(pipeline, label="Upsells", display_order=7)
    pipeline.refresh_from_db()
    assert (pipeline.label, pipeline.display_order) == ("Upsells", 7)
    with pytest.raises(ValidationFailed):
        services.update_pipeline(pipeline, label="")
    with pytest.raises(Conflict):
        services.update_pipeline(pipeline, label="Sales Pipeline")
    pipeline.refresh_from_db()
    assert pipeline.label == "Upsells"
    services.update_pipeline(pipeline, label="Upsells")  # its own label is fine


def test_stages(deals):
    pipeline = services.create_pipeline(deals, "Renewals", DEAL_STAGES)
    stage = services.create_stage(
        pipeline, "Lost", {"probability": 0, "isClosed": True}, display_order=2
    )
    assert stage.metadata == {"probability": "0", "isClosed": "true"}
    assert stage.is_closed
    with pytest.raises(Conflict):
        services.create_stage(pipeline, "Lost", {"probability": 0})
    with pytest.raises(ValidationFailed):
        services.create_stage(pipeline, "Maybe", {"probability": 2})
    services.update_stage(
        stage,
        label="Closed lost",
        metadata={"probability": "0.0", "isClosed": "true"},
        display_order=9,
    )
    stage.refresh_from_db()
    assert (stage.label, stage.display_order, stage.metadata) == (
        "Closed lost",
        9,
        {"probability": "0.0", "isClosed": "true"},
    )
    assert stage.is_closed
    with pytest.raises(ValidationFailed):
        services.update_stage(stage, metadata={"probability": "1.1"})
    stage.refresh_from_db()
    assert stage.metadata["probability"] == "0.0"
    assert [s.label for s in pipeline.stages.all()] == ["Open", "Won", "Closed lost"]


def test_new_probability_applies_on_next_write(deals):
    pipeline = services.create_pipeline(deals, "Renewals", DEAL_STAGES)
    stage = pipeline.stages.get(label="Open")
    deal = records.create_record(
        "deals", {"dealname": "D", "pipeline": pipeline.pipeline_id}, Author()
    )
    services.update_stage(stage, metadata={"probability": "0.6"})
    records.update_record(deal, {"dealstage": pipeline.stages.get(label="Won").stage_id}, Author())
    records.update_record(deal, {"dealstage": stage.stage_id}, Author())
    assert deal.properties["hs_deal_stage_probability"] == 0.6


def test_archive_pipeline(deals):
    pipeline = services.create_pipeline(deals, "Renewals", DEAL_STAGES)
    services.archive_pipeline(pipeline)
    pipeline.refresh_from_db()
    assert pipeline.archived and pipeline.archived_at is not None
    with pytest.raises(NotFound):
        services.get_pipeline(deals, pipeline.pipeline_id)
    assert [p.label for p in services.pipelines_of(deals)] == ["Sales Pipeline"]
    with pytest.raises(ValidationFailed):
        records.create_record(
            "deals", {"dealname": "D", "pipeline": pipeline.pipeline_id}, Author()
        )
    # Its label is free again.
    assert services.create_pipeline(deals, "Renewals", DEAL_STAGES).label == "Renewals"


def test_archive_pipeline_in_use_fails(deals):
    pipeline = services.create_pipeline(deals, "Renewals", DEAL_STAGES)
    deal = records.create_record(
        "deals", {"dealname": "D", "pipeline": pipeline.pipeline_id}, Author()
    )
    with pytest.raises(ValidationFailed) as caught:
        services.archive_pipeline(pipeline)
    assert codes(caught) == ["PIPELINE_IN_USE"]
    pipeline.refresh_from_db()
    assert not pipeline.archived
    # Once its deals are deleted (archived) it can go.
    records.archive_record(deal, Author())
    services.archive_pipeline(pipeline)
    assert Pipeline.objects.get(pk=pipeline.pk).archived


def test_archive_ticket_pipeline_in_use_fails(tickets):
    pipeline = services.get_pipeline(tickets, "0")
    records.create_record("tickets", {"subject": "S", "hs_pipeline_stage": "4"}, Author())
    with pytest.raises(ValidationFailed) as caught:
        services.archive_pipeline(pipeline)
    assert codes(caught) == ["PIPELINE_IN_USE"]
    with pytest.raises(ValidationFailed) as caught:
        services.archive_stage(pipeline.stages.get(stage_id="4"))
    assert codes(caught) == ["STAGE_IN_USE"]
    services.archive_stage(pipeline.stages.get(stage_id="3"))
    assert pipeline.stages.get(stage_id="3").archived


def test_archive_stage(deals):
    pipeline = services.create_pipeline(deals, "Renewals", DEAL_STAGES)
    open_, won = pipeline.stages.all()
    deal = records.create_record(
        "deals", {"dealname": "D", "pipeline": pipeline.pipeline_id}, Author()
    )
    assert deal.properties["dealstage"] == open_.stage_id
    with pytest.raises(ValidationFailed) as caught:
        services.archive_stage(open_)
    assert codes(caught) == ["STAGE_IN_USE"]
    open_.refresh_from_db()
    assert not open_.archived
    records.update_record(deal, {"dealstage": won.stage_id}, Author())
    services.archive_stage(open_)
    open_.refresh_from_db()
    assert open_.archived and open_.archived_at is not None
    # A pipeline keeps one stage.
    records.archive_record(deal, Author())
    with pytest.raises(ValidationFailed) as caught:
        services.archive_stage(won)
    assert codes(caught) == ["LAST_STAGE"]
    # New deals in the pipeline land in its first active stage.
    other = records.create_record(
        "deals", {"dealname": "E", "pipeline": pipeline.pipeline_id}, Author()
    )
    assert other.properties["dealstage"] == won.stage_id


def test_renaming_a_stage_to_a_label_in_use_is_a_conflict(db):
    stages = list(services.get_pipeline(get_object_type("deals"), "default").stages.all())
    with pytest.raises(Conflict):
        services.update_stage(stages[0], label=stages[1].label)
    stages[0].refresh_from_db()
    assert stages[0].label != stages[1].label


def test_pipelines_are_kept_with_the_schema_and_every_writer_renews_them(deals, django_assert_num_queries):
    def shown() -> list[tuple[str, list[str]]]:
        return [(p.label, [s.label for s in sorted(p.stages.all(), key=lambda s: s.display_order) if not s.archived])
                for p in services.pipelines_of(deals)]

    first = shown()
    with django_assert_num_queries(1):  # the schema token only
        assert shown() == first and first[0][0] == "Sales Pipeline"
    pipeline = services.create_pipeline(deals, "Renewals", DEAL_STAGES, display_order=1)
    assert shown()[1] == ("Renewals", ["Open", "Won"])
    stage = services.create_stage(pipeline, "Lost", {"probability": 0}, display_order=2)
    assert shown()[1] == ("Renewals", ["Open", "Won", "Lost"])
    services.update_stage(stage, label="Closed lost")
    assert shown()[1] == ("Renewals", ["Open", "Won", "Closed lost"])
    services.archive_stage(stage)
    assert shown()[1] == ("Renewals", ["Open", "Won"])
    services.update_pipeline(pipeline, label="Upsells")
    assert shown()[1] == ("Upsells", ["Open", "Won"])
    services.archive_pipeline(pipeline)
    assert [label for label, _ in shown()] == ["Sales Pipeline"]
