from django.contrib import admin

from .models import DispatchingUnit, Policy, Region, SupportRecord, Village, VillageCategory


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)


@admin.register(VillageCategory)
class VillageCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "is_priority", "sort_order")


@admin.register(Village)
class VillageAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "township")
    list_filter = ("categories",)
    search_fields = ("code", "name")
    autocomplete_fields = ("township", "paired_with")
    filter_horizontal = ("categories",)
    list_select_related = ("township",)


@admin.register(DispatchingUnit)
class DispatchingUnitAdmin(admin.ModelAdmin):
    list_display = ("name", "level", "region", "contact_name", "contact_phone")
    list_filter = ("level",)
    search_fields = ("name",)
    autocomplete_fields = ("region",)


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ("region", "team_min_priority", "team_max", "term_min_months", "updated_at")
    autocomplete_fields = ("region",)


@admin.register(SupportRecord)
class SupportRecordAdmin(admin.ModelAdmin):
    list_display = ("unit", "village", "kind", "date", "amount_yuan", "title")
    list_filter = ("kind",)
    raw_id_fields = ("unit", "village")
