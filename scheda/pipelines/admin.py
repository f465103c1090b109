"""Pipelines in the admin, written through the services so their rules hold."""

from django import forms
from django.contrib import admin, messages

from scheda.errors import SchedaError
from scheda.pipelines import services
from scheda.pipelines.models import Pipeline, PipelineStage


class PipelineForm(forms.ModelForm):
    new_stages = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Stages to add, one a line: deals 'Label | probability' (0 to 1), tickets 'Label | OPEN or CLOSED'.")

    class Meta:
        model = Pipeline
        fields = ("object_type", "label", "display_order")

    def stages(self) -> list[dict]:
        out = []
        for line in self.cleaned_data.get("new_stages", "").splitlines():
            if not line.strip():
                continue
            label, _, extra = (part.strip() for part in line.partition("|"))
            key = "ticketState" if extra.upper() in ("OPEN", "CLOSED") else "probability"
            out.append({"label": label, "metadata": {key: extra.upper() if key == "ticketState" else extra}})
        return out


class StageInline(admin.TabularInline):
    model = PipelineStage
    fields = ("stage_id", "label", "display_order", "metadata", "archived")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin):
    form = PipelineForm
    list_display = ("label", "pipeline_id", "object_type", "display_order", "archived")
    list_filter = ("object_type",)
    inlines = [StageInline]

    def save_model(self, request, obj, form, change):
        try:
            if change:
                services.update_pipeline(obj, label=form.cleaned_data["label"], display_order=form.cleaned_data["display_order"])
                for order, stage in enumerate(form.stages(), start=obj.stages.count()):
                    services.create_stage(obj, stage["label"], stage["metadata"], order)
            else:
                created = services.create_pipeline(form.cleaned_data["object_type"], form.cleaned_data["label"],
                                                   form.stages(), form.cleaned_data["display_order"])
                obj.pk = created.pk
        except SchedaError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    def save_related(self, request, form, formsets, change):
        """Stages change only through the services (above)."""

    def delete_model(self, request, obj):
        try:
            services.archive_pipeline(obj)
        except SchedaError as exc:
            self.message_user(request, exc.message, messages.ERROR)
