"""View mixins shared by every app: scoping, the manage permission, and service errors on forms."""
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .audit import client_ip
from .jurisdiction import can_manage, scope_of


def add_service_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: next to the field when the form has it, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        form.add_error(None, exc)


class ScopedQuerysetMixin(LoginRequiredMixin):
    """Detail and list views read through a selector taking user=; an object outside it answers 404."""

    selector = None

    def get_queryset(self):
        return type(self).selector(user=self.request.user)


class ManageMixin(ScopedQuerysetMixin):
    """Create/edit pages: 404 outside the jurisdiction (from get_object), 403 for read-only roles inside it."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and "pk" not in kwargs and not can_manage(request.user):
            raise PermissionDenied(_("您的角色不能新增此类记录。"))
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        if not can_manage(self.request.user) or not self.may_change(obj):
            raise PermissionDenied(_("您的角色只能查看,不能修改此记录。"))
        return obj

    def may_change(self, obj) -> bool:
        """Objects a manager may see but not change (a city-wide round or unit, seen by a county) say so
        here; by default whatever the selector shows may be changed."""
        return True

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def save(self, form):  # pragma: no cover - each view defines it
        raise NotImplementedError

    def form_valid(self, form):
        try:
            self.object = self.save(form)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("已保存。"))
        return redirect(self.object.get_absolute_url())

    @property
    def ip(self) -> str | None:
        return client_ip(self.request)


def owned_by_scope(user, region) -> bool:
    """True when `region` lies inside the user's own region subtree (not merely visible from below)."""
    scope = scope_of(user)
    return scope.everything or (scope.region is not None and region.code.startswith(scope.prefix))
