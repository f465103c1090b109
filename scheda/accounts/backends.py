"""Django's model backend, the signed-in user read with their permission set: every page asks
for it (permissions.rights_of), one query fewer a request for a user who has a set of their own."""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from scheda.accounts.models import User


class Backend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username, password, **kwargs)
        if user is None:
            # Stop here: Django's own backend, listed after this one only so that the sessions it
            # signed in stay valid, would hash the password a second time.
            raise PermissionDenied
        return user

    def get_user(self, user_id):
        user = User._default_manager.select_related("permission_set").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
