"""The app shell's navigation: one link per object type, the current one marked."""

from __future__ import annotations

from django import template

from scheda.objects.services import with_schema
from scheda.web.navigation import navigable_object_types

register = template.Library()


@register.inclusion_tag("web/nav.html", takes_context=True)
def object_nav(context) -> dict:
    """Contacts, Companies, Deals, Tickets and the custom objects, in their order (kept with the
    schema, so no query on a page that read a schema). A link is current on the object's index
    page and on its records' pages."""
    request = context.get("request")
    path = request.path if request is not None else ""
    object_types = with_schema("navigation", lambda: list(navigable_object_types().only("name", "plural_label")))
    links = [(object_type, path.startswith(f"/{object_type.name}/")) for object_type in object_types]
    return {"links": links}
