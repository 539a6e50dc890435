"""The bulk import page (批量导入) and its downloadable templates. Organization departments and admins only;
the work is cadres.bulk_import's, shared with `manage.py import_data`."""
from urllib.parse import quote

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from .audit import client_ip
from .bulk_import import (
    IMPORTERS,
    MAX_UPLOAD_BYTES,
    ImportKind,
    Outcome,
    import_file,
    importer_for,
    may_import,
    template_workbook,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("导入内容"), choices=ImportKind.choices, widget=forms.RadioSelect)
    file = forms.FileField(
        label=gettext_lazy("Excel 文件"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx", "class": "input"}),
        help_text=gettext_lazy("按模板填写的 .xlsx 文件,不超过5MB。"),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("只检查,不导入"), required=False,
        help_text=gettext_lazy("逐行检查并列出将新增、更新的记录,不写入任何数据。"),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("文件过大(超过5MB),请分成几个文件导入。"))
        return upload


class ImportAccessMixin(LoginRequiredMixin):
    """Anonymous visitors go to the login page; roles other than organization department and admin get 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_import(request.user):
            raise PermissionDenied(_("批量导入由组织部办理。"))
        return super().dispatch(request, *args, **kwargs)


def _kind_cards() -> list[dict]:
    """Each kind with its columns, for the page's "what goes in the file" section."""
    cards = []
    for kind in ImportKind:
        importer = importer_for(kind)
        cards.append({
            "kind": kind,
            "columns": [c for c in importer.columns if c.key != "seq"],
            "notes": importer.notes,
        })
    return cards


class ImportView(ImportAccessMixin, View):
    """GET: choose a kind, download its template, upload. POST: check (and unless dry run, import) the file
    and show the result on the same page: counts, or every bad row with its row number and reason."""

    template_name = "cadres/import_form.html"

    def get(self, request):
        kind = request.GET.get("kind")
        initial = {"kind": kind if kind in ImportKind.values else ImportKind.VILLAGES}
        return self._render(ImportForm(initial=initial))

    def post(self, request):
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(form)
        data = form.cleaned_data
        try:
            result = import_file(
                actor=request.user, kind=data["kind"], file=data["file"], dry_run=data["dry_run"],
                file_name=data["file"].name, ip=client_ip(request),
            )
        except ValidationError as exc:  # pragma: no cover - import_file reports problems in its result
            form.add_error(None, exc)
            return self._render(form)
        return self._render(form, result=result, changed=[a for a in result.actions if a.outcome != Outcome.UNCHANGED])

    def _render(self, form, **extra):
        return render(self.request, self.template_name, {
            "form": form, "kinds": _kind_cards(), "kind_labels": dict(ImportKind.choices), **extra,
        })


class ImportTemplateView(ImportAccessMixin, View):
    """GET /import/templates/<kind>.xlsx: the template of a kind (no data from the database in it)."""

    def get(self, request, kind: str):
        if kind not in IMPORTERS:
            raise Http404
        response = HttpResponse(template_workbook(kind), content_type=XLSX)
        title = quote(f"{importer_for(kind).title}.xlsx")
        response["Content-Disposition"] = f"attachment; filename=\"import-{kind}.xlsx\"; filename*=UTF-8''{title}"
        return response
