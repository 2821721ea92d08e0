"""Question types: each builds its form field and turns a submitted value into a stored one.

The registry is keyed by scale kind; open questions have their own type. Adding a kind of
question means adding a class here and a branch in the template macro that draws it.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from questionnaires import Item, OpenQuestion, Questionnaire
from survey.models import DONT_KNOW


class ScaleItemType:
    """A statement answered on a scale (agree or pictorial), with "don't know" always offered."""

    def __init__(self, pictorial: bool) -> None:
        self.pictorial = pictorial

    def field(self, item: Item, questionnaire: Questionnaire, audience: str, language: str):
        scale = questionnaire.scales[item.scale]
        labels = scale.labels.get(language) or scale.labels["nl"]
        dont_know = scale.dont_know.get(language) or scale.dont_know["nl"]
        choices = [SelectChoice(str(point), label) for point, label in enumerate(labels, 1)]
        choices.append(SelectChoice(str(DONT_KNOW), dont_know))
        validators = (
            [InputRequired(message=_l("Please choose an answer (or \u201cdon't know\u201d)."))]
            if item.required
            else [Optional()]
        )
        return RadioField(
            item.text_for(audience, language),
            choices=choices,
            validators=validators,
            coerce=str,
            validate_choice=True,
            # The respondent's language, not WTForms' English "Not a valid choice".
            invalid_choice_message=_l("This answer is not one of the options. Choose again."),
        )

    def parse(self, raw: Any) -> int | None:
        return int(raw) if raw not in (None, "") else None


class OpenQuestionType:
    def field(self, question: OpenQuestion, audience: str, language: str):
        return TextAreaField(
            question.text_for(audience, language),
            validators=[
                Optional(),
                Length(
                    max=question.max_length,
                    message=_l("Please keep this to %(max)d characters.", max=question.max_length),
                ),
            ],
        )

    def parse(self, raw: Any) -> str | None:
        # PostgreSQL text cannot hold NUL: a feedbackmatrix answer with one could not be sent,
        # and one waiting in the anonymous inbox made every later publication fail (a 500 for
        # each respondent after it). Dropped here, before anything is stored.
        text = (raw or "").replace("\x00", "").strip()
        return text or None


ITEM_TYPES: dict[str, ScaleItemType] = {
    "agree": ScaleItemType(pictorial=False),
    "pictorial": ScaleItemType(pictorial=True),
}
OPEN_TYPE = OpenQuestionType()
