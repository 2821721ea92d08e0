"""The staff page that imports trajectories from a registration system's export."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from survey import clock
from survey.auth.access import roles_required
from survey.extensions import db
from survey.imports.forms import ImportForm
from survey.imports.services import (
    COLUMN_TITLES,
    HEADERS,
    MAX_BYTES,
    MAX_ROWS,
    import_trajectories,
)
from survey.models import Role

bp = Blueprint("imports", __name__)
STAFF = (Role.COORDINATOR, Role.ADMIN)
# Room for the multipart envelope around a file of MAX_BYTES.
UPLOAD_LIMIT = MAX_BYTES + 64 * 1024
# A file full of problems would make a page of megabytes; the command line lists them all.
PROBLEMS_SHOWN = 2000


@bp.url_value_preprocessor
def _allow_import_sized_uploads(endpoint: str | None, _values: dict | None) -> None:
    """Accept files up to MAX_BYTES here, above the site-wide MAX_CONTENT_LENGTH.

    The CSRF check parses the form in a before-request hook, before any view runs; URL value
    preprocessors run earlier still, so this is the place to raise the limit for one page.
    """
    if endpoint == "imports.upload":
        request.max_content_length = UPLOAD_LIMIT


def _page(form: ImportForm, **context: object) -> str:
    return render_template(
        "imports/upload.html",
        form=form,
        headers=HEADERS,
        titles=COLUMN_TITLES,
        max_megabytes=MAX_BYTES // (1024 * 1024),
        max_rows=MAX_ROWS,
        problems_shown=PROBLEMS_SHOWN,
        **context,
    )


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> tuple[str, int]:
    message = _(
        "The file is larger than %(size)d MB. Split it into smaller files.",
        size=MAX_BYTES // (1024 * 1024),
    )
    return _page(ImportForm(formdata=None), outcome=None, refused=message), 413


@bp.route("/trajectories/import", methods=["GET", "POST"])
@roles_required(*STAFF)
def upload() -> str:
    form = ImportForm()
    outcome = None
    if form.validate_on_submit():
        storage = form.file.data
        try:
            # One byte more than allowed is enough to refuse the file as too large.
            data = storage.stream.read(MAX_BYTES + 1)
        finally:
            # A large upload is spooled to a temporary file: release it now.
            storage.close()
        outcome = import_trajectories(
            current_user.centre,
            storage.filename or "",
            data,
            dry_run=form.dry_run.data,
            on=clock.today(),
            by=current_user._get_current_object(),
        )
        if outcome.written:
            db.session.commit()
    return _page(form, outcome=outcome, refused=None)
