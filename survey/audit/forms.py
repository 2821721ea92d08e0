from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField, SubmitField
from wtforms.validators import Length, Optional


class AuditFilterForm(FlaskForm):
    """The log's filters, read from the query string (a GET form changes nothing: no CSRF)."""

    class Meta:
        csrf = False

    trajectory = SearchField(
        _l("Trajectory code"),
        validators=[Optional(), Length(max=40, message=_l("At most 40 characters."))],
    )
    email = SearchField(
        _l("E-mail address of the user"),
        validators=[Optional(), Length(max=254, message=_l("At most 254 characters."))],
    )
    submit = SubmitField(_l("Filter"))
