"""The respondent's pages behind ``/r/<token>``: no account, works without JavaScript."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from markupsafe import Markup
from werkzeug.wrappers import Response

from questionnaires import Questionnaire
from survey import clock
from survey.campaigns.services import questionnaire_of
from survey.extensions import csrf, db
from survey.languages import LANGUAGES, choose_language, current_language, direction
from survey.limits import throttle_link_guessing
from survey.models import Audience, CampaignStatus
from survey.privacy.links import OpenedLink, link_spent, open_link
from survey.privacy.tokens import read_link
from survey.respond.forms import build_page_form, collect_answers, unknown_fields
from survey.respond.services import (
    Answers,
    first_missing_page,
    load_draft,
    plan_pages,
    save_draft,
    submit,
)

bp = Blueprint("respond", __name__, url_prefix="/r")
# The form carries its own CSRF field, checked in form.validate(), so that a failed check
# re-renders the page with the answers kept instead of throwing them away.
csrf.exempt(bp)


@bp.before_request
def pick_language() -> None:
    choose_language()


@bp.after_request
def private_headers(response: Response) -> Response:
    # The token is in the URL: never send it on to another site, never cache the page.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_context_processor
def respondent_context() -> dict[str, object]:
    language = current_language()
    return {"languages": LANGUAGES, "language": language, "direction": direction(language)}


# Links this browser has opened, so that it keeps access to them while its network's address
# is throttled for guessing (survey.limits.throttle_link_guessing).
OPENED_LINKS = "opened_links"
_OPENED_LINKS_KEPT = 5


def _link_mark(token: str) -> str | None:
    # The session is signed, so a mark cannot be forged without having opened the link.
    link = read_link(token)
    return link.browser_mark if link is not None else None


def _opened_in_this_browser() -> bool:
    mark = _link_mark((request.view_args or {}).get("token", ""))
    return mark is not None and mark in session.get(OPENED_LINKS, [])


def _remember_opened(token: str) -> None:
    mark = _link_mark(token)
    opened = session.get(OPENED_LINKS, [])
    if mark is not None and mark not in opened:
        session[OPENED_LINKS] = [*opened[-(_OPENED_LINKS_KEPT - 1) :], mark]


# Links this browser has just answered, so that the thank-you page after the submission needs
# no database round trip (a third of a respondent's requests). The session is signed: only a
# submission that was stored can put a mark here.
ANSWERED_LINKS = "answered_links"


def _remember_answered(token: str) -> None:
    mark = _link_mark(token)
    answered = session.get(ANSWERED_LINKS, [])
    if mark is not None and mark not in answered:
        session[ANSWERED_LINKS] = [*answered[-(_OPENED_LINKS_KEPT - 1) :], mark]


def _answered_in_this_browser(token: str) -> bool:
    mark = _link_mark(token)
    return mark is not None and mark in session.get(ANSWERED_LINKS, [])


def _link_or_404(token: str) -> OpenedLink:
    opened = open_link(token)
    if opened is None:
        abort(404)  # counted by throttle_link_guessing
    _remember_opened(token)
    return opened


@bp.errorhandler(RateLimitExceeded)
def too_many_unknown_links(_error: RateLimitExceeded) -> tuple[str, int, dict[str, str]]:
    # A respondent's page in their language, not the staff login's; a fixed hint rather than
    # the exact reset time.
    return render_template("respond/too_many_requests.html"), 429, {"Retry-After": "60"}


def _unavailable(opened: OpenedLink) -> str | None:
    """The calm page for a link that cannot be answered now, if any."""
    campaign = opened.campaign
    today = clock.today()
    ended = campaign.ended_on(today)
    if ended is not None:
        return render_template("respond/closed.html", closed_on=ended)
    if campaign.status is CampaignStatus.DRAFT or today < campaign.opens_on:
        return render_template("respond/not_yet.html", opens_on=campaign.opens_on)
    return None


@bp.route("/<token>", methods=["GET", "POST"])
@throttle_link_guessing(exempt_when=_opened_in_this_browser)
def answer(token: str) -> str | Response | tuple[str, int]:
    opened = _link_or_404(token)
    if opened.spent:
        if request.method == "POST":  # a double tap or resubmit: calm, nothing stored twice
            _remember_answered(token)
            return redirect(url_for("respond.thanks", token=token))
        return render_template("respond/used.html")
    unavailable = _unavailable(opened)
    if unavailable is not None:
        return unavailable

    questionnaire = questionnaire_of(opened.campaign)
    audience = opened.link.audience.value
    language = current_language()
    text_language = language if language in questionnaire.languages else "nl"
    pages = plan_pages(questionnaire, audience)
    answers = load_draft(opened)
    try:
        number = min(max(int(request.values.get("page", 0)), 0), len(pages) - 1)
    except ValueError:
        number = 0
    page = pages[number]
    formdata = request.form if request.method == "POST" else None
    form = build_page_form(page, questionnaire, audience, text_language, formdata, answers)
    notice = _("Some questions still need an answer.") if request.args.get("missing") else None
    errors: list[str] = []

    if request.method == "POST":
        action = request.form.get("action", "submit")
        collect_answers(form, page, questionnaire, answers)
        if action == "back" and number > 0:
            # Going back needs no complete page, but it stores a draft: only the CSRF token
            # is checked, and a wrong one is refused like on every other action. (The form
            # has no token field only where WTF_CSRF_ENABLED is off.)
            if "csrf_token" not in form or form.csrf_token.validate(form):
                return _keep_draft(opened, answers, token) or redirect(
                    url_for("respond.answer", token=token, page=number - 1)
                )
            errors.append(_("For your security, please send your answers again."))
            return _render_form(opened, questionnaire, form, pages, number, errors, notice), 422
        if unknown_fields(request.form, questionnaire):
            errors.append(
                _(
                    "This form contained answers to questions it does not have. "
                    "Please check your answers and send them again."
                )
            )
        valid = form.validate() and not errors
        if form.errors.get("csrf_token"):
            errors.append(_("For your security, please send your answers again."))
        if action == "save" and not errors:
            answered = _keep_draft(opened, answers, token)
            if answered is not None:
                return answered
            notice = _("Your answers are saved. You can come back later with the same link.")
        elif valid and action == "next" and number < len(pages) - 1:
            return _keep_draft(opened, answers, token) or redirect(
                url_for("respond.answer", token=token, page=number + 1)
            )
        elif valid:
            missing = first_missing_page(pages, answers)
            if missing is not None:
                return _keep_draft(opened, answers, token) or redirect(
                    url_for("respond.answer", token=token, page=missing, missing=1)
                )
            # Publication never happens here (survey.privacy.publication): the k-th
            # respondent's own request must not publish the batch their answer completes.
            submit(opened, answers, clock.today())
            db.session.commit()
            _remember_answered(token)
            return redirect(url_for("respond.thanks", token=token))
        status = 422 if (errors or form.errors) else 200
        return _render_form(opened, questionnaire, form, pages, number, errors, notice), status

    return _render_form(opened, questionnaire, form, pages, number, errors, notice)


def _keep_draft(opened: OpenedLink, answers: Answers, token: str) -> Response | None:
    """Save the draft; if the link was answered meanwhile (another tab), the page saying so."""
    if save_draft(opened, answers, clock.today()):
        db.session.commit()
        return None
    return redirect(url_for("respond.answer", token=token))


def _render_form(opened, questionnaire, form, pages, number, errors, notice) -> str:
    language = current_language()
    text_language = language if language in questionnaire.languages else "nl"
    page = pages[number]
    items = [
        (item, questionnaire.scales[item.scale], form[f"item-{item.id}"]) for item in page.items
    ]
    open_questions = [(question, form[f"open-{question.id}"]) for question in page.open_questions]
    fields = _fields_html(
        questionnaire, page, opened.link.audience, text_language, items, open_questions, form
    )
    return render_template(
        "respond/form.html",
        token_url=request.path,
        form=form,
        fields_html=fields,
        number=number,
        page_count=len(pages),
        errors=errors,
        notice=notice,
        title=questionnaire.title.get(text_language) or questionnaire.title["nl"],
        intro=questionnaire.intro.get(text_language) or questionnaire.intro.get("nl", ""),
        privacy=questionnaire.privacy.get(text_language) or questionnaire.privacy.get("nl", ""),
        is_pupil=opened.link.audience is Audience.PUPIL,
        text_language=text_language,
        questionnaire_languages=[code for code in LANGUAGES if code in questionnaire.languages],
    )


# The questions of a page nobody has answered yet, rendered: the same for every respondent of
# a questionnaire version, page, audience and language, and most of a form page's rendering
# time. Keyed like the form classes (survey.respond.forms), with the questionnaire kept in the
# value so that a reused id() cannot return another questionnaire's page.
_BLANK_FIELDS: dict[tuple, tuple[Questionnaire, Markup]] = {}
_BLANK_FIELDS_KEPT = 512


def _fields_html(
    questionnaire, page, audience, text_language, items, open_questions, form
) -> Markup:
    def render() -> Markup:
        # S704: the partial is rendered with autoescaping on, like the page around it.
        return Markup(  # noqa: S704
            render_template(
                "respond/_fields.html",
                items=items,
                open_questions=open_questions,
                text_language=text_language,
            )
        )

    blank = not form.errors and not any(field.data for *_, field in items + open_questions)
    if not blank:
        return render()
    key = (id(questionnaire), tuple(page.ids), audience, text_language, current_language())
    cached = _BLANK_FIELDS.get(key)
    if cached is not None and cached[0] is questionnaire:
        return cached[1]
    html = render()
    if len(_BLANK_FIELDS) >= _BLANK_FIELDS_KEPT:
        _BLANK_FIELDS.clear()
    _BLANK_FIELDS[key] = (questionnaire, html)
    return html


@bp.route("/<token>/thanks")
@throttle_link_guessing(exempt_when=_opened_in_this_browser)
def thanks(token: str) -> str | Response:
    if _answered_in_this_browser(token):
        return render_template("respond/thanks.html")
    used = link_spent(token)
    if used is None:
        abort(404)  # counted by throttle_link_guessing
    _remember_opened(token)
    if not used:
        return redirect(url_for("respond.answer", token=token))
    return render_template("respond/thanks.html")
