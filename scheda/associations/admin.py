from django.contrib import admin

from scheda.associations.models import AssociationType


@admin.register(AssociationType)
class AssociationTypeAdmin(admin.ModelAdmin):
    list_display = ("id", "from_object_type", "to_object_type", "label", "category", "limit")
    list_filter = ("category", "from_object_type")
    readonly_fields = ("id", "from_object_type", "to_object_type", "category", "inverse")
