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
    assert all(i.email_sent and i.email for i in invitations)  # kept for the one reminder

    # An answers; then the reminder reaches only Bert, with a second working link.
    path = links["an@example.org"].split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path).get_data(as_text=True)
    names = set(re.findall(r'name="(item-[^"]+)"', page))
    token = csrf_in(page)
    client.post("/" + path, data=dict.fromkeys(names, "3") | {"csrf_token": token, "page": "0"})
    campaign = db.session.scalar(select(Campaign))
    smtp.messages.clear()
    result = runner.invoke(args=["campaigns", "remind", str(campaign.id)])
    assert result.exit_code == 0, result.output
    assert [m["To"] for m in smtp.messages] == ["bert@example.org"]
    reminder = re.search(r"https?://\S+/r/\S+", smtp.body(0)).group(0)
    assert reminder != links["bert@example.org"]
    for link in (reminder, links["bert@example.org"]):
        assert client.get(link.split("127.0.0.1:5000", 1)[-1]).status_code == 200
    db.session.expire_all()
    assert [i.email for i in db.session.scalars(select(Invitation))] == [None, None]
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
