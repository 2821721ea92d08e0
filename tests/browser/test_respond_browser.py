"""Respondents on a phone in Chromium: parent, Arabic and pupil flows, weight and axe-core."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from survey.extensions import db
from survey.models import AnonymousResponse, MatrixResponse
from survey.privacy.models import ResponseInbox

pytestmark = pytest.mark.browser
PAGE_BUDGET = 30 * 1024


def _matrix_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(MatrixResponse))


def _anonymous_counts(app) -> tuple[int, int]:
    """Anonymous answers waiting in the inbox, and published."""
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(ResponseInbox)),
            db.session.scalar(select(func.count()).select_from(AnonymousResponse)),
        )


def _answer_every_page(page, choice: int = 2) -> None:
    for _ in range(20):
        for question in page.locator("fieldset.question").all():
            question.locator("input[type=radio]").nth(choice).check()
        button = page.locator("button.primary")
        button.click()
        page.wait_for_load_state()
        if page.url.endswith("/thanks"):
            return
    raise AssertionError("the form never reached its thank-you page")


def _weight(page, url: str) -> int:
    """Bytes of every response the page needs (HTML, CSS, JS, images), uncompressed."""
    sizes = []
    page.on("response", lambda response: sizes.append(len(response.body())))
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return sum(sizes)


def _assert_accessible(page) -> None:
    results = Axe().run(page)
    violations = results.response["violations"]
    assert violations == [], [(v["id"], v["nodes"][0]["target"]) for v in violations]


def test_parent_answers_on_a_phone(phone, invite, live_app, screenshots):
    link = invite("--trajectory", "DEMO-0001", "--role", "parent")
    before = _matrix_count(live_app)
    phone.goto(link)
    assert phone.locator("html").get_attribute("lang") == "nl"
    assert phone.get_by_text("Pagina 1 van 2").is_visible()
    _assert_accessible(phone)
    phone.screenshot(path=str(screenshots / "parent-page-1.png"), full_page=True)
    # Sending without answers: a Dutch message, nothing stored.
    phone.locator("button.primary").click()
    assert phone.get_by_role("alert").is_visible()
    assert phone.get_by_text("Kies een antwoord").first.is_visible()
    _assert_accessible(phone)
    _answer_every_page(phone)
    assert phone.get_by_role("heading", name="Bedankt!").is_visible()
    phone.screenshot(path=str(screenshots / "parent-thanks.png"))
    phone.goto(link)
    assert phone.get_by_role("heading", name="Je hebt al geantwoord").is_visible()
    assert _matrix_count(live_app) == before + 1
    assert all(url.startswith(live_app.config["BASE_URL"]) for url in phone.requested_urls)


def test_arabic_parent_form_is_right_to_left(phone, invite, live_app, screenshots):
    link = invite(
        "--trajectory", "DEMO-0002", "--role", "parent", "--questionnaire", "tevredenheid-ouders"
    )
    phone.goto(f"{link}?lang=ar")
    assert phone.locator("html").get_attribute("dir") == "rtl"
    assert phone.locator("html").get_attribute("lang") == "ar"
    _assert_accessible(phone)
    phone.screenshot(path=str(screenshots / "parent-ar.png"), full_page=True)
    waiting, published = _anonymous_counts(live_app)
    _answer_every_page(phone, choice=3)
    assert phone.locator("html").get_attribute("dir") == "rtl"
    # The answer waits sealed for a batch of k; the respondent's request publishes nothing.
    assert _anonymous_counts(live_app) == (waiting + 1, published)


def test_pupil_form_one_statement_a_screen(phone, invite, screenshots):
    link = invite(
        "--trajectory", "DEMO-0003", "--role", "pupil", "--questionnaire", "tevredenheid-leerlingen"
    )
    phone.goto(link)
    assert phone.locator("body.pupil").count() == 1
    assert phone.locator("fieldset.question").count() == 1
    faces = phone.locator("svg.face")
    assert faces.count() == 3
    _assert_accessible(phone)
    phone.screenshot(path=str(screenshots / "pupil-1.png"), full_page=True)
    # Each face has a visible text label that names its radio button.
    for label in phone.locator(".faces .option").all():
        assert label.inner_text().strip()
    _answer_every_page(phone, choice=2)
    assert phone.url.endswith("/thanks")


@pytest.mark.parametrize(
    ("role", "questionnaire"),
    [
        ("parent", "feedbackmatrix"),
        ("parent", "tevredenheid-ouders"),
        ("pupil", "tevredenheid-leerlingen"),
        ("teacher", "tevredenheid-leraren"),
    ],
)
def test_every_form_page_weighs_at_most_30_kb(phone, invite, role, questionnaire):
    link = invite("--trajectory", "DEMO-0004", "--role", role, "--questionnaire", questionnaire)
    for url in (link, f"{link}?lang=ar"):
        weight = _weight(phone, url)
        assert weight <= PAGE_BUDGET, f"{questionnaire} {url[-8:]}: {weight} bytes"


def test_unknown_link_is_a_calm_404(phone, live_server):
    response = phone.goto(f"{live_server}/r/this-link-does-not-exist")
    assert response.status == 404
    assert phone.get_by_role("heading", name="Deze link werkt niet").is_visible()
    _assert_accessible(phone)


def test_the_form_works_without_javascript(browser, invite, live_server):
    link = invite(
        "--trajectory", "DEMO-0005", "--role", "teacher", "--questionnaire", "tevredenheid-leraren"
    )
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        java_script_enabled=False,
        locale="nl-BE",
        base_url=live_server,
    )
    page = context.new_page()
    try:
        page.goto(link)
        assert page.locator(".read-aloud").count() == 0
        _answer_every_page(page, choice=1)
        assert page.get_by_role("heading", name="Bedankt!").is_visible()
    finally:
        context.close()


FAKE_SPEECH = """
window.__spoken = [];
const voices = [{lang: "nl-BE", name: "Test"}];
Object.defineProperty(window, "speechSynthesis", {value: {
  getVoices: () => voices, cancel: () => {}, addEventListener: () => {},
  speak: (utterance) => window.__spoken.push([utterance.lang, utterance.text]),
}});
window.SpeechSynthesisUtterance = function (text) { this.text = text; };
"""


def test_read_aloud_speaks_the_statement_in_the_forms_language(browser, invite, live_server):
    link = invite(
        "--trajectory", "DEMO-0006", "--role", "pupil", "--questionnaire", "tevredenheid-leerlingen"
    )
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="nl-BE", base_url=live_server
    )
    context.add_init_script(FAKE_SPEECH)
    page = context.new_page()
    try:
        page.goto(link)
        button = page.get_by_role("button", name="Voorlezen")
        assert button.is_visible()
        button.click()
        spoken = page.evaluate("window.__spoken")
        statement = page.locator("fieldset.question .statement").inner_text()
        assert spoken[0][0] == "nl"
        assert spoken[0][1].startswith(statement)
        assert "Een beetje" in spoken[0][1]  # the choices are read too
    finally:
        context.close()


def test_after_a_failed_send_going_back_keeps_the_answers(phone, invite, live_app, monkeypatch):
    """The error page promises the answers are still there on Back: Chromium keeps that promise.

    The form is sent with Cache-Control: no-store, so Back loads it again; the answers return
    because the browser restores what was typed into the page it goes back to.
    """
    link = invite(
        "--trajectory", "DEMO-0001", "--role", "teacher", "--questionnaire", "tevredenheid-leraren"
    )
    phone.goto(link)
    for question in phone.locator("fieldset.question").all():
        question.locator("input[type=radio]").nth(1).check()
    comment = phone.locator("textarea").first
    comment.fill("Graag meer overleg met de klas")
    chosen = phone.locator("input[type=radio]:checked").count()

    def database_away(*_args):
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    waiting, published = _anonymous_counts(live_app)
    monkeypatch.setattr("survey.respond.routes.submit", database_away)
    phone.locator("button.primary").click()
    assert phone.get_by_text("Je antwoorden zijn misschien niet aangekomen").is_visible()
    assert _anonymous_counts(live_app) == (waiting, published)

    monkeypatch.undo()  # the database is back
    phone.go_back()
    assert phone.locator("input[type=radio]:checked").count() == chosen
    assert phone.locator("textarea").first.input_value() == "Graag meer overleg met de klas"
    phone.locator("button.primary").click()
    assert phone.get_by_role("heading", name="Bedankt!").is_visible()
    assert _anonymous_counts(live_app) == (waiting + 1, published)
