"""The app shell's navigation: one link per object type, the current one marked."""

from __future__ import annotations

from django import template

from scheda.web.navigation import navigable_object_types

register = template.Library()


@register.inclusion_tag("web/nav.html", takes_context=True)
def object_nav(context) -> dict:
    """Contacts, Companies, Deals, Tickets and the custom objects the user may open. A link is current on the object's index
    page and on its records' pages."""
    request = context.get("request")
    path = request.path if request is not None else ""
    object_types = navigable_object_types(request.user if request is not None else None)
    links = [(object_type, path.startswith(f"/{object_type.name}/")) for object_type in object_types]
    return {"links": links}
