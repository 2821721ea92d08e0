"""The council report page and its downloads (PDF, XLSX, CSV, standalone HTML)."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from survey.auth.access import roles_required
from survey.extensions import db
from survey.models import Role, School
from survey.reports.exports import to_csv, to_xlsx
from survey.reports.forms import ReportForm
from survey.reports.render import render_report, report_pdf, report_stylesheet
from survey.reports.services import (
    CouncilReport,
    ReportRefused,
    default_school_year,
    narrow,
    period_for,
    report_for,
    school_selection,
    school_years,
)
from survey.web import pdf_download

bp = Blueprint("reports", __name__, url_prefix="/reports")
VIEWERS = (Role.COORDINATOR, Role.ADMIN, Role.COACH, Role.SCHOOL)


def _selection() -> tuple[ReportForm, CouncilReport | None, str | None]:
    """The form, the report it selects (None when the form has errors) and a refusal."""
    user = current_user
    years = school_years(user.centre)
    schools = None
    if user.role is not Role.SCHOOL:
        schools = db.session.scalars(
            select(School).where(School.centre_id == user.centre_id).order_by(School.name)
        ).all()
    form = ReportForm(formdata=request.args or None, school_years=years, schools=schools)
    if not request.args:
        form.school_year.data = default_school_year(user.centre)
    elif not form.validate():
        return form, None, None
    period = period_for(form.school_year.data, form.start.data, form.end.data)
    report = report_for(user, period)
    try:
        if schools is not None and form.school.data:
            report = school_selection(report, int(form.school.data))
        report = narrow(report, form.audience.data or None)
    except ReportRefused:
        refusal = _(
            "This selection counts fewer than %(k)d respondents. Showing it would make small "
            "groups recognisable, so it is not shown. Choose a wider group (the whole centre or "
            "all audiences) or another school year.",
            k=report.threshold,
        )
        return form, None, refusal
    return form, report, None


def _page(form: ReportForm, report: CouncilReport | None, refusal: str | None) -> str:
    if report is None:
        return render_template(
            "reports/page.html", report=None, form=form, refusal=refusal, export_args={}
        )
    return render_report(
        report,
        template="reports/page.html",
        form=form,
        refusal=None,
        export_args=request.args.to_dict(),
    )


@bp.route("/")
@roles_required(*VIEWERS)
def index() -> str:
    return _page(*_selection())


def _filename(report: CouncilReport, extension: str) -> str:
    who = report.school.code if report.school else report.centre.code
    # Codes are typed by people; only safe characters go into a header.
    who = re.sub(r"[^A-Za-z0-9_-]+", "-", who) or "centrum"
    return f"leersteunraad-{who}-{report.period.school_year}.{extension}"


@bp.route("/report.<fmt>")
@roles_required(*VIEWERS)
def export(fmt: str) -> Response:
    if fmt not in ("pdf", "xlsx", "csv", "html"):
        abort(404)
    form, report, refusal = _selection()
    if report is None:
        # The page explains the refusal or the form's errors; a download cannot.
        return Response(_page(form, None, refusal), status=422, mimetype="text/html")
    if fmt == "pdf":
        return pdf_download(report_pdf(report), _filename(report, "pdf"))
    if fmt == "xlsx":
        body, mimetype = (
            to_xlsx(report),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    elif fmt == "csv":
        body, mimetype = to_csv(report), "text/csv; charset=utf-8"
    else:
        body = render_report(report, stylesheet=report_stylesheet()).encode("utf-8")
        mimetype = "text/html; charset=utf-8"
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(report, fmt)}"',
            "Cache-Control": "no-store",
        },
    )
