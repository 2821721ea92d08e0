"""Creating and editing trajectories (coordinators, admins) and changing their status (also
the trajectory's own coaches).

Every page loads its trajectory through ``find_visible_trajectory``: someone else's trajectory
is a 404, the same answer as one that does not exist.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from survey import clock
from survey.auth.access import roles_required
from survey.extensions import db
from survey.labels import label
from survey.models import (
    CloseReason,
    DisabilityType,
    Focus,
    HoldReason,
    Level,
    ReportType,
    Role,
    School,
    StaffUser,
    Trajectory,
    TrajectoryStatus,
)
from survey.trajectories.forms import StatusForm, TrajectoryForm
from survey.trajectories.manage_services import (
    StatusChangeError,
    SupportFields,
    apply_support,
    centre_coaches,
    centre_schools,
    change_trajectory_status,
    code_taken,
    create_trajectory,
    next_statuses,
)
from survey.trajectories.services import find_visible_trajectory

bp = Blueprint("manage", __name__, url_prefix="/trajectories")
STAFF = (Role.COORDINATOR, Role.ADMIN)


def _visible_or_404(code: str) -> Trajectory:
    trajectory = find_visible_trajectory(current_user, code)
    if trajectory is None:
        abort(404)
    return trajectory


def _fill_choices(
    form: TrajectoryForm, keep: list[StaffUser]
) -> tuple[dict[int, School], dict[int, StaffUser]]:
    """Only the user's own centre's schools and coaches can be chosen; WTForms refuses
    any other id that is posted."""
    schools = {school.id: school for school in centre_schools(current_user.centre_id)}
    coaches = {coach.id: coach for coach in centre_coaches(current_user.centre_id, keep)}
    form.school.choices = [SelectChoice("", _("Choose…"))] + [
        SelectChoice(str(school.id), f"{school.name} ({school.institution_number})")
        for school in schools.values()
    ]
    form.coaches.choices = [
        SelectChoice(coach.id, f"{coach.name} ({coach.email})") for coach in coaches.values()
    ]
    return schools, coaches


def _support_fields(
    form: TrajectoryForm, schools: dict[int, School], coaches: dict[int, StaffUser]
) -> SupportFields:
    return SupportFields(
        school=schools[int(form.school.data)],
        focus=Focus(form.focus.data),
        report_type=ReportType(form.report_type.data) if form.report_type.data else None,
        disability_type=DisabilityType(form.disability_type.data),
        level=Level(form.level.data),
        start_date=form.start_date.data,
        coaches=[coaches[coach_id] for coach_id in form.coaches.data or []],
    )


def _code_in_use(form: TrajectoryForm) -> None:
    form.code.errors.append(
        _("This centre already has a trajectory with code %(code)s.", code=form.code.data)
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def new() -> str | Response:
    form = TrajectoryForm()
    schools, coaches = _fill_choices(form, keep=[])
    if request.method == "GET":
        form.start_date.data = clock.today()
    if form.validate_on_submit():
        if code_taken(current_user.centre_id, form.code.data):
            _code_in_use(form)
        else:
            trajectory = create_trajectory(
                current_user.centre,
                form.code.data,
                _support_fields(form, schools, coaches),
                on=clock.today(),
                by=current_user._get_current_object(),
            )
            try:
                db.session.commit()
            except IntegrityError:
                # Someone else saved the same code a moment ago.
                db.session.rollback()
                _code_in_use(form)
            else:
                flash(_("Trajectory %(code)s created.", code=trajectory.code), "success")
                return redirect(url_for("trajectories.detail", code=trajectory.code))
    return render_template("trajectories/edit.html", form=form, trajectory=None)


@bp.route("/<code>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def edit(code: str) -> str | Response:
    trajectory = _visible_or_404(code)
    form = TrajectoryForm(
        data={
            "code": trajectory.code,
            "school": str(trajectory.school_id),
            "focus": trajectory.focus.value,
            "report_type": trajectory.report_type.value if trajectory.report_type else "",
            "disability_type": trajectory.disability_type.value,
            "level": trajectory.level.value,
            "start_date": trajectory.start_date,
            "coaches": [coach.id for coach in trajectory.coaches],
        }
    )
    schools, coaches = _fill_choices(form, keep=list(trajectory.coaches))
    if form.validate_on_submit():
        if code_taken(current_user.centre_id, form.code.data, except_id=trajectory.id):
            _code_in_use(form)
        else:
            trajectory.code = form.code.data
            apply_support(trajectory, _support_fields(form, schools, coaches))
            try:
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                _code_in_use(form)
            else:
                flash(_("Trajectory %(code)s saved.", code=trajectory.code), "success")
                return redirect(url_for("trajectories.detail", code=trajectory.code))
    return render_template("trajectories/edit.html", form=form, trajectory=trajectory)


@bp.route("/<code>/status", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN, Role.COACH)
def status(code: str) -> str | Response:
    trajectory = _visible_or_404(code)
    options = next_statuses(trajectory)
    form = StatusForm()
    form.status.choices = [SelectChoice(option.value, label(option)) for option in options]
    if request.method == "GET":
        form.changed_on.data = clock.today()
    error = None
    if options and form.validate_on_submit():
        try:
            change_trajectory_status(
                trajectory,
                TrajectoryStatus(form.status.data),
                on=form.changed_on.data,
                today=clock.today(),
                hold_reason=HoldReason(form.hold_reason.data) if form.hold_reason.data else None,
                close_reason=(
                    CloseReason(form.close_reason.data) if form.close_reason.data else None
                ),
                note=form.note.data,
                by=current_user._get_current_object(),
            )
        except StatusChangeError as exc:
            if exc.field and exc.field in form:
                form[exc.field].errors.append(exc.message)
            else:
                error = exc.message
        else:
            db.session.commit()
            flash(
                _(
                    "Status of %(code)s changed to %(status)s.",
                    code=trajectory.code,
                    status=label(trajectory.status),
                ),
                "success",
            )
            return redirect(url_for("trajectories.detail", code=trajectory.code))
    return render_template(
        "trajectories/status.html",
        form=form,
        trajectory=trajectory,
        options=options,
        error=error,
    )
