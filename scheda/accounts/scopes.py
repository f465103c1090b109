"""HubSpot's scope names, which API tokens carry."""

OBJECT_SCOPES = ["contacts", "companies", "deals", "tickets", "quotes", "line_items", "custom"]
SCOPES: list[str] = sorted(
    [f"crm.objects.{name}.{access}" for name in OBJECT_SCOPES for access in ("read", "write")]
    + ["crm.objects.owners.read", "crm.objects.products.read", "crm.objects.products.write",
       "crm.schemas.contacts.read", "crm.schemas.contacts.write", "crm.schemas.companies.read",
       "crm.schemas.companies.write", "crm.schemas.deals.read", "crm.schemas.deals.write",
       "crm.schemas.custom.read", "crm.schemas.custom.write", "crm.objects.users.read",
       "crm.objects.users.write", "crm.pipelines.orders.read", "tickets", "e-commerce",
       "sales-email-read", "crm.import", "crm.export"]
)
