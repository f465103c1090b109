"""The admin for the schema, until a settings UI exists. Writes go through the services, so an
admin-made property gets its index and its checks."""

from django.contrib import admin, messages

from scheda.errors import SchedaError
from scheda.objects import services
from scheda.objects.models import ObjectType, PropertyDefinition, PropertyGroup


class PropertyInline(admin.TabularInline):
    model = PropertyDefinition
    fields = ("name", "label", "type", "field_type", "group_name", "required", "unique", "indexed", "archived")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(ObjectType)
class ObjectTypeAdmin(admin.ModelAdmin):
    list_display = ("plural_label", "name", "object_type_id", "is_custom", "is_activity", "archived")
    readonly_fields = ("object_type_id", "name", "is_custom", "is_activity")
    inlines = [PropertyInline]

    def has_add_permission(self, request):
        return False  # custom objects are created with their properties, through the schemas API

    def save_model(self, request, obj, form, change):
        try:
            services.update_object_type(ObjectType.objects.get(pk=obj.pk), {k: form.cleaned_data[k] for k in form.changed_data})
        except SchedaError as exc:
            self.message_user(request, exc.message, messages.ERROR)


@admin.register(PropertyGroup)
class PropertyGroupAdmin(admin.ModelAdmin):
    list_display = ("label", "name", "object_type", "display_order", "archived")
    list_filter = ("object_type",)


@admin.register(PropertyDefinition)
class PropertyDefinitionAdmin(admin.ModelAdmin):
    list_display = ("label", "name", "object_type", "type", "field_type", "group_name", "indexed", "archived")
    list_filter = ("object_type", "type", "archived", "hubspot_defined")
    search_fields = ("name", "label")
    readonly_fields = ("hubspot_defined", "created_at", "updated_at", "archived_at")

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "object_type", "name") if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        data = {k: form.cleaned_data[k] for k in form.changed_data if k in services.PROPERTY_FIELDS}
        try:
            if change:
                services.update_property(PropertyDefinition.objects.get(pk=obj.pk), data, request.user)
            else:
                data.update(name=obj.name, label=obj.label, type=obj.type, field_type=obj.field_type)
                created = services.create_property(obj.object_type, data, request.user)
                obj.pk = created.pk
        except SchedaError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    def delete_model(self, request, obj):
        try:
            services.archive_property(obj, request.user)
        except SchedaError as exc:
            self.message_user(request, exc.message, messages.ERROR)
