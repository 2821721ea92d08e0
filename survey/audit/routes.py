"""The audit log page: who looked at which trajectory's feedback, and when."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from survey.audit.forms import AuditFilterForm
from survey.audit.services import CLI_MARK, action_label, audit_entries
from survey.auth.access import roles_required
from survey.extensions import db
from survey.models import Role

bp = Blueprint("audit", __name__, url_prefix="/audit")

PAGE_SIZE = 50
# Far beyond any list; the bound keeps the database's OFFSET an ordinary integer
# (?page=99999999999999999999 overflowed it: a 500).
MAX_PAGE = 1_000_000


@bp.route("/")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def index() -> str:
    form = AuditFilterForm(formdata=request.args)
    # Invalid filters (too long) are shown as errors and ignored rather than refused.
    valid = form.validate()
    trajectory = form.trajectory.data.strip() if valid and form.trajectory.data else ""
    email = form.email.data.strip() if valid and form.email.data else ""
    statement = audit_entries(current_user.centre_id, trajectory or None, email or None)
    number = min(request.args.get("page", 1, type=int), MAX_PAGE)
    page = db.paginate(
        statement, page=number, per_page=PAGE_SIZE, max_per_page=PAGE_SIZE, error_out=False
    )
    return render_template(
        "audit/index.html",
        cli_mark=CLI_MARK,
        form=form,
        page=page,
        filters={
            key: value for key, value in (("trajectory", trajectory), ("email", email)) if value
        },
        action_label=action_label,
    )
