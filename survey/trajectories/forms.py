"""Forms for creating and editing trajectories and changing their status."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from survey.labels import LABELS
from survey.models import CloseReason, DisabilityType, Focus, HoldReason, Level, ReportType
from survey.trajectories.manage_services import code_problem, report_type_problem

NOTE_MAX_LENGTH = 1000
FOCUS_VALUES = frozenset(focus.value for focus in Focus)


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def enum_choices(vocabulary: type[enum.Enum], empty: object | None = None) -> list[SelectChoice]:
    """Choices for a vocabulary with its (lazy) Dutch labels, optionally an empty first one."""
    choices = [SelectChoice("", empty)] if empty is not None else []
    return choices + [
        SelectChoice(member.value, LABELS[(vocabulary, member.value)]) for member in vocabulary
    ]


class CheckboxListField(SelectMultipleField):
    """A multiple choice shown as checkboxes: easier than a multi-select on a phone."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TrajectoryForm(FlaskForm):
    code = StringField(
        _l("Code"),
        filters=[_strip],
        description=_l(
            "The centre's own pseudonymous code from the registration system (for example "
            "Diplon or Zorglink). Never a pupil's name."
        ),
        validators=[DataRequired(message=_l("Fill in the trajectory's code."))],
    )
    school = SelectField(_l("School"), validators=[DataRequired(message=_l("Choose the school."))])
    focus = SelectField(
        _l("Focus"),
        choices=enum_choices(Focus, empty=_l("Choose…")),
        validators=[DataRequired(message=_l("Choose the focus of the support."))],
    )
    report_type = SelectField(
        _l("Report"),
        choices=enum_choices(ReportType, empty=_l("None (team-directed support)")),
        description=_l("Empty for team-directed support, required otherwise."),
    )
    disability_type = SelectField(
        _l("Type"),
        choices=enum_choices(DisabilityType, empty=_l("Choose…")),
        validators=[DataRequired(message=_l("Choose the type."))],
    )
    level = SelectField(
        _l("Level"),
        choices=enum_choices(Level, empty=_l("Choose…")),
        validators=[DataRequired(message=_l("Choose the level."))],
    )
    start_date = DateField(
        _l("Start date"), validators=[InputRequired(message=_l("Choose a date."))]
    )
    coaches = CheckboxListField(_l("Coaches"), coerce=int)
    submit = SubmitField(_l("Save"))

    def validate_code(self, field: StringField) -> None:
        problem = code_problem(field.data or "")
        if problem:
            raise ValidationError(problem)

    def validate_report_type(self, field: SelectField) -> None:
        focus = Focus(self.focus.data) if self.focus.data in FOCUS_VALUES else None
        report = ReportType(field.data) if field.data else None
        problem = report_type_problem(focus, report)
        if problem:
            raise ValidationError(problem)


class StatusForm(FlaskForm):
    status = RadioField(
        _l("New status"), validators=[InputRequired(message=_l("Choose the new status."))]
    )
    hold_reason = SelectField(
        _l("Reason for on hold"),
        choices=enum_choices(HoldReason, empty=_l("Only when putting on hold")),
        # Not on the page when "on hold" is not offered; absent must still be a valid choice.
        default="",
    )
    close_reason = SelectField(
        _l("Reason for closing"),
        choices=enum_choices(CloseReason, empty=_l("Only when closing")),
        default="",
    )
    note = TextAreaField(
        _l("Note"),
        filters=[_strip],
        description=_l("Required for “other reason”. No names: the pupil is known by the code."),
        validators=[
            # WTForms fills in %(max)d itself.
            Length(max=NOTE_MAX_LENGTH, message=_l("At most %(max)d characters."))
        ],
    )
    changed_on = DateField(_l("Date"), validators=[InputRequired(message=_l("Choose a date."))])
    submit = SubmitField(_l("Change the status"))
