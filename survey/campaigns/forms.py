from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, NumberRange, ValidationError

from survey.languages import LANGUAGES


class CampaignForm(FlaskForm):
    """A satisfaction campaign for one school or the whole centre."""

    questionnaire = SelectField(_l("Questionnaire"), validators=[DataRequired()])
    audience = SelectField(_l("Who answers"), validators=[DataRequired()])
    school = SelectField(_l("For"), validate_choice=True)
    opens_on = DateField(_l("Opens on"), validators=[InputRequired(message=_l("Choose a date."))])
    closes_on = DateField(_l("Closes on"), validators=[InputRequired(message=_l("Choose a date."))])
    submit = SubmitField(_l("Open the campaign"))

    def validate_closes_on(self, field: DateField) -> None:
        if self.opens_on.data and field.data and field.data < self.opens_on.data:
            raise ValidationError(_l("The closing date lies before the opening date."))


class InviteForm(FlaskForm):
    count = IntegerField(
        _l("Number of links"),
        default=10,
        validators=[
            InputRequired(message=_l("Fill in a number.")),
            NumberRange(min=1, max=500, message=_l("Between 1 and 500 at a time.")),
        ],
    )
    language = SelectField(
        _l("Language of the letter"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()],
        default="nl",
    )
    output = RadioField(
        _l("As"),
        choices=[
            SelectChoice("letters", _l("Printable letters (PDF)")),
            SelectChoice("links", _l("A list of links")),
        ],
        default="letters",
    )
    submit = SubmitField(_l("Make links"))


class CloseForm(FlaskForm):
    submit = SubmitField(_l("Close the campaign now"))
