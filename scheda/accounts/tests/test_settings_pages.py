"""The account settings pages: who may open each, what each form writes (and the audit row it
leaves), the message next to the field when the input is bad (and nothing written), the tier
gates, and the invitation from the e-mail to the first sign-in."""

import html as markup
import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client

from scheda.accounts import services, tiers
from scheda.accounts.models import Account, ApiToken, AuditEvent, PermissionSet, Team, User
from scheda.errors import ValidationFailed
from scheda.objects.models import ObjectType

PASSWORD = "a-long-password-1"


def make_user(email, rights=None, **fields):
    """A user whose permission set gives `rights` (None: the default set)."""
    permission_set = None
    if rights is not None:
        permission_set = PermissionSet.objects.create(name=f"Set of {email}", rights=rights,
                                                      objects_access={"*": {"view": "all", "edit": "all"}})
    return User.objects.create_user(email, PASSWORD, permission_set=permission_set, **fields)


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin(db):
    return User.objects.create_superuser("admin@example.com", PASSWORD, first_name="Ada", last_name="Admin")


@pytest.fixture
def as_admin(admin):
    return signed_in(admin)


def kinds():
    return list(AuditEvent.objects.order_by("id").values_list("kind", flat=True))


def field_error(html, field_id):
    """The message shown next to the field with id `field_id`."""
    match = re.search(rf'<span class="field-error" id="{re.escape(field_id)}-error" role="alert">([^<]*)</span>', html)
    return markup.unescape(match.group(1).strip()) if match else None


# --- who may open each page -------------------------------------------------------------------------

PAGES = [
    ("/settings/users/", "manage_users"),
    ("/settings/teams/", "manage_users"),
    ("/settings/permission-sets/", "manage_users"),
    ("/settings/permission-sets/new/", "manage_users"),
    ("/settings/audit-log/", "manage_users"),
    ("/settings/api-tokens/", "manage_tokens"),
    ("/settings/subscription/", "change_tier"),
]


@pytest.mark.parametrize(("url", "right"), PAGES)
def test_each_page_is_for_super_admins_and_users_with_its_right(url, right, as_admin):
    assert as_admin.get(url).status_code == 200
    assert signed_in(make_user("with@example.com", [right])).get(url).status_code == 200
    others = [r for r in ("manage_users", "manage_tokens", "change_tier", "customise_layouts") if r != right]
    refused = signed_in(make_user("without@example.com", others)).get(url)
    assert refused.status_code == 403
    assert "Access denied" in refused.content.decode()
    assert signed_in(make_user("plain@example.com")).get(url).status_code == 403


def test_forms_are_refused_without_the_right_and_write_nothing(db):
    client = signed_in(make_user("tokens@example.com", ["manage_tokens"]))
    before = (User.objects.count(), Team.objects.count(), AuditEvent.objects.count())
    assert client.post("/settings/users/invite/", {"invite-email": "new@example.com"}).status_code == 403
    assert client.post("/settings/teams/", {"name": "Sales"}).status_code == 403
    assert client.post("/settings/subscription/", {"tier": "starter"}).status_code == 403
    assert (User.objects.count(), Team.objects.count(), AuditEvent.objects.count()) == before
    assert tiers.current() == "enterprise"


def test_the_index_lists_only_what_the_user_may_change(as_admin, db):
    page = as_admin.get("/settings/").content.decode()
    for link in ("/settings/users/", "/settings/teams/", "/settings/permission-sets/", "/settings/audit-log/",
                 "/settings/api-tokens/", "/settings/subscription/", "/settings/layouts/contacts/"):
        assert f'href="{link}"' in page
    tokens_only = signed_in(make_user("tokens@example.com", ["manage_tokens"])).get("/settings/").content.decode()
    assert 'href="/settings/api-tokens/"' in tokens_only
    assert "/settings/users/" not in tokens_only and "/settings/layouts/" not in tokens_only
    layouts = signed_in(make_user("layouts@example.com", ["customise_layouts"])).get("/settings/").content.decode()
    assert 'href="/settings/layouts/contacts/"' in layouts and "/settings/users/" not in layouts
    assert signed_in(make_user("plain@example.com")).get("/settings/").status_code == 403


def test_the_user_menu_has_settings_for_users_with_a_right(as_admin, db):
    assert '<a href="/settings/">Settings</a>' in as_admin.get("/preferences/").content.decode()
    manager = signed_in(make_user("manager@example.com", ["manage_users"]))
    assert '<a href="/settings/">Settings</a>' in manager.get("/preferences/").content.decode()
    plain = signed_in(make_user("plain@example.com"))
    assert "/settings/" not in plain.get("/preferences/").content.decode()


# --- users and invitations ------------------------------------------------------------------------------


def test_the_users_table_shows_sets_teams_status_and_filters(as_admin, admin):
    sales, support = Team.objects.create(name="Sales"), Team.objects.create(name="Support")
    rep = make_user("rep@example.com", first_name="Rita", last_name="Rep")
    rep.permission_set = PermissionSet.objects.get(name="Sales rep")
    rep.save()
    services.set_user_access(rep, admin, permission_set=rep.permission_set, superuser=False, teams=[sales, support],
                             primary_team=support)
    gone = make_user("gone@example.com", first_name="Gina")
    services.set_active(gone, False, admin)
    services.invite_user("new@example.com", admin, first_name="Nina")
    page = as_admin.get("/settings/users/").content.decode()
    page = page[page.index('<table id="users-table"'):]
    rita = page[page.index("Rita Rep"):page.index("</tr>", page.index("Rita Rep"))]
    assert "Sales rep" in rita and "Active" in rita and "Never" in rita
    assert re.search(r'Support <span class="badge">Primary</span>, Sales', rita)  # the primary team first, marked
    ada = page[page.index("Ada Admin"):page.index("</tr>", page.index("Ada Admin"))]
    assert "Super admin" in ada
    assert "Deactivated" in page[page.index("Gina"):page.index("</tr>", page.index("Gina"))]
    nina = page[page.index("Nina"):page.index("</tr>", page.index("Nina"))]
    assert "Invited" in nina and "Standard user" in nina  # no set: the default one

    def names(**params):
        return re.findall(r'<a href="/settings/users/\d+/">([^<]+)</a>', as_admin.get("/settings/users/", params).content.decode())

    assert names(status="invited") == ["Nina"]
    assert names(status="deactivated") == ["Gina"]
    assert names(status="active") == ["Ada Admin", "Rita Rep"]
    assert names(team=sales.pk) == ["Rita Rep"]
    assert names(q="rep@") == ["Rita Rep"]
    # The filter form asks with htmx for the table alone.
    table = as_admin.get("/settings/users/", {"q": "gina"}, HTTP_HX_REQUEST="true").content.decode()
    assert table.lstrip().startswith('<table id="users-table"') and "Gina" in table


def test_invite_user_sends_the_link_which_sets_the_password_and_signs_in(as_admin, admin):
    sales = Team.objects.create(name="Sales")
    rep_set = PermissionSet.objects.get(name="Sales rep")
    response = as_admin.post("/settings/users/invite/", {
        "invite-email": "New@Example.com", "invite-first_name": "Nora", "invite-last_name": "New",
        "invite-permission_set": rep_set.pk, "invite-teams": [sales.pk]}, follow=True)
    assert "Invitation sent to new@example.com" in response.content.decode()
    invited = User.objects.get(email="new@example.com")
    assert (invited.first_name, invited.permission_set, invited.primary_team) == ("Nora", rep_set, sales)
    assert not invited.has_usable_password()
    assert kinds() == ["user_invited", "invitation_sent"]
    assert AuditEvent.objects.get(kind="user_invited").actor == admin
    [message] = mail.outbox
    assert message.to == ["new@example.com"] and "Ada Admin invited you" in message.body
    link = re.search(r"http://testserver(/invitation/[^/]+/[^/]+/)", message.body).group(1)

    visitor = Client()
    page = visitor.get(link)
    assert page.status_code == 200 and "Choose a password to sign in as new@example.com" in page.content.decode()
    short = visitor.post(link, {"password": "short", "password_confirmation": "short"})
    assert short.status_code == 400
    assert "too short" in field_error(short.content.decode(), "invitation-password")
    mismatch = visitor.post(link, {"password": "a-long-password-9", "password_confirmation": "another-password-9"})
    assert field_error(mismatch.content.decode(), "invitation-confirmation") == "The two passwords do not match"
    invited.refresh_from_db()
    assert not invited.has_usable_password()  # nothing written
    done = visitor.post(link, {"password": "a-long-password-9", "password_confirmation": "a-long-password-9"})
    assert done.status_code == 302 and done.url == "/"
    assert visitor.get("/").status_code == 200  # signed in
    invited.refresh_from_db()
    assert invited.check_password("a-long-password-9")
    assert kinds()[-1] == "invitation_accepted"
    used = Client().get(link)
    assert used.status_code == 404 and "The link has expired or was already used" in used.content.decode()


def test_an_expired_or_forged_invitation_link_says_so(as_admin, admin, settings):
    invited = services.invite_user("late@example.com", admin)
    settings.PASSWORD_RESET_TIMEOUT = -1
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(invited.pk))
    expired = Client().get(f"/invitation/{uid}/{services.invitations.make_token(invited)}/")
    assert expired.status_code == 404 and "This invitation link no longer works" in expired.content.decode()
    assert Client().get("/invitation/bm9wZQ/1-abc/").status_code == 404
    settings.PASSWORD_RESET_TIMEOUT = 3600
    # A password-reset token is no invitation; nor is a uid too large for the database.
    reset = Client().get(f"/invitation/{uid}/{default_token_generator.make_token(invited)}/")
    assert reset.status_code == 404
    huge = urlsafe_base64_encode(force_bytes("9" * 40))
    assert Client().get(f"/invitation/{huge}/{services.invitations.make_token(invited)}/").status_code == 404


def test_invite_user_bad_input_is_shown_next_to_the_field_in_the_open_dialog(as_admin, admin):
    response = as_admin.post("/settings/users/invite/", {"invite-email": "not-an-address", "invite-first_name": "X"})
    page = response.content.decode()
    assert response.status_code == 400
    assert field_error(page, "id_invite-email") == "Enter a valid e-mail address"
    assert re.search(r'<dialog id="invite-dialog"[^>]* open>', page)
    assert as_admin.get("/settings/users/invite/").url == "/settings/users/?invite=1"
    assert re.search(r'<dialog id="invite-dialog"[^>]* open>', as_admin.get("/settings/users/?invite=1").content.decode())
    assert 'value="X"' in page  # what was typed stays
    duplicate = as_admin.post("/settings/users/invite/", {"invite-email": "admin@example.com"}).content.decode()
    assert field_error(duplicate, "id_invite-email") == "A user with this e-mail already exists"
    assert User.objects.count() == 1 and not AuditEvent.objects.exists() and not mail.outbox


def test_an_invitation_that_cannot_be_mailed_says_so_and_can_be_resent(as_admin, admin, settings):
    import socket

    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT = "django.core.mail.backends.smtp.EmailBackend", "127.0.0.1", port
    response = as_admin.post("/settings/users/invite/", {"invite-email": "new@example.com"}, follow=True)
    assert "The invitation e-mail to new@example.com could not be sent" in response.content.decode()
    assert User.objects.filter(email="new@example.com").exists() and kinds() == ["user_invited"]


def test_resend_invitation(as_admin, admin):
    invited = services.invite_user("new@example.com", admin)
    page = as_admin.get(f"/settings/users/{invited.pk}/").content.decode()
    assert "Resend invitation" in page and "Invited" in page
    response = as_admin.post(f"/settings/users/{invited.pk}/resend/", follow=True)
    assert "Invitation sent to new@example.com" in response.content.decode()
    assert len(mail.outbox) == 1 and "/invitation/" in mail.outbox[0].body
    assert kinds() == ["user_invited", "invitation_sent"]
    assert "Resend invitation" not in as_admin.get(f"/settings/users/{admin.pk}/").content.decode()


def test_edit_access_writes_the_set_teams_and_primary_team(as_admin, admin):
    sales, support = Team.objects.create(name="Sales"), Team.objects.create(name="Support")
    rep = make_user("rep@example.com")
    read_only = PermissionSet.objects.get(name="Read only")
    response = as_admin.post(f"/settings/users/{rep.pk}/", {
        "permission_set": read_only.pk, "teams": [sales.pk, support.pk], "primary_team": support.pk})
    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.permission_set == read_only and rep.primary_team == support and not rep.is_superuser
    assert set(rep.teams.all()) == {sales, support}
    event = AuditEvent.objects.get(kind="user_access_changed")
    assert event.target == "user rep@example.com" and event.details["after"]["primary_team"] == "Support"
    as_admin.post(f"/settings/users/{rep.pk}/", {"permission_set": "", "is_superuser": "on", "teams": [sales.pk],
                                                 "primary_team": sales.pk})
    rep.refresh_from_db()
    assert rep.is_superuser and rep.permission_set is None


def test_edit_access_bad_input_names_the_field_and_writes_nothing(as_admin, admin):
    sales, support = Team.objects.create(name="Sales"), Team.objects.create(name="Support")
    rep = make_user("rep@example.com")
    response = as_admin.post(f"/settings/users/{rep.pk}/", {"teams": [sales.pk], "primary_team": support.pk})
    assert response.status_code == 400
    assert field_error(response.content.decode(), "id_primary_team") == "The primary team must be one of the user's teams"
    mine = as_admin.post(f"/settings/users/{admin.pk}/", {"teams": []})
    assert field_error(mine.content.decode(), "id_is_superuser") == "You cannot remove your own super admin rights"
    rep.refresh_from_db()
    admin.refresh_from_db()
    assert rep.primary_team is None and not rep.teams.exists() and admin.is_superuser
    assert not AuditEvent.objects.exists()


def test_deactivate_and_reactivate_keep_the_owner_for_the_owners_api(as_admin, admin):
    rep = make_user("rep@example.com", first_name="Rita")
    response = as_admin.post(f"/settings/users/{rep.pk}/active/", {"active": "0"}, follow=True)
    assert "Rita was deactivated" in response.content.decode() and "Reactivate user" in response.content.decode()
    rep.refresh_from_db()
    assert not rep.is_active
    _, secret = services.create_token("owners", ["crm.objects.owners.read"])
    archived = Client().get("/crm/v3/owners/", {"archived": "true"}, HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    assert [(o["email"], o["archived"]) for o in archived["results"]] == [("rep@example.com", True)]
    as_admin.post(f"/settings/users/{rep.pk}/active/", {"active": "1"})
    rep.refresh_from_db()
    assert rep.is_active
    assert kinds()[-3:] == ["user_deactivated", "token_created", "user_reactivated"]


def test_deactivating_yourself_is_refused(as_admin, admin):
    response = as_admin.post(f"/settings/users/{admin.pk}/active/", {"active": "0"}, follow=True)
    assert "You cannot deactivate yourself" in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active and not AuditEvent.objects.exists()


# --- teams ----------------------------------------------------------------------------------------------


def test_create_rename_and_delete_a_team(as_admin, admin):
    rep = make_user("rep@example.com", first_name="Rita")
    response = as_admin.post("/settings/teams/", {"name": "Sales", "members": [rep.pk, admin.pk]}, follow=True)
    assert "Team Sales created" in response.content.decode()
    team = Team.objects.get(name="Sales")
    assert set(team.members.all()) == {rep, admin}
    rep.refresh_from_db()
    assert rep.primary_team == team
    assert re.search(r'Sales</a></td><td>2</td>', as_admin.get("/settings/teams/").content.decode())
    as_admin.post(f"/settings/teams/{team.pk}/", {"name": "Field sales", "members": [rep.pk]})
    team.refresh_from_db()
    assert team.name == "Field sales" and list(team.members.all()) == [rep]
    confirm = as_admin.get(f"/settings/teams/{team.pk}/delete/").content.decode()
    assert "Delete the team Field sales?" in confirm
    assert Team.objects.filter(pk=team.pk).exists()
    as_admin.post(f"/settings/teams/{team.pk}/delete/")
    assert not Team.objects.exists()
    assert kinds() == ["team_created", "team_changed", "team_deleted"]


def test_team_bad_input_names_the_field_and_writes_nothing(as_admin, admin):
    Team.objects.create(name="Sales")
    blank = as_admin.post("/settings/teams/", {"name": " "})
    assert blank.status_code == 400
    assert field_error(blank.content.decode(), "id_name") == "A team's name is required"
    duplicate = as_admin.post("/settings/teams/", {"name": "sales", "members": [admin.pk]})
    assert field_error(duplicate.content.decode(), "id_name") == "A team with this name already exists"
    assert Team.objects.count() == 1 and not AuditEvent.objects.exists()


@pytest.mark.parametrize(("field", "write"), [
    ("name", lambda by: services.save_team(None, "T" * 256, [by], by)),
    ("name", lambda by: services.save_permission_set(None, by, name="P" * 101, objects_access={}, rights=[])),
    ("description", lambda by: services.save_permission_set(None, by, name="P", description="D" * 501,
                                                            objects_access={}, rights=[])),
    ("first_name", lambda by: services.update_preferences(by, first_name="F" * 151, last_name="", language="")),
    ("last_name", lambda by: services.invite_user("new@example.com", by, last_name="L" * 151)),
])
def test_text_longer_than_its_column_is_refused_not_cut(admin, field, write):
    """The pages' inputs carry maxlength; a request made by hand was cut short without a word."""
    with pytest.raises(ValidationFailed) as refused:
        write(admin)
    assert [e.name for e in refused.value.errors] == [field]
    assert not Team.objects.exists() and not PermissionSet.objects.filter(name__startswith="P").exists()
    assert User.objects.get(pk=admin.pk).first_name == "Ada" and not User.objects.filter(email="new@example.com").exists()


# --- permission sets --------------------------------------------------------------------------------------


def editor_rows(page):
    """Object name -> the row position the editor gave it."""
    return {label: int(position) for position, label in re.findall(r'<th scope="row" id="row-(\d+)">([^<]+)</th>', page)}


def posted_rows(rows, **overrides):
    data = {}
    for label, position in rows.items():
        rule = {"view": "all", "edit": "all", "delete": True, "merge": True, "export": True, "import": True,
                "bulk_delete": False, **overrides.get(label, {})}
        data[f"row-{position}-view"], data[f"row-{position}-edit"] = rule["view"], rule["edit"]
        for action in ("delete", "bulk_delete", "merge", "export", "import"):
            if rule[action]:
                data[f"row-{position}-{action}"] = "1"
    return data


def test_the_permission_sets_list_counts_users(as_admin, admin):
    make_user("one@example.com")
    User.objects.filter(pk=make_user("two@example.com").pk).update(permission_set=PermissionSet.objects.get(name="Read only"))
    page = as_admin.get("/settings/permission-sets/").content.decode()
    assert re.search(r'Standard user</a> <span class="badge">Default</span></td>\s*<td>[^<]*</td><td>1</td>', page)
    assert re.search(r'Read only</a></td>\s*<td>[^<]*</td><td>1</td>', page)
    assert re.search(r'Admin</a></td>\s*<td>[^<]*</td><td>0</td>', page)


def test_create_a_permission_set_in_the_editor(as_admin, admin):
    page = as_admin.get("/settings/permission-sets/new/").content.decode()
    rows = editor_rows(page)
    labels = list(rows)
    assert labels[:4] == ["Contacts", "Companies", "Deals", "Tickets"] and labels[-1] == "All other objects"
    assert len(rows) == ObjectType.objects.filter(archived=False).count() + 1
    for name in ("View", "Edit", "Delete", "Bulk delete", "Merge", "Export", "Import"):
        assert f'<th scope="col" id="col-{name.lower().replace(" ", "_")}">{name}</th>' in page
    assert '<option value="team">Owned or team</option>' in page
    data = {"name": "Support agents", "description": "Tickets", "rights": ["manage_tokens"], **posted_rows(
        rows, Deals={"view": "team", "edit": "owned", "delete": False}, Tickets={"bulk_delete": True})}
    response = as_admin.post("/settings/permission-sets/new/", data)
    created = PermissionSet.objects.get(name="Support agents")
    assert response.status_code == 302 and response.url == f"/settings/permission-sets/{created.pk}/"
    every = {"view": "all", "edit": "all", "delete": True, "bulk_delete": False, "merge": True, "export": True, "import": True}
    # Only the objects that differ from "All other objects" are kept.
    assert created.objects_access == {"*": every, "deals": {**every, "view": "team", "edit": "owned", "delete": False},
                                      "tickets": {**every, "bulk_delete": True}}
    assert created.rights == ["manage_tokens"] and not created.is_default
    assert kinds() == ["permission_set_created"]
    again = as_admin.get(f"/settings/permission-sets/{created.pk}/").content.decode()
    deals = editor_rows(again)["Deals"]
    assert re.search(rf'name="row-{deals}-view"[^>]*>.*?<option value="team" selected>', again, re.S)


@pytest.mark.parametrize("field", ["name", "description"])
def test_a_nul_in_a_permission_sets_text_is_refused_with_a_message(as_admin, admin, field):
    """The editor reads its fields as sent (no form field refuses a NUL): PostgreSQL failed the
    write, a 500; now a message is shown next to the field, and nothing is saved."""
    rows = editor_rows(as_admin.get("/settings/permission-sets/new/").content.decode())
    data = {"name": "Support agents", "description": "Tickets", **posted_rows(rows)}
    data[field] = "Sup\x00port"
    response = as_admin.post("/settings/permission-sets/new/", data)
    html = response.content.decode()
    assert response.status_code == 400 and f'aria-describedby="set-{field}-error"' in html
    assert re.search(rf'id="set-{field}-error" role="alert">The text contains a NUL character<', html)
    assert not PermissionSet.objects.filter(name__startswith="Sup").exists() and kinds() == []


def test_saving_keeps_the_rules_of_archived_objects(as_admin, admin):
    archived = ObjectType.objects.create(object_type_id="2-99", name="pets", singular_label="Pet", plural_label="Pets",
                                         is_custom=True, archived=True)
    sales_rep = PermissionSet.objects.get(name="Sales rep")
    sales_rep.objects_access = {**sales_rep.objects_access, "pets": {"view": "owned", "edit": "none"}}
    sales_rep.save()
    page = as_admin.get(f"/settings/permission-sets/{sales_rep.pk}/").content.decode()
    assert "Pets" not in editor_rows(page)
    as_admin.post(f"/settings/permission-sets/{sales_rep.pk}/", {"name": "Sales rep", **posted_rows(editor_rows(page))})
    sales_rep.refresh_from_db()
    assert sales_rep.objects_access["pets"]["view"] == "owned" and archived.archived


def test_make_default_moves_the_default(as_admin, admin):
    read_only = PermissionSet.objects.get(name="Read only")
    page = as_admin.get(f"/settings/permission-sets/{read_only.pk}/").content.decode()
    as_admin.post(f"/settings/permission-sets/{read_only.pk}/", {
        "name": "Read only", "is_default": "1", "rights": [], **posted_rows(editor_rows(page))})
    assert list(PermissionSet.objects.filter(is_default=True)) == [read_only]


def test_permission_set_bad_input_names_the_field_and_writes_nothing(as_admin, admin):
    sales_rep = PermissionSet.objects.get(name="Sales rep")
    before = (sales_rep.objects_access, sales_rep.rights)
    page = as_admin.get(f"/settings/permission-sets/{sales_rep.pk}/").content.decode()
    rows = editor_rows(page)
    response = as_admin.post(f"/settings/permission-sets/{sales_rep.pk}/", {
        "name": "Sales rep", **posted_rows(rows, Companies={"view": "owned", "edit": "all"})})
    assert response.status_code == 400
    html = response.content.decode()
    assert field_error(html, f"row-{rows['Companies']}-edit") == "Edit access cannot reach further than view access"
    assert re.search(rf'name="row-{rows["Companies"]}-view"[^>]*>.*?<option value="owned" selected>', html, re.S)
    blank = as_admin.post(f"/settings/permission-sets/{sales_rep.pk}/", {"name": "", **posted_rows(rows)})
    assert field_error(blank.content.decode(), "set-name") == "A permission set's name is required"
    taken = as_admin.post(f"/settings/permission-sets/{sales_rep.pk}/", {"name": "admin", **posted_rows(rows)})
    assert field_error(taken.content.decode(), "set-name") == "A permission set with this name already exists"
    unknown = as_admin.post(f"/settings/permission-sets/{sales_rep.pk}/", {"name": "Sales rep", "rights": ["fly"], **posted_rows(rows)})
    assert field_error(unknown.content.decode(), "set-rights") == "Unknown right fly"
    sales_rep.refresh_from_db()
    assert (sales_rep.objects_access, sales_rep.rights) == before and not AuditEvent.objects.exists()


def test_delete_a_permission_set_unless_users_have_it(as_admin, admin):
    read_only = PermissionSet.objects.get(name="Read only")
    user = make_user("reader@example.com")
    user.permission_set = read_only
    user.save()
    refused = as_admin.post(f"/settings/permission-sets/{read_only.pk}/delete/")
    assert refused.status_code == 409 and "Users still have this permission set" in refused.content.decode()
    assert PermissionSet.objects.filter(pk=read_only.pk).exists() and not AuditEvent.objects.exists()
    user.delete()
    assert "Delete the permission set Read only?" in as_admin.get(f"/settings/permission-sets/{read_only.pk}/delete/").content.decode()
    assert as_admin.post(f"/settings/permission-sets/{read_only.pk}/delete/").status_code == 302
    assert not PermissionSet.objects.filter(pk=read_only.pk).exists()
    assert kinds() == ["permission_set_deleted"]
    default = PermissionSet.objects.get(is_default=True)
    refused = as_admin.post(f"/settings/permission-sets/{default.pk}/delete/")
    assert refused.status_code == 409 and "Make another permission set the default first" in refused.content.decode()
    assert PermissionSet.objects.filter(pk=default.pk).exists()


# --- tier gates ---------------------------------------------------------------------------------------------


def test_on_starter_custom_permission_sets_are_read_only_and_say_which_tier(as_admin, admin):
    services.set_tier("starter", admin)
    sales_rep = PermissionSet.objects.get(name="Sales rep")
    page = as_admin.get(f"/settings/permission-sets/{sales_rep.pk}/").content.decode()
    assert "Custom permission sets need the Professional tier" in page
    assert '<fieldset class="plain" disabled>' in page and ">Save</button>" not in page
    rows = editor_rows(page)
    refused = as_admin.post(f"/settings/permission-sets/{sales_rep.pk}/", {"name": "Renamed", **posted_rows(rows)})
    assert refused.status_code == 403 and "Custom permission sets need the Professional tier" in refused.content.decode()
    new = as_admin.get("/settings/permission-sets/new/")
    assert new.status_code == 403 and "needs the Professional tier" in new.content.decode()
    listing = as_admin.get("/settings/permission-sets/").content.decode()
    assert "Custom permission sets need the Professional tier" in listing and "Create permission set" not in listing
    # The default set is the one set Starter may change.
    default = PermissionSet.objects.get(is_default=True)
    page = as_admin.get(f"/settings/permission-sets/{default.pk}/").content.decode()
    assert "need the Professional tier" not in page and '<fieldset class="plain" disabled>' not in page
    assert '<input type="hidden" name="is_default" value="1">' in page
    saved = as_admin.post(f"/settings/permission-sets/{default.pk}/", {
        "name": default.name, "is_default": "1", **posted_rows(editor_rows(page), Contacts={"view": "owned", "edit": "owned"})})
    assert saved.status_code == 302
    default.refresh_from_db()
    assert default.objects_access["contacts"]["view"] == "owned"
    sales_rep.refresh_from_db()
    assert sales_rep.name == "Sales rep"


def test_the_audit_log_needs_the_enterprise_tier(as_admin, admin):
    services.set_tier("professional", admin)
    refused = as_admin.get("/settings/audit-log/")
    assert refused.status_code == 403 and "Audit log needs the Enterprise tier" in refused.content.decode()
    assert "Needs the Enterprise tier" in as_admin.get("/settings/").content.decode()


# --- API tokens ------------------------------------------------------------------------------------------------


def test_create_a_token_shows_the_secret_once_then_revoke_it(as_admin, admin):
    rep = make_user("rep@example.com", first_name="Rita")
    page = as_admin.get("/settings/api-tokens/").content.decode()
    assert "<legend>CRM records</legend>" in page and "<legend>CRM schemas</legend>" in page
    assert '<option value="" selected>Account</option>' in page
    response = as_admin.post("/settings/api-tokens/", {"name": "Zapier", "user": rep.pk,
                                                      "scopes": ["crm.objects.contacts.read", "crm.objects.contacts.write"]})
    html = response.content.decode()
    secret = re.search(r'<input id="token-secret" value="(pat-scheda-[^"]+)" readonly>', html).group(1)
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(name="Zapier")
    assert token.user == rep and token.scopes == ["crm.objects.contacts.read", "crm.objects.contacts.write"]
    assert services.authenticate_token(secret) == token
    assert secret not in as_admin.get("/settings/api-tokens/").content.decode()  # shown once
    row = re.search(r"<td>Zapier</td>.*?</tr>", as_admin.get("/settings/api-tokens/").content.decode(), re.S).group(0)
    assert "<td>Rita</td>" in row and ">2</span>" in row and "Never" in row
    as_admin.post(f"/settings/api-tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None and services.authenticate_token(secret) is None
    assert kinds() == ["token_created", "token_revoked"]


def test_token_bad_input_names_the_field_and_writes_nothing(as_admin, admin):
    response = as_admin.post("/settings/api-tokens/", {"name": "", "scopes": []})
    html = response.content.decode()
    assert response.status_code == 400
    assert field_error(html, "token-scopes") == "Choose at least one scope"
    nameless = as_admin.post("/settings/api-tokens/", {"name": "", "scopes": ["crm.objects.contacts.read"]}).content.decode()
    assert field_error(nameless, "id_name") == "A token needs a name"
    assert 'value="crm.objects.contacts.read" checked' in nameless  # the choice stays
    assert not ApiToken.objects.exists() and not AuditEvent.objects.exists()


# --- the subscription -------------------------------------------------------------------------------------------


def test_the_subscription_page_changes_the_tier_and_shows_the_matrix(as_admin, admin):
    page = as_admin.get("/settings/subscription/").content.decode()
    assert "Your account is on the Enterprise tier." in page
    assert re.search(r'<input type="radio" name="tier" value="enterprise"[^>]* checked', page)
    audit_row = re.search(r'<th scope="row">Audit log</th>(.*?)</tr>', page).group(1)
    assert audit_row.count("Not included") == 2 and audit_row.count(">Included<") == 1
    teams_row = re.search(r'<th scope="row">Using teams</th>(.*?)</tr>', page).group(1)
    assert teams_row.count(">Included<") == 3
    response = as_admin.post("/settings/subscription/", {"tier": "starter"}, follow=True)
    assert "Your subscription is now Starter" in response.content.decode()
    assert Account.objects.get(pk=1).tier == "starter" and tiers.current() == "starter"
    event = AuditEvent.objects.get(kind="tier_changed")
    assert event.details == {"before": "enterprise", "after": "starter"}
    bad = as_admin.post("/settings/subscription/", {"tier": "platinum"})
    assert bad.status_code == 400 and field_error(bad.content.decode(), "tier").startswith("Select a valid choice")
    assert tiers.current() == "starter" and AuditEvent.objects.count() == 1


# --- the audit log -------------------------------------------------------------------------------------------------


def test_the_audit_log_filters_and_pages_newest_first(as_admin, admin):
    import datetime

    from django.utils import timezone

    start = timezone.now() - datetime.timedelta(days=10)
    for number in range(55):
        AuditEvent.objects.create(kind="team_created", actor=admin, actor_email=admin.email, target=f"team T{number:02}",
                                  at=start + datetime.timedelta(hours=number), ip="10.0.0.1", details={"members": ["a@x"]})
    AuditEvent.objects.create(kind="sign_in_failed", actor_email="who@example.com", ip="10.0.0.9", at=start,
                              details={"scopes": [f"scope.{n}" for n in range(40)]})
    page = as_admin.get("/settings/audit-log/").content.decode()
    targets = re.findall(r"<td>team (T\d\d)</td>", page)
    assert targets[0] == "T54" and len(targets) == 50 - 0 and "who@example.com" not in page
    assert "Team created" in page and "10.0.0.1" in page and "members: a@x" in page
    following = re.search(r'<a class="button" href="\?([^"]+)">Next</a>', page).group(1).replace("&amp;", "&")
    rest = as_admin.get(f"/settings/audit-log/?{following}").content.decode()
    assert re.findall(r"<td>team (T\d\d)</td>", rest) == ["T04", "T03", "T02", "T01", "T00"]
    assert "who@example.com" in rest and ">Next</a>" not in rest
    # Long details show their start, and in full when opened.
    assert re.search(r'<details><summary>scopes: scope.0, scope.1, [^<]*…</summary><pre>{\n  &quot;scopes&quot;: \[', rest)
    failed = as_admin.get("/settings/audit-log/", {"kind": "sign_in_failed"}).content.decode()
    assert "Failed sign-in" in failed and "team T" not in failed
    by_email = as_admin.get("/settings/audit-log/", {"email": "WHO@example.com"}).content.decode()
    assert "who@example.com" in by_email and "team T" not in by_email
    day = (start + datetime.timedelta(hours=30)).date().isoformat()
    one_day = as_admin.get("/settings/audit-log/", {"from": day, "to": day}).content.decode()
    assert 0 < len(re.findall(r"<td>team T\d\d</td>", one_day)) <= 24
    bad = as_admin.get("/settings/audit-log/", {"from": "yesterday"})
    assert bad.status_code == 400 and field_error(bad.content.decode(), "audit-from") == "Enter a date as YYYY-MM-DD"


def test_the_users_and_tokens_pages_do_not_grow_their_queries_with_rows(as_admin, admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert as_admin.get(url).status_code == 200
        return len(captured)

    def add_users(first, last):
        team = Team.objects.create(name=f"Team {first}")
        for number in range(first, last):
            user = make_user(f"user{number}@example.com", [])
            services.set_user_access(user, admin, permission_set=user.permission_set, superuser=False, teams=[team],
                                     primary_team=team)
            services.create_token(f"token {number}", ["crm.import"], user)

    add_users(0, 2)
    as_admin.get("/settings/")  # the session and the schema, read once
    users, tokens, audit = queries("/settings/users/"), queries("/settings/api-tokens/"), queries("/settings/audit-log/")
    add_users(2, 8)
    assert (queries("/settings/users/"), queries("/settings/api-tokens/"), queries("/settings/audit-log/")) == (users, tokens, audit)


def test_a_user_manager_hands_out_no_more_than_they_have(db):
    """Managing users is not a way to more rights: only super admins make or change super
    admins, and sets, tokens and invitations reach no further than the manager's own rights."""
    from scheda.errors import Forbidden

    manager_set = services.save_permission_set(None, None, name="Managers", objects_access={"*": {"view": "all", "edit": "all"}},
                                               rights=["manage_users", "manage_tokens"])
    manager = User.objects.create_user("manager@example.com", "a-long-password-1", permission_set=manager_set)
    boss = User.objects.create_superuser("boss@example.com", "a-long-password-1")
    admin_set = PermissionSet.objects.get(name="Admin")
    with pytest.raises(Forbidden):
        services.set_user_access(manager, manager, permission_set=manager_set, superuser=True, teams=[], primary_team=None)
    with pytest.raises(Forbidden):
        services.set_user_access(manager, manager, permission_set=admin_set, superuser=False, teams=[], primary_team=None)
    with pytest.raises(Forbidden):
        services.set_active(boss, False, manager)
    with pytest.raises(Forbidden):
        services.invite_user("friend@example.com", manager, permission_set=admin_set)
    with pytest.raises(Forbidden):
        services.save_permission_set(manager_set, manager, name="Managers", objects_access={"*": {"view": "all", "edit": "all"}},
                                     rights=["manage_users", "manage_tokens", "change_tier"])
    with pytest.raises(Forbidden):
        services.create_token("mine", user=None, by=manager)
    with pytest.raises(Forbidden):
        services.create_token("theirs", user=boss, by=manager)
    # What the manager has, they may give; a token acting as themselves they may make.
    services.invite_user("peer@example.com", manager, permission_set=PermissionSet.objects.get(name="Read only"))
    services.create_token("mine", user=manager, by=manager)
    assert User.objects.get(pk=manager.pk).is_superuser is False and not User.objects.filter(email="friend@example.com").exists()


def test_the_default_set_stays_the_default_until_another_is(db):
    from scheda.errors import ValidationFailed

    standard = PermissionSet.objects.get(name="Standard user")
    with pytest.raises(ValidationFailed):
        services.save_permission_set(standard, None, name="Standard user", objects_access=standard.objects_access,
                                     rights=[], is_default=False)
    assert PermissionSet.objects.get(pk=standard.pk).is_default
