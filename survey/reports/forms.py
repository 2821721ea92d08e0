"""The report's selection, read from the query string (a GET form changes nothing: no CSRF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError

from survey.labels import label
from survey.reports.services import AUDIENCES
from survey.schoolyear import school_year_bounds


class ReportForm(FlaskForm):
    class Meta:
        csrf = False

    school_year = SelectField(_l("School year"), validate_choice=True)
    start = DateField(_l("Trajectory figures from"), validators=[Optional()])
    end = DateField(_l("Trajectory figures until"), validators=[Optional()])
    audience = SelectField(_l("Audience"), validate_choice=True, default="")
    school = SelectField(_l("School"), validate_choice=True, default="")
    submit = SubmitField(_l("Show"))

    def __init__(self, *args, school_years: list[str], schools: list | None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.school_year.choices = [SelectChoice(y, y) for y in school_years]
        self.audience.choices = [SelectChoice("", _l("All audiences"))] + [
            SelectChoice(a.value, label(a)) for a in AUDIENCES
        ]
        if schools is None:
            # A school user's report is always their own school's: nothing to choose.
            del self.school
        else:
            self.school.choices = [SelectChoice("", _l("The whole centre"))] + [
                SelectChoice(str(s.id), s.name) for s in schools
            ]

    def _check_in_year(self, field: DateField) -> None:
        if field.data and self.school_year.data in {c.value for c in self.school_year.choices}:
            first, last = school_year_bounds(self.school_year.data)
            if not first <= field.data <= last:
                raise ValidationError(
                    _l(
                        "Choose a date in school year %(year)s (%(first)s to %(last)s).",
                        year=self.school_year.data,
                        first=first.isoformat(),
                        last=last.isoformat(),
                    )
                )

    def validate_start(self, field: DateField) -> None:
        self._check_in_year(field)

    def validate_end(self, field: DateField) -> None:
        self._check_in_year(field)
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The end date lies before the start date."))
