"""Letters (A4 PDF with QR codes) and e-mail through a real local SMTP server."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from survey.campaigns.delivery import letters_pdf, render_letters
from survey.campaigns.services import campaign_for_trajectory, issue_invitations
from survey.models import Audience, Campaign, Invitation
from tests.conftest import TODAY, csrf_in

pytestmark = pytest.mark.usefixtures("today")


@pytest.fixture
def trajectory(make):
    centre = make.centre(code="lsc-mail")
    return make.trajectory(make.school(centre, name="VBS De Linde"), code="MAIL-001")


def test_letters_have_one_a4_page_per_invitee(db, trajectory):
    campaign = campaign_for_trajectory(trajectory, Audience.PARENT, TODAY, "tevredenheid-ouders")
    issued = issue_invitations(campaign, Audience.PARENT, 3, TODAY, language="fr")
    document = render_letters(campaign, issued, "fr")
    assert len(document.pages) == 3
    # A4 is 210 x 297 mm, which CSS measures as 793.7 x 1122.5 px.
    assert [(round(p.width), round(p.height)) for p in document.pages] == [(794, 1123)] * 3
    assert letters_pdf(campaign, issued, "fr").startswith(b"%PDF")


def test_cli_writes_letters_and_prints_links(runner, db, trajectory, tmp_path):
    target = tmp_path / "brieven.pdf"
    result = runner.invoke(
        args=[
            "invite",
            "--trajectory",
            "MAIL-001",
            "--role",
            "parent",
            "--questionnaire",
            "tevredenheid-ouders",
            "--count",
            "2",
            "--language",
            "tr",
            "--letters",
            str(target),
        ]
    )
    assert result.exit_code == 0, result.output
    links = [line for line in result.output.splitlines() if "/r/" in line]
    assert len(links) == 2
    assert all(link.endswith("?lang=tr") for link in links)
    assert target.read_bytes().startswith(b"%PDF")


def _columns(db) -> list[dict]:
    """Every column of every invitation, as stored."""
    rows = db.session.execute(select(Invitation.__table__).order_by(Invitation.id))
    return [dict(row._mapping) for row in rows]


def test_emails_are_sent_reminded_once_and_then_forgotten(
    app, runner, client, db, smtp, trajectory, tmp_path
):
    addresses = tmp_path / "ouders.txt"
    addresses.write_text("an@example.org\n# a comment\nbert@example.org\n", encoding="utf-8")
    result = runner.invoke(
        args=[
            "invite",
            "--trajectory",
            "MAIL-001",
            "--role",
            "parent",
            "--questionnaire",
            "tevredenheid-ouders",
            "--emails",
            str(addresses),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "2 uitnodiging(en)" in result.output
    assert "/r/" not in result.output  # mailed, not printed
    assert sorted(m["To"] for m in smtp.messages) == ["an@example.org", "bert@example.org"]
    links = {
        m["To"]: re.search(r"https?://\S+/r/\S+", smtp.body(i)).group(0)
        for i, m in enumerate(smtp.messages)
    }
    assert "anoniem" in smtp.body(0)
    invitations = db.session.scalars(select(Invitation)).all()
    # Kept for the one reminder: the address, and the link sealed under the anonymity key
    # (never the token itself, nor anything a token could be matched with).
    assert all(i.email_sent and i.email and i.sealed_link for i in invitations)
    for link in links.values():
        token = link.rsplit("/r/", 1)[1].encode()
        assert not any(token in i.sealed_link for i in invitations)
    before = _columns(db)

    # An answers. Nothing about An's invitation changes: answering writes a nullifier
    # elsewhere, and erasing An's address now would time the answer.
    path = links["an@example.org"].split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path).get_data(as_text=True)
    names = set(re.findall(r'name="(item-[^"]+)"', page))
    token = csrf_in(page)
    answered = client.post(
        "/" + path, data=dict.fromkeys(names, "3") | {"csrf_token": token, "page": "0"}
    )
    assert answered.status_code == 302
    assert answered.headers["Location"].endswith("/thanks")
    db.session.expire_all()
    assert _columns(db) == before

    # The reminder goes to every address, answered or not (choosing would write which links
    # were spent into the invitations), with the same link and a thank-you for who answered.
    campaign = db.session.scalar(select(Campaign))
    smtp.messages.clear()
    result = runner.invoke(args=["campaigns", "remind", str(campaign.id)])
    assert result.exit_code == 0, result.output
    assert sorted(m["To"] for m in smtp.messages) == ["an@example.org", "bert@example.org"]
    for i, message in enumerate(smtp.messages):
        body = smtp.body(i)
        assert message["Subject"].startswith("Herinnering: ")
        assert "Heb je dat al gedaan? Dank je wel" in body
        assert re.search(r"https?://\S+/r/\S+", body).group(0) == links[message["To"]]
    # In a browser that never opened it, An's link says "already answered"; Bert's still opens
    # the form, with the answers it asks.
    browser = app.test_client()
    used = browser.get(links["an@example.org"].split("127.0.0.1:5000", 1)[-1])
    assert used.status_code == 200
    assert "Je hebt al geantwoord" in used.get_data(as_text=True)
    fresh = browser.get(links["bert@example.org"].split("127.0.0.1:5000", 1)[-1])
    assert fresh.status_code == 200
    assert set(re.findall(r'name="(item-[^"]+)"', fresh.get_data(as_text=True))) == names
    # Every address went, with its sealed link, in one go.
    db.session.expire_all()
    assert [
        (i.email, i.sealed_link, i.reminder_sent) for i in db.session.scalars(select(Invitation))
    ] == [(None, None, True)] * 2
    # A second reminder sends nothing.
    smtp.messages.clear()
    runner.invoke(args=["campaigns", "remind", str(campaign.id)])
    assert smtp.messages == []


def test_unreachable_mail_server_is_a_clear_error_and_nothing_is_kept(
    app, runner, db, trajectory, tmp_path
):
    addresses = tmp_path / "ouders.txt"
    addresses.write_text("an@example.org\n", encoding="utf-8")
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1)
    try:
        result = runner.invoke(
            args=[
                "invite",
                "--trajectory",
                "MAIL-001",
                "--role",
                "parent",
                "--emails",
                str(addresses),
            ]
        )
    finally:
        app.config.update(SMTP_HOST="localhost", SMTP_PORT=25)
    assert result.exit_code == 1
    assert "mailserver" in result.output
    assert db.session.scalar(select(Invitation)) is None


def test_bad_address_names_its_line(runner, db, trajectory, tmp_path):
    addresses = tmp_path / "ouders.txt"
    addresses.write_text("an@example.org\ngeen adres\n", encoding="utf-8")
    result = runner.invoke(
        args=["invite", "--trajectory", "MAIL-001", "--role", "parent", "--emails", str(addresses)]
    )
    assert result.exit_code == 1
    assert "Regel 2" in result.output
