from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from survey.feedback.forms import CheckboxesField
from survey.labels import LABELS
from survey.models import (
    Answer,
    Audience,
    CloseReason,
    Decision,
    Focus,
    Goal,
    GoalProgress,
    HoldReason,
)


def _choices(enum_cls, blank: str | None = None) -> list[SelectChoice]:
    choices = [SelectChoice(m.value, LABELS[(enum_cls, m.value)]) for m in enum_cls]
    if blank is not None:
        choices.insert(0, SelectChoice("", blank))
    return choices


TEXT = [Optional(), Length(max=5000, message=_l("Please keep this under 5000 characters."))]


class GoalForm(FlaskForm):
    target = RadioField(
        _l("Goal for"),
        choices=[
            SelectChoice(Focus.PUPIL.value, _l("the pupil")),
            SelectChoice(Focus.TEACHER.value, _l("the teacher")),
            SelectChoice(Focus.TEAM.value, _l("the school team")),
        ],
        validators=[InputRequired(message=_l("Choose for whom the goal is."))],
    )
    description = TextAreaField(
        _l("Goal"),
        validators=[DataRequired(message=_l("Describe the goal.")), Length(max=2000)],
    )
    success_criterion = TextAreaField(
        _l("When will we be satisfied? What will we see then?"),
        validators=[DataRequired(message=_l("Say when the goal is reached.")), Length(max=2000)],
    )
    target_date = DateField(_l("Target date"), validators=[Optional()])
    submit = SubmitField(_l("Add the goal"))


PARTICIPANTS = [
    *[SelectChoice(a.value, LABELS[(Audience, a.value)]) for a in Audience],
    SelectChoice("clb", "CLB"),
    SelectChoice("pbd", _l("Educational advisory service (PBD)")),
]


def participant_label(code: str) -> str:
    return next((str(choice.label) for choice in PARTICIPANTS if choice.value == code), code)


class EvaluationForm(FlaskForm):
    """The evaluation moment; ``build_evaluation_form`` adds one progress field per goal."""

    held_on = DateField(
        _l("Date of the evaluation"), validators=[InputRequired(_l("Choose a date."))]
    )
    participants = CheckboxesField(_l("Who took part"), choices=PARTICIPANTS)
    pupil_participates = RadioField(
        _l("Can the pupil participate enough, despite the specific needs?"),
        choices=_choices(Answer),
        validators=[Optional()],
    )
    teacher_has_questions = RadioField(
        _l("Does the teacher still have learning questions in phase 2 or 3 of the care continuum?"),
        choices=_choices(Answer),
        validators=[Optional()],
    )
    can_reduce = RadioField(
        _l("Can support be reduced in frequency or intensity, or (temporarily) closed?"),
        choices=_choices(Answer),
        validators=[Optional()],
    )
    must_intensify = RadioField(
        _l("Must support be intensified (for a while)?"),
        choices=_choices(Answer),
        validators=[Optional()],
    )
    reflection = TextAreaField(_l("What did we see? Results and effects"), validators=TEXT)
    decision = RadioField(
        _l("Decision"),
        choices=_choices(Decision),
        validators=[InputRequired(message=_l("Choose a decision."))],
    )
    hold_reason = SelectField(
        _l("Reason for on hold"), choices=_choices(HoldReason, "–"), default=""
    )
    close_reason = SelectField(
        _l("Reason for closing"), choices=_choices(CloseReason, "–"), default=""
    )
    decision_note = TextAreaField(_l("Note on the decision"), validators=TEXT)
    adjustments = TextAreaField(_l("Adjustments (bijsturing)"), validators=TEXT)
    next_evaluation_on = DateField(_l("Next evaluation"), validators=[Optional()])
    submit = SubmitField(_l("Record the evaluation"))

    def validate_hold_reason(self, field: SelectField) -> None:
        if self.decision.data == Decision.ON_HOLD.value and not field.data:
            raise ValidationError(_l("Choose why the support goes on hold."))

    def validate_close_reason(self, field: SelectField) -> None:
        if self.decision.data == Decision.CLOSE.value and not field.data:
            raise ValidationError(_l("Choose why the trajectory closes."))

    def validate_decision_note(self, field: TextAreaField) -> None:
        other = (
            self.decision.data == Decision.ON_HOLD.value and self.hold_reason.data == "other"
        ) or (self.decision.data == Decision.CLOSE.value and self.close_reason.data == "other")
        if other and not (field.data or "").strip():
            raise ValidationError(_l("Explain the reason \u201cother\u201d in a note."))

    def validate_next_evaluation_on(self, field: DateField) -> None:
        if field.data and self.held_on.data and field.data <= self.held_on.data:
            raise ValidationError(_l("The next evaluation comes after this one."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        continuing = self.decision.data in {
            Decision.CONTINUE.value,
            Decision.REDUCE.value,
            Decision.INTENSIFY.value,
        }
        # Checked here, not in validate_next_evaluation_on: Optional() stops a field's own
        # validators when it is empty. The cycle goes on, so the next evaluation is planned
        # now (the inspectorate's LP4).
        if continuing and self.next_evaluation_on.data is None:
            self.next_evaluation_on.errors = [
                *self.next_evaluation_on.errors,
                _l("Plan the next evaluation."),
            ]
            return False
        return valid


def progress_field(goal: Goal) -> str:
    return f"goal-{goal.id}"


def evidence_field(goal: Goal) -> str:
    return f"evidence-{goal.id}"


def build_evaluation_form(goals: list[Goal], **kwargs) -> EvaluationForm:
    class Form(EvaluationForm):
        pass

    for goal in goals:
        setattr(
            Form,
            progress_field(goal),
            RadioField(
                goal.description,
                choices=_choices(GoalProgress),
                validators=[InputRequired(message=_l("How far is this goal?"))],
            ),
        )
        setattr(Form, evidence_field(goal), TextAreaField(_l("Evidence"), validators=TEXT))
    return Form(**kwargs)
