"""A coordinator and a coach log in to the demo centre in a real browser."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def _log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()


def test_coordinator_sees_the_demo_centre(phone, live_server, screenshots):
    _log_in(phone, "coordinator@demo.klankbord.be")
    phone.wait_for_url(re.compile(r"/home$"))
    assert phone.get_by_role("heading", name="Leersteuncentrum Demo").is_visible()
    assert phone.get_by_role("heading", name="Actieve trajecten per verslag").is_visible()
    phone.screenshot(path=str(screenshots / "coordinator-home.png"), full_page=True)

    phone.get_by_role("link", name="Trajecten", exact=True).click()
    phone.get_by_role("link", name="DEMO-0001").click()
    assert phone.get_by_role("heading", name="Traject DEMO-0001").is_visible()
    phone.screenshot(path=str(screenshots / "trajectory.png"), full_page=True)

    # Nothing is fetched from anywhere but our own server.
    assert phone.requested_urls
    assert all(url.startswith(live_server) for url in phone.requested_urls)


def test_wrong_password_is_explained_and_email_kept(phone):
    phone.goto("/login")
    phone.get_by_label("E-mailadres").fill("coordinator@demo.klankbord.be")
    phone.get_by_label("Wachtwoord").fill("helemaal-fout")
    phone.get_by_role("button", name="Aanmelden").click()
    assert phone.get_by_role("alert").inner_text() == (
        "Het e-mailadres of het wachtwoord klopt niet."
    )
    assert phone.get_by_label("E-mailadres").input_value() == "coordinator@demo.klankbord.be"


def test_coach_gets_404_on_a_colleagues_trajectory(phone):
    _log_in(phone, "coach1@demo.klankbord.be")
    phone.wait_for_url(re.compile(r"/home$"))
    listed = set(phone.locator("table a").all_inner_texts())
    assert listed
    own = sorted(listed)[0]
    assert phone.goto(f"/trajectories/{own}").status == 200
    foreign = sorted({f"DEMO-{n:04d}" for n in range(1, 151)} - listed)[0]
    response = phone.goto(f"/trajectories/{foreign}")
    assert response.status == 404
    assert phone.get_by_role("heading", name="Pagina niet gevonden").is_visible()


def test_coach_cycle_matrix_evaluation_on_hold_and_record(phone, browser, live_server, screenshots):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        locale="nl-BE",
        base_url=live_server,
        accept_downloads=True,
    )
    page = context.new_page()
    try:
        _log_in(page, "coach1@demo.klankbord.be")
        page.wait_for_url(re.compile(r"/home$"))
        assert page.get_by_role("heading", name="Mijn trajecten").is_visible()
        page.screenshot(path=str(screenshots / "coach-workspace.png"))
        # An active trajectory whose latest round has answers from several perspectives.
        row = (
            page.locator("table.workspace tbody tr", has=page.locator(".status-active"))
            .filter(has=page.locator("td.state-answered"))
            .first
        )
        code = row.locator("td.code a").inner_text()
        row.get_by_role("link", name="Matrix").click()
        assert page.get_by_role("heading", name=f"Feedbackmatrix van {code}").is_visible()
        assert page.locator("img.chart").get_attribute("alt")
        page.screenshot(path=str(screenshots / "coach-matrix.png"), full_page=True)

        page.goto(f"/trajectories/{code}/evaluations/new")
        for goal in page.locator(".goal").all():
            goal.locator("input[type=radio]").nth(1).check()
        page.get_by_label("Ouder").first.check()
        page.get_by_label("On hold zetten").check()
        page.get_by_label("Reden van on hold").select_option("no_pupil_support_needed")
        page.get_by_label("Bijsturing").fill("Leersteun pauzeert; school volgt op met het plan.")
        page.get_by_role("button", name="Registreer de evaluatie").click()
        assert page.get_by_role("heading", name="Evaluatieverslag").is_visible()
        assert page.get_by_text("Geen nood meer aan leerlingondersteuning").is_visible()
        page.screenshot(path=str(screenshots / "coach-record.png"), full_page=True)
        with page.expect_download() as download:
            page.get_by_role("link", name="Download als PDF").click()
        assert download.value.suggested_filename.startswith(f"evaluatie-{code}")
        page.goto(f"/trajectories/{code}")
        assert page.locator(".status-on_hold").first.is_visible()
    finally:
        context.close()
