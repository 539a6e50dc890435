"""Authentication backend: Django's ModelBackend, with the user's jurisdiction read in the same query.

Every signed-in request reads the user from the session's id; nearly every view then scopes its data by the
user's region (`cadres.jurisdiction`), which would be a second query on each request."""
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class UserWithJurisdictionBackend(ModelBackend):
    def get_user(self, user_id):
        model = get_user_model()
        try:
            user = model._default_manager.select_related("region").get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
