"""Associations v4 through HubSpot's own SDK against a live server."""

import json

import pytest
from hubspot import HubSpot
from hubspot.crm.associations.v4 import (
    ApiException,
    AssociationSpec,
    BatchInputPublicAssociationMultiArchive,
    BatchInputPublicAssociationMultiPost,
    BatchInputPublicDefaultAssociationMultiPost,
    BatchInputPublicFetchAssociationsBatchRequest,
)
from hubspot.crm.associations.v4.schema import ApiException as SchemaError
from hubspot.crm.associations.v4.schema import (
    BatchInputPublicAssociationDefinitionConfigurationCreateRequest,
    BatchInputPublicAssociationDefinitionConfigurationUpdateRequest,
    BatchInputPublicAssociationSpec,
    PublicAssociationDefinitionCreateRequest,
    PublicAssociationDefinitionUpdateRequest,
)
from hubspot.crm.companies import SimplePublicObjectInputForCreate as CompanyInput
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as ContactInput
from hubspot.crm.deals import SimplePublicObjectInputForCreate as DealInput

UNLABELED = AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=279)
PRIMARY = AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=1)
MISSING = "999999999999"


def new_contact(hubspot, unique, n=0, **extra):
    return hubspot.crm.contacts.basic_api.create(ContactInput(properties={"email": f"c{n}.{unique}@example.com"}, **extra)).id


def new_company(hubspot, unique, n=0):
    return hubspot.crm.companies.basic_api.create(CompanyInput(properties={"name": f"Company {n} {unique}"})).id


def new_deal(hubspot, unique):
    return hubspot.crm.deals.basic_api.create(DealInput(properties={"dealname": f"Deal {unique}"})).id


def types_of(page):
    return {row.to_object_id: sorted((t.type_id, t.label, t.category) for t in row.association_types) for row in page.results}


def body(error):
    return json.loads(error.value.body)


def test_associate_with_a_label_and_list_from_both_sides(hubspot, unique):
    contact, company = new_contact(hubspot, unique), new_company(hubspot, unique)
    made = hubspot.crm.associations.v4.basic_api.create("contacts", contact, "companies", company, [PRIMARY])
    assert (made.from_object_type_id, made.from_object_id, made.to_object_type_id, made.to_object_id) == ("0-1", contact, "0-2", company)
    assert made.labels == ["Primary"]
    page = hubspot.crm.associations.v4.basic_api.get_page("contacts", contact, "companies")
    assert types_of(page) == {company: [(1, "Primary", "HUBSPOT_DEFINED"), (279, None, "HUBSPOT_DEFINED")]}
    assert page.paging is None
    back = hubspot.crm.associations.v4.basic_api.get_page("companies", company, "contacts")
    assert types_of(back) == {contact: [(2, "Primary", "HUBSPOT_DEFINED"), (280, None, "HUBSPOT_DEFINED")]}


def test_default_association_reports_both_directions(hubspot, unique):
    contact, deal = new_contact(hubspot, unique), new_deal(hubspot, unique)
    made = hubspot.crm.associations.v4.basic_api.create_default("contacts", contact, "deals", deal)
    assert made.status == "COMPLETE"
    assert sorted((r._from.id, r.to.id, r.association_spec.association_type_id) for r in made.results) == sorted(
        [(contact, deal, 4), (deal, contact, 3)])
    assert types_of(hubspot.crm.associations.v4.basic_api.get_page("deals", deal, "contacts")) == {
        contact: [(3, None, "HUBSPOT_DEFINED")]}


def test_list_pages_with_limit_and_after(hubspot, unique):
    contact = new_contact(hubspot, unique)
    companies = [new_company(hubspot, unique, n) for n in range(5)]
    hubspot.crm.associations.v4.batch_api.create_default("contacts", "companies", BatchInputPublicDefaultAssociationMultiPost(
        inputs=[{"from": {"id": contact}, "to": {"id": c}} for c in companies]))
    seen, after = [], None
    for _ in range(5):
        page = hubspot.crm.associations.v4.basic_api.get_page("contacts", contact, "companies", limit=2, after=after)
        seen += [row.to_object_id for row in page.results]
        if page.paging is None:
            break
        after = page.paging.next.after
    assert seen == sorted(companies, key=int)


def test_delete_removes_every_type_both_ways(hubspot, unique):
    contact, company = new_contact(hubspot, unique), new_company(hubspot, unique)
    basic = hubspot.crm.associations.v4.basic_api
    basic.create("contacts", contact, "companies", company, [PRIMARY])
    basic.archive("contacts", contact, "companies", company)
    assert basic.get_page("contacts", contact, "companies").results == []
    assert basic.get_page("companies", company, "contacts").results == []


def test_a_type_of_another_pair_of_object_types_is_refused(hubspot, unique):
    contact, company = new_contact(hubspot, unique), new_company(hubspot, unique)
    basic = hubspot.crm.associations.v4.basic_api
    with pytest.raises(ApiException) as wrong:
        basic.create("contacts", contact, "companies", company,
                     [UNLABELED, AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=3)])
    assert wrong.value.status == 400
    assert body(wrong)["category"] == "VALIDATION_ERROR"
    assert body(wrong)["errors"][0]["in"] == "associationTypeId"
    with pytest.raises(ApiException) as category:
        basic.create("contacts", contact, "companies", company,
                     [AssociationSpec(association_category="USER_DEFINED", association_type_id=279)])
    assert category.value.status == 400 and body(category)["errors"][0]["in"] == "associationCategory"
    assert basic.get_page("contacts", contact, "companies").results == []


def test_an_unknown_record_is_not_found_and_nothing_is_written(hubspot, unique):
    contact = new_contact(hubspot, unique)
    basic = hubspot.crm.associations.v4.basic_api
    with pytest.raises(ApiException) as missing:
        basic.create("contacts", contact, "companies", MISSING, [UNLABELED])
    assert missing.value.status == 404
    assert body(missing)["category"] == "OBJECT_NOT_FOUND" and body(missing)["correlationId"]
    with pytest.raises(ApiException) as not_a_company:
        basic.create_default("contacts", contact, "companies", contact)
    assert not_a_company.value.status == 404
    with pytest.raises(ApiException) as no_source:
        basic.get_page("contacts", MISSING, "companies")
    assert no_source.value.status == 404
    assert basic.get_page("contacts", contact, "companies").results == []


def test_both_object_types_need_a_scope(server, hubspot, unique):
    contact, company = new_contact(hubspot, unique), new_company(hubspot, unique)
    contacts_only = HubSpot(access_token=server.token_with("crm.objects.contacts.write"), host=server.url)
    with pytest.raises(ApiException) as write:
        contacts_only.crm.associations.v4.basic_api.create("contacts", contact, "companies", company, [UNLABELED])
    assert write.value.status == 403 and body(write)["category"] == "MISSING_SCOPES"
    reader = HubSpot(access_token=server.token_with("crm.objects.contacts.read", "crm.objects.companies.read"), host=server.url)
    assert reader.crm.associations.v4.basic_api.get_page("contacts", contact, "companies").results == []
    with pytest.raises(ApiException) as read_only:
        reader.crm.associations.v4.basic_api.create_default("contacts", contact, "companies", company)
    assert read_only.value.status == 403
    assert hubspot.crm.associations.v4.basic_api.get_page("contacts", contact, "companies").results == []


def test_contact_created_with_associations_reads_them_back_in_v4(hubspot, unique):
    company = new_company(hubspot, unique)
    contact = new_contact(hubspot, unique, associations=[
        {"to": {"id": company}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}]}])
    page = hubspot.crm.associations.v4.basic_api.get_page("contacts", contact, "companies")
    assert types_of(page) == {company: [(1, "Primary", "HUBSPOT_DEFINED"), (279, None, "HUBSPOT_DEFINED")]}


def test_batch_create_reports_failed_inputs_with_207(hubspot, unique):
    contact, other, company = new_contact(hubspot, unique, 0), new_contact(hubspot, unique, 1), new_company(hubspot, unique)
    result = hubspot.crm.associations.v4.batch_api.create("contacts", "companies", BatchInputPublicAssociationMultiPost(inputs=[
        {"from": {"id": contact}, "to": {"id": company}, "types": [PRIMARY]},
        {"from": {"id": other}, "to": {"id": MISSING}, "types": [UNLABELED]},
        {"from": {"id": other}, "to": {"id": company},
         "types": [UNLABELED, AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=4)]},
    ]))
    assert type(result).__name__ == "BatchResponseLabelsBetweenObjectPairWithErrors"
    assert [(r.from_object_id, r.to_object_id, r.labels) for r in result.results] == [(contact, company, ["Primary"])]
    assert result.num_errors == 2
    assert [e.context["toId"] for e in result.errors] == [[MISSING], [company]]
    assert [e.errors[0].code for e in result.errors] == ["RECORD_NOT_FOUND", "INVALID_ASSOCIATION_TYPE"]
    # The failed inputs wrote nothing, not even their valid types.
    assert hubspot.crm.associations.v4.basic_api.get_page("contacts", other, "companies").results == []
    complete = hubspot.crm.associations.v4.batch_api.create("contacts", "companies", BatchInputPublicAssociationMultiPost(
        inputs=[{"from": {"id": other}, "to": {"id": company}, "types": [UNLABELED]}]))
    assert type(complete).__name__ == "BatchResponseLabelsBetweenObjectPair"
    assert complete.results[0].labels == []


def test_batch_read_archive_and_archive_labels(hubspot, unique):
    batch = hubspot.crm.associations.v4.batch_api
    contacts = [new_contact(hubspot, unique, n) for n in range(2)]
    companies = [new_company(hubspot, unique, n) for n in range(2)]
    batch.create("contacts", "companies", BatchInputPublicAssociationMultiPost(inputs=[
        {"from": {"id": c}, "to": {"id": co}, "types": [UNLABELED]} for c in contacts for co in companies]
        + [{"from": {"id": contacts[0]}, "to": {"id": companies[0]}, "types": [PRIMARY]}]))
    read = batch.get_page("contacts", "companies", BatchInputPublicFetchAssociationsBatchRequest(
        inputs=[{"id": contacts[0]}, {"id": contacts[1]}, {"id": MISSING}]))
    assert type(read).__name__ == "BatchResponsePublicAssociationMultiWithLabelWithErrors"
    by_from = {r._from.id: {t.to_object_id: sorted(s.type_id for s in t.association_types) for t in r.to} for r in read.results}
    assert by_from == {contacts[0]: {companies[0]: [1, 279], companies[1]: [279]},
                       contacts[1]: {companies[0]: [279], companies[1]: [279]}}
    assert read.errors[0].context["ids"] == [MISSING]
    batch.archive_labels("contacts", "companies", BatchInputPublicAssociationMultiPost(
        inputs=[{"from": {"id": contacts[0]}, "to": {"id": companies[0]}, "types": [PRIMARY]}]))
    batch.archive("contacts", "companies", BatchInputPublicAssociationMultiArchive(
        inputs=[{"from": {"id": contacts[1]}, "to": [{"id": companies[0]}, {"id": companies[1]}]}]))
    again = batch.get_page("contacts", "companies", BatchInputPublicFetchAssociationsBatchRequest(
        inputs=[{"id": contacts[0]}, {"id": contacts[1]}]))
    assert type(again).__name__ == "BatchResponsePublicAssociationMultiWithLabel"
    by_from = {r._from.id: {t.to_object_id: sorted(s.type_id for s in t.association_types) for t in r.to} for r in again.results}
    assert by_from == {contacts[0]: {companies[0]: [279], companies[1]: [279]}, contacts[1]: {}}
    # The inverse side follows.
    assert types_of(hubspot.crm.associations.v4.basic_api.get_page("companies", companies[0], "contacts")) == {
        contacts[0]: [(280, None, "HUBSPOT_DEFINED")]}


def test_batch_default_with_a_missing_record(hubspot, unique):
    contact, company = new_contact(hubspot, unique), new_company(hubspot, unique)
    made, status, _headers = hubspot.crm.associations.v4.batch_api.create_default_with_http_info(
        "contacts", "companies", BatchInputPublicDefaultAssociationMultiPost(
            inputs=[{"from": {"id": contact}, "to": {"id": company}}, {"from": {"id": contact}, "to": {"id": MISSING}}]))
    assert status == 207  # the SDK knows only the 200 shape of this call, and returns None for 207
    assert types_of(hubspot.crm.associations.v4.basic_api.get_page("contacts", contact, "companies")) == {
        company: [(279, None, "HUBSPOT_DEFINED")]}
    ok = hubspot.crm.associations.v4.batch_api.create_default("contacts", "companies", BatchInputPublicDefaultAssociationMultiPost(
        inputs=[{"from": {"id": contact}, "to": {"id": company}}]))
    assert ok.num_errors is None and len(ok.results) == 2


def test_labels_create_use_rename_and_delete(hubspot, unique):
    definitions = hubspot.crm.associations.v4.schema.definitions_api
    made = definitions.create("contacts", "companies", PublicAssociationDefinitionCreateRequest(
        label=f"Manager {unique}", name=f"manager_{unique}", inverse_label=f"Employee {unique}"))
    (forward, inverse) = made.results
    assert (forward.label, inverse.label, forward.category) == (f"Manager {unique}", f"Employee {unique}", "USER_DEFINED")
    listed = {t.type_id: t.label for t in definitions.get_all("contacts", "companies").results}
    assert listed[forward.type_id] == f"Manager {unique}" and listed[279] is None and listed[1] == "Primary"
    assert {t.type_id: t.label for t in definitions.get_all("companies", "contacts").results}[inverse.type_id] == f"Employee {unique}"

    contact, company = new_contact(hubspot, unique), new_company(hubspot, unique)
    labelled = AssociationSpec(association_category="USER_DEFINED", association_type_id=forward.type_id)
    assert hubspot.crm.associations.v4.basic_api.create("contacts", contact, "companies", company, [labelled]).labels == [f"Manager {unique}"]
    assert types_of(hubspot.crm.associations.v4.basic_api.get_page("companies", company, "contacts")) == {
        contact: sorted([(280, None, "HUBSPOT_DEFINED"), (inverse.type_id, f"Employee {unique}", "USER_DEFINED")])}

    definitions.update("contacts", "companies", PublicAssociationDefinitionUpdateRequest(
        association_type_id=forward.type_id, label=f"Boss {unique}", inverse_label=f"Report {unique}"))
    page = hubspot.crm.associations.v4.basic_api.get_page("contacts", contact, "companies")
    assert (forward.type_id, f"Boss {unique}", "USER_DEFINED") in types_of(page)[company]
    with pytest.raises(SchemaError) as builtin:
        definitions.remove("contacts", "companies", 279)
    assert builtin.value.status == 400
    with pytest.raises(SchemaError) as other_pair:
        definitions.remove("contacts", "deals", forward.type_id)
    assert other_pair.value.status == 400

    definitions.remove("contacts", "companies", forward.type_id)
    assert forward.type_id not in {t.type_id for t in definitions.get_all("contacts", "companies").results}
    assert types_of(hubspot.crm.associations.v4.basic_api.get_page("contacts", contact, "companies")) == {
        company: [(279, None, "HUBSPOT_DEFINED")]}


def test_duplicate_label_is_a_conflict(hubspot, unique):
    definitions = hubspot.crm.associations.v4.schema.definitions_api
    request = PublicAssociationDefinitionCreateRequest(label=f"Partner {unique}", name=f"partner_{unique}")
    single = definitions.create("contacts", "deals", request).results
    assert [t.label for t in single] == [f"Partner {unique}", f"Partner {unique}"]
    with pytest.raises(SchemaError) as duplicate:
        definitions.create("contacts", "deals", request)
    assert duplicate.value.status == 409


def test_label_limits(hubspot, unique):
    definitions = hubspot.crm.associations.v4.schema.definitions_api
    configurations = hubspot.crm.associations.v4.schema.definition_configurations_api
    (label, _inverse) = definitions.create("contacts", "companies", PublicAssociationDefinitionCreateRequest(
        label=f"Owner {unique}", name=f"owner_{unique}", inverse_label=f"Owned {unique}")).results
    created = configurations.batch_create("contacts", "companies", BatchInputPublicAssociationDefinitionConfigurationCreateRequest(
        inputs=[{"category": "USER_DEFINED", "typeId": label.type_id, "maxToObjectIds": 1}]))
    assert [(r.type_id, r.user_enforced_max_to_object_ids) for r in created.results] == [(label.type_id, 1)]
    limits = {c.type_id: c.user_enforced_max_to_object_ids
              for c in configurations.get_all_between_two_object_types("contacts", "companies").results}
    assert limits[label.type_id] == 1 and limits[1] == 1
    assert label.type_id in {c.type_id for c in configurations.get_all().results}

    contact = new_contact(hubspot, unique)
    first, second = new_company(hubspot, unique, 1), new_company(hubspot, unique, 2)
    spec = AssociationSpec(association_category="USER_DEFINED", association_type_id=label.type_id)
    hubspot.crm.associations.v4.basic_api.create("contacts", contact, "companies", first, [spec])
    with pytest.raises(ApiException) as over:
        hubspot.crm.associations.v4.basic_api.create("contacts", contact, "companies", second, [spec])
    assert over.value.status == 400 and body(over)["errors"][0]["code"] == "LABEL_LIMIT"
    assert list(types_of(hubspot.crm.associations.v4.basic_api.get_page("contacts", contact, "companies"))) == [first]

    updated = configurations.batch_update("contacts", "companies", BatchInputPublicAssociationDefinitionConfigurationUpdateRequest(
        inputs=[{"category": "USER_DEFINED", "typeId": label.type_id, "maxToObjectIds": 2}]))
    assert updated.results[0].user_enforced_max_to_object_ids == 2
    hubspot.crm.associations.v4.basic_api.create("contacts", contact, "companies", second, [spec])
    configurations.batch_remove("contacts", "companies", BatchInputPublicAssociationSpec(
        inputs=[{"category": "USER_DEFINED", "typeId": label.type_id}]))
    assert label.type_id not in {c.type_id for c in configurations.get_all_between_two_object_types("contacts", "companies").results}
    with pytest.raises(SchemaError) as builtin:
        configurations.batch_remove("contacts", "companies", BatchInputPublicAssociationSpec(
            inputs=[{"category": "HUBSPOT_DEFINED", "typeId": 1}]))
    assert builtin.value.status == 400
