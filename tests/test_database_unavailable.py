"""The respondent's page when the database cannot be reached: accurate about the answers.

A failed POST may have stored the answers (the commit may have gone through before the
connection broke) or not, so the page asks to send them again, which is harmless: a spent
link passes a POST on to the thank-you page. A failed GET (the form, the thank-you page) says
the page could not be loaded. Both are a 503 with Retry-After, in the respondent's language.

The app here points at a database that is not there: a SQLite file in a missing folder, and a
PostgreSQL port nobody listens on; each driver's own OperationalError reaches the handler.
The links are genuine ones (their MAC verifies under the app's key), so the route goes to the
database; a token Klankbord did not make is a 404 without one.
"""

from __future__ import annotations

import socket

import pytest
from flask import Flask

from survey.models import Audience
from survey.privacy.tokens import new_link
from tests.conftest import make_app

FORGED = "/r/abcdefghijklmnopqrstuvwxyz012345"

SENDING = {
    "nl": (
        "Je antwoorden zijn misschien niet aangekomen. Ga terug (de antwoorden op de pagina "
        "staan er nog) en verstuur ze zo meteen opnieuw.",
        "Zijn ze toch aangekomen, dan zie je gewoon de bedankpagina.",
    ),
    "fr": (
        "Vos réponses ne sont peut-être pas arrivées.",
        "Si elles sont bien arrivées, vous verrez simplement la page de remerciement.",
    ),
    "ar": ("ربما لم تصل إجاباتك.", "فستظهر لك ببساطة صفحة الشكر"),
}
LOADING = {
    "nl": (
        "Deze pagina kon nu niet geladen worden. Probeer het zo meteen opnieuw.",
        "Antwoorden die je al verstuurd hebt, blijven bewaard.",
    ),
    "fr": (
        "Cette page n'a pas pu être chargée pour le moment.",
        "Les réponses que vous avez déjà envoyées sont conservées.",
    ),
    "ar": ("تعذّر تحميل هذه الصفحة الآن.", "الإجابات التي أرسلتها من قبل محفوظة."),
}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(params=["sqlite", "postgresql"])
def unreachable(request, tmp_path) -> Flask:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/missing-folder/klankbord.sqlite"
    else:
        url = f"postgresql+psycopg://klankbord:klankbord@127.0.0.1:{_closed_port()}/klankbord"
    return make_app(url)


def _link(app: Flask) -> str:
    """The path of a link this app made (campaign 1 needs no row: nothing is looked up)."""
    with app.app_context():
        return f"/r/{new_link(1, Audience.PARENT)}"


def _check(response, language: str, shown: tuple[str, ...], hidden: tuple[str, ...]) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.headers["Cache-Control"] == "no-store"  # still the respondent's headers
    assert f'lang="{language}"' in html
    for text in shown:
        assert text in html
    for text in hidden:
        assert text not in html
    assert "niet verstuurd" not in html
    return html


@pytest.mark.parametrize("language", ["nl", "fr", "ar"])
def test_a_failed_send_asks_to_send_again(unreachable, language):
    client = unreachable.test_client()
    response = client.post(f"{_link(unreachable)}?lang={language}", data={"action": "submit"})
    html = _check(response, language, SENDING[language], LOADING[language])
    assert ('dir="rtl"' in html) == (language == "ar")


@pytest.mark.parametrize("language", ["nl", "fr", "ar"])
@pytest.mark.parametrize("page", ["", "/thanks"])
def test_a_page_that_failed_to_load_says_so(unreachable, language, page):
    client = unreachable.test_client()
    response = client.get(f"{_link(unreachable)}{page}?lang={language}")
    _check(response, language, LOADING[language], SENDING[language])


@pytest.mark.parametrize("page", ["", "/thanks"])
def test_a_link_klankbord_did_not_make_is_a_404_without_the_database(unreachable, page):
    """Its MAC does not verify, so no query is sent: the calm 404, not the 503."""
    client = unreachable.test_client()
    for response in (client.get(f"{FORGED}{page}"), client.post(FORGED, data={"action": "x"})):
        assert response.status_code == 404
        assert "Deze link werkt niet" in response.get_data(as_text=True)
    other_app = make_app("sqlite://")  # another key: its links are forged here too
    response = client.get(f"{_link(other_app)}{page}")
    assert response.status_code == 404


def test_a_bug_while_sending_gets_the_same_careful_page(tmp_path, monkeypatch):
    """A 500 (a bug, not the database) after a POST: the answers may or may not be stored."""

    def broken(_token):
        raise RuntimeError("a bug")

    monkeypatch.setattr("survey.respond.routes.open_link", broken)
    app = make_app(f"sqlite:///{tmp_path}/klankbord.sqlite", PROPAGATE_EXCEPTIONS=False)
    client = app.test_client()
    link = _link(app)
    response = client.post(link, data={"action": "submit"})
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert SENDING["nl"][0] in html
    assert LOADING["nl"][0] not in html
    response = client.get(link)
    assert response.status_code == 500
    assert LOADING["nl"][0] in response.get_data(as_text=True)
