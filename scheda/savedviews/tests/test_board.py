"""The board of deals and tickets: columns in stage order with counts and totals, "Load more" per
column, and moving a card (through records.services.update_record), refused moves included."""

import re

import pytest

from scheda.objects.services import get_object_type
from scheda.pipelines.models import Pipeline
from scheda.pipelines.services import create_pipeline
from scheda.records import services as records
from scheda.records.models import Record
from scheda.savedviews import board

pytestmark = pytest.mark.django_db


@pytest.fixture
def deals(rep):
    made = [records.create_record("deals", {"dealname": f"Deal {n}", "amount": 1000 * (n + 1), "dealstage": stage,
                                            "closedate": "2026-12-01T00:00:00Z"}, rep)
            for n, stage in enumerate(["appointmentscheduled", "appointmentscheduled", "qualifiedtobuy"])]
    return made


def columns(html):
    return re.findall(r'<section class="board-column" data-stage="([^"]+)" aria-label="([^"]+)">', html)


def test_board_columns_are_the_pipelines_stages_in_order_with_count_and_total(browser, deals):
    html = browser.get("/deals/?mode=board").content.decode()
    stages = [s.stage_id for s in Pipeline.objects.get(pipeline_id="default").stages.filter(archived=False)]
    assert [stage for stage, _ in columns(html)] == stages
    first = html.split('data-stage="appointmentscheduled"')[1].split("</section>")[0]
    assert "2 records" in first and "Total: 3,000.00" in first and "Deal 0" in first and "Deal 2" not in first
    assert 'aria-label="Move Deal 0 to stage"' in first and ">Move to stage<" in first
    assert 'draggable="true"' in first and "Close Date" in first and "Dec. 1, 2026" in first


def test_tickets_board_shows_priority(browser, rep):
    records.create_record("tickets", {"subject": "Printer on fire", "hs_pipeline_stage": "1", "hs_ticket_priority": "HIGH"}, rep)
    html = browser.get("/tickets/?mode=board").content.decode()
    assert "Printer on fire" in html and "High" in html and "Total" not in html


def test_contacts_have_no_board(browser, contacts):
    html = browser.get("/contacts/?mode=board").content.decode()
    assert "board-column" not in html and "12 records" in html


def test_load_more_per_column(browser, rep, monkeypatch):
    monkeypatch.setattr(board, "CARDS_PER_COLUMN", 2)
    made = [records.create_record("deals", {"dealname": f"D{n}", "dealstage": "closedwon"}, rep) for n in range(5)]
    html = browser.get("/deals/?mode=board").content.decode()
    column = html.split('data-stage="closedwon"')[1].split("</section>")[0]
    assert "5 records" in column and column.count('class="board-card"') == 2
    more = re.search(r'hx-get="(/deals/board/column/[^"]+)"', column)[1].replace("&amp;", "&")
    assert f"after={made[3].pk}" in more
    rest = browser.get(more).content.decode()
    assert rest.count('class="board-card"') == 2 and "D2" in rest and "D1" in rest and "Load more" in rest
    last = browser.get(re.search(r'hx-get="(/deals/board/column/[^"]+)"', rest)[1].replace("&amp;", "&")).content.decode()
    assert last.count('class="board-card"') == 1 and "D0" in last and "Load more" not in last


def test_move_a_card_to_another_stage(browser, deals):
    answer = browser.post("/deals/board/move/", {"view": "all", "mode": "board", "record": deals[0].pk, "stage": "closedwon"},
                          HTTP_HX_REQUEST="true")
    html = answer.content.decode()
    assert answer.status_code == 200 and html.lstrip().startswith('<div id="board"')
    deals[0].refresh_from_db()
    assert deals[0].properties["dealstage"] == "closedwon" and deals[0].properties["hs_deal_stage_probability"] == 1.0
    won = html.split('data-stage="closedwon"')[1].split("</section>")[0]
    assert "Deal 0" in won and "1 record" in won
    assert Record.objects.get(pk=deals[0].pk).changes.count() == 2  # the move is in the property history


def test_a_refused_move_says_why_and_the_card_stays(browser, deals):
    other = create_pipeline(get_object_type("deals"), "Renewals", [{"label": "Due", "metadata": {"probability": "0.5", "isClosed": "false"}}])
    foreign = other.stages.get().stage_id
    html = browser.post("/deals/board/move/", {"view": "all", "mode": "board", "record": deals[0].pk, "stage": foreign}).content.decode()
    assert re.search(r'class="board-message" role="alert">Deal 0 could not be moved: [^<]*is not a stage of the pipeline', html)
    deals[0].refresh_from_db()
    assert deals[0].properties["dealstage"] == "appointmentscheduled"
    assert "Deal 0" in html.split('data-stage="appointmentscheduled"')[1].split("</section>")[0]
    # Two pipelines: a picker, and the other pipeline's board.
    page = browser.get(f"/deals/?mode=board&pipeline={other.pipeline_id}").content.decode()
    assert 'id="pipeline-picker"' in page and [s for s, _ in columns(page)] == [foreign]


def test_a_card_moved_meanwhile_is_not_moved_again_unseen(browser, deals):
    """A card carries the stage it was shown in: moved by someone else since (the API here), the
    move is refused with who moved it where, the card shows where it is now, and moving it from
    there overwrites on purpose."""
    html = browser.get("/deals/?mode=board").content.decode()
    card = html.split(f'id="card-{deals[0].pk}"')[1].split("</article>")[0]
    assert '<input type="hidden" name="from" value="appointmentscheduled">' in card
    records.update_record(deals[0], {"dealstage": "presentationscheduled"}, records.Author(records.Source.API))
    move = {"view": "all", "mode": "board", "record": deals[0].pk, "from": "appointmentscheduled", "stage": "closedwon"}
    html = browser.post("/deals/board/move/", move, HTTP_HX_REQUEST="true").content.decode()
    assert re.search(r'class="board-message" role="alert">Deal 0 was moved to Presentation Scheduled by API meanwhile:'
                     r" move it again to overwrite\.<", html)
    deals[0].refresh_from_db()
    assert deals[0].properties["dealstage"] == "presentationscheduled"
    now = html.split('data-stage="presentationscheduled"')[1].split("</section>")[0]
    assert "Deal 0" in now and '<input type="hidden" name="from" value="presentationscheduled">' in now
    browser.post("/deals/board/move/", {**move, "from": "presentationscheduled"}, HTTP_HX_REQUEST="true")
    deals[0].refresh_from_db()
    assert deals[0].properties["dealstage"] == "closedwon"


def test_move_service_path_refuses_an_unknown_record(browser, deals):
    html = browser.post("/deals/board/move/", {"view": "all", "record": "999999", "stage": "closedwon"}).content.decode()
    assert "could not be moved" in html


def test_the_boards_query_count_does_not_grow_with_its_cards(browser, deals, rep, django_assert_num_queries):
    """One query per stage for its cards (7 in the sales pipeline), one for all the cards'
    records, one for every column's count and total, and the page's own (session, user, object,
    schema, views, notifications); owners are read only when a card shows one. The pipelines with
    their stages and the default permission set are kept with the schema."""
    browser.get("/deals/?mode=board")
    with django_assert_num_queries(15):
        browser.get("/deals/?mode=board")
    for n in range(20):
        records.create_record("deals", {"dealname": f"More {n}", "dealstage": ["closedwon", "qualifiedtobuy"][n % 2]}, rep)
    with django_assert_num_queries(15):
        html = browser.get("/deals/?mode=board").content.decode()
    assert html.count('class="board-card"') == 23
