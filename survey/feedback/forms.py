from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget

from survey.labels import LABELS
from survey.languages import LANGUAGES
from survey.models import Audience


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class FeedbackRequestForm(FlaskForm):
    roles = CheckboxesField(
        _l("Ask these partners"),
        choices=[
            SelectChoice(audience.value, LABELS[(Audience, audience.value)])
            for audience in (
                Audience.PUPIL,
                Audience.PARENT,
                Audience.TEACHER,
                Audience.SCHOOL,
                Audience.COACH,
            )
        ],
        validators=[DataRequired(message=_l("Choose at least one partner."))],
    )
    parents = IntegerField(
        _l("Links for parents"),
        default=2,
        validators=[NumberRange(min=1, max=4, message=_l("Between 1 and 4."))],
    )
    language = SelectField(
        _l("Language of links and letters"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()],
        default="nl",
    )
    links = SubmitField(_l("Show the links"))
    letters = SubmitField(_l("Download letters (PDF)"))
