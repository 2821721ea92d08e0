from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length

from survey.labels import label
from survey.models import Role
from survey.passwords import MIN_PASSWORD_LENGTH


def _strip(value: str | None) -> str | None:
    return value.strip() if value else value


def _email_field(text: object) -> EmailField:
    return EmailField(
        text,
        # Addresses pasted from an e-mail often carry a space at either end.
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Fill in an e-mail address.")),
            Email(message=_l("This is not a valid e-mail address."), check_deliverability=False),
            Length(max=254, message=_l("An e-mail address has at most 254 characters.")),
        ],
    )


class ForgotPasswordForm(FlaskForm):
    email = _email_field(_l("E-mail address"))
    submit = SubmitField(_l("Send me a link"))


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(message=_l("Fill in a password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=1000,
                message=_l(
                    "Use at least %(count)d characters (at most 1000).",
                    count=MIN_PASSWORD_LENGTH,
                ),
            ),
        ],
    )
    confirm = PasswordField(
        _l("The same password again"),
        validators=[
            DataRequired(message=_l("Fill in the password a second time.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
    )
    submit = SubmitField(_l("Save the password"))


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, label(role)) for role in Role]


class RoleFields:
    """Role and school, shared by the new-user and change-role forms.

    The school choices are the administrator's own centre's, filled in by the view.
    """

    role = SelectField(_l("Role"), choices=_role_choices, validators=[DataRequired()])
    school = SelectField(
        _l("School"),
        description=_l("Only for school accounts."),
        validate_choice=True,
    )


class NewUserForm(RoleFields, FlaskForm):
    email = _email_field(_l("E-mail address"))
    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(message=_l("Fill in a name.")),
            Length(max=200, message=_l("A name has at most 200 characters.")),
        ],
    )
    submit = SubmitField(_l("Create the account and send the link"))


class RoleForm(RoleFields, FlaskForm):
    submit = SubmitField(_l("Save the role"))


class ConfirmForm(FlaskForm):
    """A button with a CSRF token (enable, disable, send a new link)."""
