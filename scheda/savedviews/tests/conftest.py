import pytest

from scheda.records import services as records


@pytest.fixture
def contacts(rep, owner):
    """Twelve contacts: lastnames L00..L11, every third a customer, the even ones owned by the owner."""
    made = []
    for n in range(12):
        values = {"email": f"c{n}@example.com", "firstname": f"F{n:02d}", "lastname": f"L{n:02d}",
                  "lifecyclestage": "customer" if n % 3 == 0 else "lead"}
        if n % 2 == 0:
            values["hubspot_owner_id"] = str(owner.pk)
        made.append(records.create_record("contacts", values, rep))
    return made
