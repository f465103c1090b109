"""The permission sets a new installation starts with; "Standard user" is the default."""

from django.db import migrations

EVERY = "*"
ACTIONS = ("delete", "bulk_delete", "merge", "export", "import")


def rule(view, edit, *actions):
    return {EVERY: {"view": view, "edit": edit, **{a: a in actions for a in ACTIONS}}}


SETS = [
    ("Standard user", "Views and edits every record; deletes, merges, exports and imports.",
     rule("all", "all", "delete", "merge", "export", "import"), [], True),
    ("Sales rep", "Views the records of their teams, edits their own.", rule("team", "owned"), [], False),
    ("Read only", "Views every record, changes nothing.", rule("all", "none"), [], False),
    ("Admin", "Everything, including users, teams, properties, layouts, tokens and the tier.",
     rule("all", "all", *ACTIONS),
     ["change_tier", "customise_layouts", "manage_properties", "manage_tokens", "manage_users"], False),
]


def create(apps, schema_editor):
    PermissionSet = apps.get_model("accounts", "PermissionSet")
    for name, description, access, rights, default in SETS:
        PermissionSet.objects.get_or_create(name=name, defaults={
            "description": description, "objects_access": access, "rights": rights, "is_default": default})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_permissions_tiers_audit")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
