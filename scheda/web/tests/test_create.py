"""The "Create" dialog (OBJ-3) over Django's test client: the form an admin chose (or the
object's defaults), each property by its type, refused values next to their fields with what
was typed, the duplicate warning, associating while creating and "Create and add another"."""

import re

import pytest

from scheda.associations.models import Association
from scheda.objects import services as objects
from scheda.objects.models import ObjectType
from scheda.pipelines.models import Pipeline
from scheda.records import services as records
from scheda.records.models import PropertyChange, Record
from scheda.records.services import Source

pytestmark = pytest.mark.django_db


def htmx(client, method, url, data=None):
    return getattr(client, method)(url, data or {}, HTTP_HX_REQUEST="true")


def field_names(html):
    return re.findall(r'<(?:input|select|textarea) id="create-(\w+)"', html)


def test_the_dialog_asks_for_the_default_properties_by_type(browser, owner):
    html = htmx(browser, "get", "/contacts/create/").content.decode()
    assert html.lstrip().startswith('<dialog id="create-dialog"')
    assert '<h2 id="create-title">Create contact</h2>' in html
    assert field_names(html) == ["email", "firstname", "lastname", "jobtitle", "phone", "hubspot_owner_id", "lifecyclestage"]
    assert 'type="email"' in html and 'type="tel"' in html
    # The owner is chosen among active users, the one creating preselected.
    assert f'<option value="{owner.pk}" selected>Olga Owner</option>' in html
    assert '<option value="lead">Lead</option>' in html  # an enumeration is a dropdown
    for name in (">Create<", ">Create and add another<", ">Cancel<", ">Associate contact with<"):
        assert name in html, name
    deals = htmx(browser, "get", "/deals/create/").content.decode()
    assert field_names(deals) == ["dealname", "pipeline", "dealstage", "amount", "closedate", "hubspot_owner_id"]
    assert re.search(r'id="create-amount" name="amount" value=""\s+type="number" step="any"', deals)
    assert re.search(r'id="create-closedate" name="closedate" value=""\s+type="date"', deals)
    tickets = htmx(browser, "get", "/tickets/create/").content.decode()
    assert field_names(tickets)[:4] == ["subject", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_priority"]


def test_without_htmx_the_dialog_is_a_page(browser):
    page = browser.get("/companies/create/").content.decode()
    assert "<html" in page and "open" in re.search(r"<dialog[^>]*>", page).group(0)
    assert field_names(page) == ["domain", "name", "hubspot_owner_id", "industry", "city"]
    assert browser.get("/notes/create/").status_code == 404
    assert browser.get("/nothing/create/").status_code == 404


def test_an_admin_chooses_the_properties_and_required_ones_are_always_asked(browser):
    contacts = ObjectType.objects.get(name="contacts")
    objects.update_object_type(contacts, {"create_form_properties": ["lastname", "city"]})
    objects.set_property_roles(contacts, required=["email"])
    html = htmx(browser, "get", "/contacts/create/").content.decode()
    assert field_names(html) == ["lastname", "city", "email"]
    assert 'id="create-email" name="email"' in html and 'aria-required="true"' in html
    with pytest.raises(Exception, match="not a property"):
        objects.update_object_type(contacts, {"create_form_properties": ["nope"]})


def test_create_goes_to_the_new_record(browser, owner):
    response = htmx(browser, "post", "/contacts/create/", {
        "email": "Ada@Example.com", "firstname": "Ada", "lastname": "Lovelace", "hubspot_owner_id": str(owner.pk),
        "lifecyclestage": "lead", "action": "create"})
    record = Record.objects.get(properties__email="ada@example.com")
    assert response.status_code == 200 and response["HX-Redirect"] == f"/contacts/{record.pk}/"
    assert record.properties["hubspot_owner_id"] == str(owner.pk) and record.properties["lifecyclestage"] == "lead"
    change = PropertyChange.objects.get(record=record)
    assert (change.source, change.user_id) == (Source.UI, owner.pk)
    plain = browser.post("/contacts/create/", {"email": "grace@example.com", "action": "create"})
    assert plain.status_code == 302 and plain["Location"].startswith("/contacts/")


def test_a_missing_required_value_is_shown_next_to_its_field_and_values_are_kept(browser):
    contacts = ObjectType.objects.get(name="contacts")
    objects.set_property_roles(contacts, required=["email"])
    html = htmx(browser, "post", "/contacts/create/", {"firstname": "Ada", "jobtitle": "Analyst", "action": "create"}).content.decode()
    email = re.search(r'<div class="field" id="field-email">.*?</div>', html, re.S).group(0)
    assert '<span class="field-error" id="error-email" role="alert">Email is required</span>' in email
    assert 'aria-invalid="true"' in email
    assert 'name="firstname" value="Ada"' in html and 'name="jobtitle" value="Analyst"' in html
    assert html.lstrip().startswith('<form id="create-form"')  # only the form is swapped, the dialog stays
    assert not Record.objects.filter(object_type=contacts).exists()


def test_an_empty_form_creates_nothing(browser, owner):
    html = htmx(browser, "post", "/companies/create/", {"hubspot_owner_id": "", "action": "create"}).content.decode()
    assert '<p class="form-error" role="alert">Fill in at least one property to create a company</p>' in html
    assert not Record.objects.filter(object_type__name="companies").exists()


def test_bad_values_per_type_come_back_next_to_their_fields(browser):
    html = htmx(browser, "post", "/deals/create/", {
        "dealname": "Big", "amount": "lots", "closedate": "31/12/2026", "hubspot_owner_id": "999999",
        "action": "create"}).content.decode()
    for name in ("amount", "closedate", "hubspot_owner_id"):
        block = re.search(rf'<div class="field" id="field-{name}">.*?</div>', html, re.S).group(0)
        assert 'class="field-error"' in block, name
    assert 'name="amount" value="lots"' in html and 'name="closedate" value="31/12/2026"' in html
    bad_email = htmx(browser, "post", "/contacts/create/", {"email": "not-an-email", "action": "create"}).content.decode()
    assert 'id="error-email"' in bad_email and 'value="not-an-email"' in bad_email
    assert not Record.objects.exclude(object_type__is_activity=True).exists()


def test_stages_follow_the_chosen_pipeline(browser):
    deals = ObjectType.objects.get(name="deals")
    from scheda.pipelines import services as pipelines

    other = pipelines.create_pipeline(deals, "Renewals", [{"label": "Up for renewal", "metadata": {"probability": "0.5", "isClosed": "false"}},
                                                          {"label": "Renewed", "metadata": {"probability": "1.0", "isClosed": "true"}}])
    html = htmx(browser, "get", "/deals/create/stages/", {"pipeline": other.pipeline_id}).content.decode()
    assert re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', html) == ["Up for renewal", "Renewed"]
    assert 'id="field-dealstage"' in html
    dialog = htmx(browser, "get", "/deals/create/").content.decode()
    assert 'hx-get="/deals/create/stages/"' in dialog and 'hx-target="#field-dealstage"' in dialog
    stage = other.stages.get(label="Renewed")
    response = htmx(browser, "post", "/deals/create/", {"dealname": "Renewal", "pipeline": other.pipeline_id,
                                                        "dealstage": stage.stage_id, "closedate": "2026-12-31", "amount": "1500.50",
                                                        "action": "create"})
    assert response.has_header("HX-Redirect")
    record = Record.objects.get(properties__dealname="Renewal")
    assert (record.properties["closedate"], record.properties["amount"]) == ("2026-12-31T00:00:00.000Z", 1500.5)
    assert (record.properties["pipeline"], record.properties["dealstage"]) == (other.pipeline_id, stage.stage_id)
    default = Pipeline.objects.get(object_type=deals, pipeline_id="default")
    wrong = htmx(browser, "post", "/deals/create/", {"dealname": "Wrong", "pipeline": default.pipeline_id,
                                                     "dealstage": stage.stage_id, "action": "create"}).content.decode()
    assert 'id="error-dealstage"' in wrong


def test_the_duplicate_warning_links_the_record_that_has_the_value(browser, rep):
    ada = records.create_record("contacts", {"email": "ada@example.com", "firstname": "Ada", "lastname": "Lovelace"}, rep)
    html = htmx(browser, "get", "/contacts/create/duplicate/", {"property": "email", "email": " ADA@example.com"}).content.decode()
    assert "A contact with this email already exists" in html
    assert f'<a href="/contacts/{ada.pk}/">Ada Lovelace</a>' in html
    assert 'id="duplicate-email"' in html
    free = htmx(browser, "get", "/contacts/create/duplicate/", {"property": "email", "email": "grace@example.com"}).content.decode()
    assert "already exists" not in free and 'id="duplicate-email"' in free
    half = htmx(browser, "get", "/contacts/create/duplicate/", {"property": "email", "email": "ada@"}).content.decode()
    assert "already exists" not in half
    assert htmx(browser, "get", "/contacts/create/duplicate/", {"property": "firstname", "firstname": "Ada"}).status_code == 404
    company = records.create_record("companies", {"name": "Acme", "domain": "acme.example"}, rep)
    html = htmx(browser, "get", "/companies/create/duplicate/", {"property": "domain", "domain": "acme.example"}).content.decode()
    assert "A company with this company domain name already exists" in html and f"/companies/{company.pk}/" in html
    # The input asks as the user types.
    dialog = htmx(browser, "get", "/contacts/create/").content.decode()
    assert 'hx-get="/contacts/create/duplicate/"' in dialog and "input changed delay:400ms" in dialog


def test_a_duplicate_on_submit_is_refused_next_to_the_field_with_a_link(browser, rep):
    ada = records.create_record("contacts", {"email": "ada@example.com", "firstname": "Ada"}, rep)
    html = htmx(browser, "post", "/contacts/create/", {"email": "ada@example.com", "firstname": "Another",
                                                      "action": "create"}).content.decode()
    block = re.search(r'<div class="field" id="field-email">.*?</div>', html, re.S).group(0)
    assert "A contact with this email already exists" in block and f'<a href="/contacts/{ada.pk}/">Ada</a>' in block
    assert 'name="firstname" value="Another"' in html
    assert Record.objects.filter(properties__email="ada@example.com").count() == 1


def test_associate_while_creating(browser, rep):
    acme = records.create_record("companies", {"name": "Acme", "domain": "acme.example"}, rep)
    records.create_record("companies", {"name": "Globex", "domain": "globex.example"}, rep)
    found = htmx(browser, "get", "/contacts/create/associate/", {"associate_type": "companies", "associate_q": "acm"}).content.decode()
    assert f'<input type="checkbox" name="associate" value="{acme.pk}">' in found and "Globex" not in found
    # What was picked stays picked while searching again.
    again = htmx(browser, "get", "/contacts/create/associate/", {"associate_type": "companies", "associate_q": "glob",
                                                                "associate": [str(acme.pk)]}).content.decode()
    assert f'value="{acme.pk}" checked' in again and "Globex" in again
    none = htmx(browser, "get", "/contacts/create/associate/", {"associate_type": "companies", "associate_q": "zzz"}).content.decode()
    assert "No results" in none
    response = htmx(browser, "post", "/contacts/create/", {"email": "ada@example.com", "associate": [str(acme.pk)],
                                                           "action": "create"})
    ada = Record.objects.get(properties__email="ada@example.com")
    assert response["HX-Redirect"] == f"/contacts/{ada.pk}/"
    assert Association.objects.filter(from_record_id=ada.pk, to_record_id=acme.pk, type__label=None).exists()
    assert Association.objects.filter(from_record_id=acme.pk, to_record_id=ada.pk, type__label=None).exists()


def test_a_refused_create_writes_no_association_and_keeps_the_pick(browser, rep):
    acme = records.create_record("companies", {"name": "Acme", "domain": "acme.example"}, rep)
    records.create_record("contacts", {"email": "ada@example.com"}, rep)
    html = htmx(browser, "post", "/contacts/create/", {"email": "ada@example.com", "associate": [str(acme.pk)],
                                                      "action": "create"}).content.decode()
    assert f'value="{acme.pk}" checked' in html
    assert not Association.objects.filter(to_record_id=acme.pk).exists()


def test_create_and_add_another_keeps_the_dialog_open_and_empty(browser):
    html = htmx(browser, "post", "/contacts/create/", {"email": "ada@example.com", "firstname": "Ada",
                                                      "action": "another"}).content.decode()
    ada = Record.objects.get(properties__email="ada@example.com")
    assert f'Contact created: <a href="/contacts/{ada.pk}/">Ada</a>' in html
    assert 'name="email" value=""' in html and 'name="firstname" value=""' in html
    assert html.lstrip().startswith('<form id="create-form"')


def test_a_custom_object_gets_its_own_dialog(browser):
    objects.create_object_type(
        name="cars", singular="Car", plural="Cars", primary_display_property="model", required=["model"],
        properties=[{"name": "model", "label": "Model", "type": "string", "field_type": "text"},
                    {"name": "year", "label": "Year", "type": "number", "field_type": "number"},
                    {"name": "fuel", "label": "Fuel", "type": "enumeration", "field_type": "checkbox",
                     "options": [{"label": "Petrol", "value": "petrol"}, {"label": "Electric", "value": "electric"}]}])
    html = htmx(browser, "get", "/cars/create/").content.decode()
    assert '<h2 id="create-title">Create car</h2>' in html
    assert field_names(html) == ["model", "hubspot_owner_id"]
    cars = ObjectType.objects.get(name="cars")
    objects.update_object_type(cars, {"create_form_properties": ["model", "year", "fuel"]})
    html = htmx(browser, "get", "/cars/create/").content.decode()
    assert field_names(html) == ["model", "year"] and '<legend>Fuel</legend>' in html
    refused = htmx(browser, "post", "/cars/create/", {"year": "1999", "fuel": ["petrol"], "action": "create"}).content.decode()
    assert "Model is required" in refused and 'value="petrol" checked' in refused
    response = htmx(browser, "post", "/cars/create/", {"model": "T", "year": "1908", "fuel": ["petrol", "electric"],
                                                       "action": "create"})
    car = Record.objects.get(object_type=cars)
    assert response["HX-Redirect"] == f"/cars/{car.pk}/"
    assert car.properties == {"model": "T", "year": 1908, "fuel": "petrol;electric"}


def test_an_admin_edits_the_create_form_on_the_object_type_page(client):
    from scheda.accounts.models import User

    admin = User.objects.create_superuser("admin@example.com", "a-long-password-9")
    client.force_login(admin)
    contacts = ObjectType.objects.get(name="contacts")
    page = client.get(f"/admin/objects/objecttype/{contacts.pk}/change/").content.decode()
    assert 'name="create_form_properties"' in page
    # Post the page back as a browser would, with the form properties changed.
    data = {name: value for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)}
    data.update(singular_label="Contact", plural_label="Contacts", primary_display_property="firstname",
                secondary_display_properties='["lastname", "email"]', description="",
                create_form_properties='["email", "lastname"]')
    response = client.post(f"/admin/objects/objecttype/{contacts.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    contacts.refresh_from_db()
    assert contacts.create_form_properties == ["email", "lastname"]


def test_a_ticket_created_with_what_the_dialog_preselects(browser, owner):
    html = htmx(browser, "get", "/tickets/create/").content.decode()
    data = {"subject": "Printer on fire", "action": "create"}
    for name in ("hs_pipeline", "hs_pipeline_stage", "hubspot_owner_id"):
        select = re.search(rf'<select id="create-{name}".*?</select>', html, re.S).group(0)
        data[name] = re.search(r'<option value="([^"]*)" selected>', select).group(1) if " selected>" in select else \
            re.search(r'<option value="([^"]+)"', select).group(1)
    response = htmx(browser, "post", "/tickets/create/", data)
    assert response.has_header("HX-Redirect"), response.content.decode()
    ticket = Record.objects.get(properties__subject="Printer on fire")
    assert ticket.properties["hs_pipeline"] == data["hs_pipeline"] and ticket.properties["hs_pipeline_stage"] == data["hs_pipeline_stage"]
    assert ticket.properties["hubspot_owner_id"] == str(owner.pk)


def test_the_dialog_queries_do_not_grow_with_owners_or_stages(browser, django_assert_num_queries):
    from scheda.accounts.models import User

    htmx(browser, "get", "/deals/create/")  # loads the deals' schema into this process
    # session, user, the object type, schema token, owners (the pipelines with their stages, the
    # object types to associate with and the default permission set are kept with the schema)
    with django_assert_num_queries(5):
        htmx(browser, "get", "/deals/create/")
    for i in range(5):
        User.objects.create_user(f"rep{i}@example.com", "a-long-password-1")
    with django_assert_num_queries(5):
        html = htmx(browser, "get", "/deals/create/").content.decode()
    assert html.count("@example.com</option>") == 5
