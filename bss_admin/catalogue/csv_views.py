"""CSV export and import of the catalogue (issue 15, part F)."""

from __future__ import annotations

from flask import Response, abort, flash, g, request, url_for

from bss_admin import bp
from bss_admin.catalogue.forms import ImportForm
from bss_admin.catalogue.views import catalogue_required
from core import texts
from core.services import catalogue_csv
from core.services.errors import ValidationFailed
from webapp.auth import signed_in_user
from webapp.extensions import db
from webapp.web import page, see_other


@bp.route("/catalogue/csv")
@catalogue_required
def catalogue_csv_page():
    return page(
        "bss_admin/catalogue/csv.html",
        form=ImportForm(formdata=None),
        report=None,
        errors={},
        dry_run=False,
    )


@bp.route("/catalogue/export.csv")
@catalogue_required
def catalogue_export():
    body = catalogue_csv.export_csv(db.session, g.tenant_id)
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="catalogue.csv"'
    return response


@bp.post("/catalogue/import")
@catalogue_required
def catalogue_import():
    form = ImportForm()
    if not form.validate_on_submit():
        abort(400)
    dry_run = request.form.get("action") != "import"
    upload = request.files.get("file")
    data = upload.read(catalogue_csv.MAX_BYTES + 1) if upload else b""
    try:
        report = catalogue_csv.import_csv(
            db.session, g.tenant_id, signed_in_user(), data, dry_run=dry_run
        )
    except ValidationFailed as error:
        return page(
            "bss_admin/catalogue/csv.html",
            status=422,
            form=form,
            report=None,
            errors=error.errors,
            dry_run=dry_run,
        )
    if report.applied:
        flash(
            texts.CSV_IMPORTED.format(
                rows=report.rows,
                created=report.created,
                updated=report.updated,
                unchanged=report.unchanged,
            ),
            "success",
        )
        return see_other(url_for("bss_admin.catalogue_csv_page"))
    return page(
        "bss_admin/catalogue/csv.html",
        status=422 if report.errors else 200,
        form=form,
        report=report,
        errors={},
        dry_run=dry_run,
    )
