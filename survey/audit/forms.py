from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField, SubmitField
from wtforms.validators import Length, Optional


def _without_nul(value: str | None) -> str | None:
    # No code or address holds NUL, and PostgreSQL refuses it in a query (a 500).
    return value.replace("\x00", "") if value else value


class AuditFilterForm(FlaskForm):
    """The log's filters, read from the query string (a GET form changes nothing: no CSRF)."""

    class Meta:
        csrf = False

    trajectory = SearchField(
        _l("Trajectory code"),
        validators=[Optional(), Length(max=40, message=_l("At most 40 characters."))],
        filters=[_without_nul],
    )
    email = SearchField(
        _l("E-mail address of the user"),
        validators=[Optional(), Length(max=254, message=_l("At most 254 characters."))],
        filters=[_without_nul],
    )
    submit = SubmitField(_l("Filter"))
