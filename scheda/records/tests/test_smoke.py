from scheda.records import services


def test_create_contact_normalises_email(db, author):
    record = services.create_record("contacts", {"email": "Ada@Example.COM", "firstname": "Ada"}, author)
    assert record.properties == {"email": "ada@example.com", "firstname": "Ada"}
