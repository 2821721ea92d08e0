"""The upload form of the trajectory import."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, SubmitField


class ImportForm(FlaskForm):
    file = FileField(
        _l("File (CSV or XLSX)"),
        validators=[
            FileRequired(message=_l("Choose a file.")),
            FileAllowed(["csv", "xlsx"], message=_l("Only CSV and XLSX files can be imported.")),
        ],
    )
    # Checked by default: the safe first step is to see the problems, not to write.
    dry_run = BooleanField(_l("Dry run: check the file without writing anything"), default=True)
    submit = SubmitField(_l("Upload"))
