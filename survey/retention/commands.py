"""``klankbord purge [--dry-run]``: delete what is past its retention period (run daily)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from survey import clock
from survey.extensions import db
from survey.models.base import utcnow
from survey.retention.services import Cutoffs, Kind, RetentionPolicy, purge


def describe(kind: Kind, cutoffs: Cutoffs) -> str:
    """What one line of the report counts, with the cutoff it used."""
    if kind is Kind.ANONYMOUS_RESPONSES:
        return _(
            "Anonymous answers of school years before %(school_year)s",
            school_year=cutoffs.school_year,
        )
    if kind is Kind.MATRIX_RESPONSES:
        return _(
            "Feedbackmatrix answers of trajectories closed before %(date)s",
            date=cutoffs.matrix.isoformat(),
        )
    if kind is Kind.DRAFTS:
        return _(
            "Unfinished answers (drafts) last saved before %(date)s",
            date=cutoffs.drafts.isoformat(),
        )
    if kind is Kind.INVITATIONS:
        return _(
            "Invitations of campaigns that ended before %(date)s, no longer counted in a "
            "response rate",
            date=cutoffs.invitations.isoformat(),
        )
    if kind is Kind.EMAIL_ADDRESSES:
        return _(
            "E-mail addresses erased from invitations of campaigns that ended before %(date)s",
            date=cutoffs.invitations.isoformat(),
        )
    if kind is Kind.AUDIT_ENTRIES:
        return _("Audit log entries from before %(date)s", date=cutoffs.audit.isoformat())
    return _("Expired password links")


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
@with_appcontext
def purge_command(dry_run: bool) -> None:
    """Delete answers, drafts, invitations, audit entries and links past their period."""
    policy = RetentionPolicy.from_config(current_app.config)
    try:
        outcome = purge(policy, clock.today(), utcnow(), dry_run=dry_run)
    except Exception:
        db.session.rollback()
        raise
    click.echo(_("Would be deleted (dry run):") if dry_run else _("Deleted:"))
    for kind in Kind:
        click.echo(
            _(
                "%(what)s: %(count)d",
                what=describe(kind, outcome.cutoffs),
                count=outcome.counts[kind],
            )
        )
    if outcome.waiting_in_inbox:
        # They should have been published when their campaign closed. They are real answers
        # that belong in the council's figures, so they are reported, not deleted.
        click.echo(
            _(
                "Warning: %(count)d anonymous answer(s) of closed campaigns still wait to be "
                "published. They were not deleted; publish them with "
                "'klankbord publish-responses --all'.",
                count=outcome.waiting_in_inbox,
            ),
            err=True,
        )
    if dry_run:
        db.session.rollback()
        click.echo(_("Dry run: nothing was deleted."))
        return
    db.session.commit()
