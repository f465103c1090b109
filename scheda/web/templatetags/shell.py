"""The app shell's navigation: one link per object type, the current one marked."""

from __future__ import annotations

from django import template

from scheda.web.navigation import navigable_object_types

register = template.Library()


@register.inclusion_tag("web/nav.html", takes_context=True)
def object_nav(context) -> dict:
    """Contacts, Companies, Deals, Tickets and the custom objects, in their order (one query).
    A link is current on the object's index page and on its records' pages."""
    request = context.get("request")
    path = request.path if request is not None else ""
    links = [(object_type, path.startswith(f"/{object_type.name}/"))
             for object_type in navigable_object_types().only("name", "plural_label")]
    return {"links": links}
