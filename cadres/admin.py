from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry, AwardRecord, Cadre, DispatchRound, Evaluation, Posting, Recall, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "last_name", "first_name", "role", "region", "unit", "cadre", "is_active")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("username", "first_name", "last_name", "phone")
    autocomplete_fields = ("region", "unit", "cadre")
    fieldsets = BaseUserAdmin.fieldsets + ((_("角色与管辖范围"), {"fields": ("role", "region", "unit", "cadre", "phone")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        (_("角色与管辖范围"), {"fields": ("role", "region", "unit", "cadre", "phone")}),
    )


@admin.register(Cadre)
class CadreAdmin(admin.ModelAdmin):
    list_display = ("name", "gender", "masked_id_number", "phone", "unit", "rank")
    list_filter = ("gender", "rank", "political_status", "is_reserve_cadre")
    search_fields = ("name", "id_tail", "phone")
    autocomplete_fields = ("unit",)

    @admin.display(description=_("身份证号码"))
    def masked_id_number(self, obj):
        return obj.masked_id_number


@admin.register(DispatchRound)
class DispatchRoundAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "start_date", "end_date")
    search_fields = ("name",)


@admin.register(Posting)
class PostingAdmin(admin.ModelAdmin):
    list_display = ("cadre", "village", "round", "role", "status", "start_date", "end_date")
    list_filter = ("role", "status", "round")
    search_fields = ("cadre__name", "village__name", "village__code")
    autocomplete_fields = ("cadre", "village", "unit", "replaces")
    list_select_related = ("cadre", "village", "round")


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only."""

    list_display = ("created_at", "actor_name", "action", "object_repr", "region_code", "ip")
    list_filter = ("action",)
    search_fields = ("actor_name", "object_repr", "region_code", "action")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Recall)
class RecallAdmin(admin.ModelAdmin):
    list_display = ("posting", "reason", "status", "recall_date", "replacement_due")
    list_filter = ("status", "reason")
    raw_id_fields = ("posting",)


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = ("cadre", "year", "grade")
    list_filter = ("year", "grade")
    raw_id_fields = ("cadre",)


@admin.register(AwardRecord)
class AwardRecordAdmin(admin.ModelAdmin):
    list_display = ("cadre", "kind", "date", "level", "issuing_body", "document_number")
    list_filter = ("kind",)
    raw_id_fields = ("cadre",)
