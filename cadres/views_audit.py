"""The audit trail, searchable by admins (and organization departments) of a jurisdiction."""
import contextlib
import datetime

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _
from django.views.generic import ListView

from .jurisdiction import scope_of
from .models import AuditEntry, Role


def audit_list(*, user):
    """Entries of the user's region subtree (by the region code recorded with each entry), plus the
    user's own actions. Only admins and organization departments read the trail."""
    if user.role not in (Role.ADMIN, Role.ORG_DEPT):
        return AuditEntry.objects.none()
    scope = scope_of(user)
    if scope.everything:
        return AuditEntry.objects.all()
    if scope.region is None:
        return AuditEntry.objects.none()
    return AuditEntry.objects.filter(Q(region_code__startswith=scope.prefix) | Q(actor=user))


class AuditListView(LoginRequiredMixin, ListView):
    template_name = "cadres/audit_list.html"
    paginate_by = 50

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.role not in (Role.ADMIN, Role.ORG_DEPT):
            raise PermissionDenied(_("审计日志仅供管理员和组织部查阅。"))
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        qs = audit_list(user=self.request.user)
        params = self.request.GET
        if params.get("q"):
            q = params["q"].strip()[:100]
            qs = qs.filter(Q(actor_name__icontains=q) | Q(object_repr__icontains=q) | Q(ip__startswith=q))
        if params.get("action"):
            qs = qs.filter(action__startswith=params["action"].strip()[:60])
        for name, lookup in (("since", "created_at__date__gte"), ("until", "created_at__date__lte")):
            with contextlib.suppress(ValueError):  # an unreadable date is simply not applied
                qs = qs.filter(**{lookup: datetime.date.fromisoformat(params.get(name, ""))})
        return qs.order_by("-created_at", "-pk")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["actions"] = sorted(set(audit_list(user=self.request.user).values_list("action", flat=True)[:2000]))
        return ctx
