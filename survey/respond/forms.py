"""The form for one page of a questionnaire, built at run time from its items."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from questionnaires import Questionnaire
from survey.respond.items import ITEM_TYPES, OPEN_TYPE
from survey.respond.services import Answers, Page

ITEM_PREFIX = "item-"
OPEN_PREFIX = "open-"
CONTROL_FIELDS = frozenset({"csrf_token", "action", "page"})


def item_field(item_id: str) -> str:
    return f"{ITEM_PREFIX}{item_id}"


def open_field(question_id: str) -> str:
    return f"{OPEN_PREFIX}{question_id}"


def build_page_form(
    page: Page,
    questionnaire: Questionnaire,
    audience: str,
    language: str,
    formdata: MultiDict | None,
    answers: Answers,
) -> FlaskForm:
    """A FlaskForm (with its CSRF field) holding the page's statements and open questions."""
    data: dict[str, Any] = {}
    for item in page.items:
        if item.id in answers.values:
            data[item_field(item.id)] = str(answers.values[item.id])
    for question in page.open_questions:
        if question.id in answers.texts:
            data[open_field(question.id)] = answers.texts[question.id]
    form_class = _page_form_class(page, questionnaire, audience, language)
    return form_class(formdata=formdata, data=data)


# Form classes by (questionnaire object, page, audience, language). Making a WTForms class
# with a field per statement on every request was a measurable share of a respondent's CPU
# time. The questionnaire is kept in the value so that its id() cannot be reused while cached;
# parsed questionnaires are themselves cached per version (questionnaire_for).
_FORM_CLASSES: dict[tuple, tuple[Questionnaire, type[FlaskForm]]] = {}
_FORM_CLASSES_KEPT = 512


def _page_form_class(
    page: Page, questionnaire: Questionnaire, audience: str, language: str
) -> type[FlaskForm]:
    key = (id(questionnaire), tuple(page.ids), audience, language)
    cached = _FORM_CLASSES.get(key)
    if cached is not None and cached[0] is questionnaire:
        return cached[1]

    class PageForm(FlaskForm):
        pass

    for item in page.items:
        item_type = ITEM_TYPES[questionnaire.scales[item.scale].kind]
        setattr(
            PageForm, item_field(item.id), item_type.field(item, questionnaire, audience, language)
        )
    for question in page.open_questions:
        setattr(PageForm, open_field(question.id), OPEN_TYPE.field(question, audience, language))
    if len(_FORM_CLASSES) >= _FORM_CLASSES_KEPT:
        _FORM_CLASSES.clear()
    _FORM_CLASSES[key] = (questionnaire, PageForm)
    return PageForm


def unknown_fields(formdata: MultiDict, questionnaire: Questionnaire) -> list[str]:
    """Names in a submission that belong to no question of this questionnaire."""
    known = {item_field(item.id) for item in questionnaire.items}
    known |= {open_field(question.id) for question in questionnaire.open_questions}
    return sorted(name for name in formdata if name not in known | CONTROL_FIELDS)


def collect_answers(form: FlaskForm, page: Page, questionnaire: Questionnaire, answers: Answers):
    """Copy every valid value on this page into ``answers``; invalid ones are left out.

    Keeping valid answers even when another question on the page has an error is what lets a
    re-rendered page (or the back button) lose nothing.
    """
    for item in page.items:
        field = form[item_field(item.id)]
        points = questionnaire.scales[item.scale].points
        raw = field.data
        # Only the exact option values: str.isdigit() also passes "²" (int() refuses it) and
        # 5,000 digits (beyond what int() converts), and either would be a 500.
        if raw in {str(point) for point in range(points + 1)}:
            answers.values[item.id] = int(raw)
    for question in page.open_questions:
        text = OPEN_TYPE.parse(form[open_field(question.id)].data)
        if text is None:
            answers.texts.pop(question.id, None)
        else:
            answers.texts[question.id] = text[: question.max_length]
    return answers
