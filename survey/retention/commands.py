"""``klankbord daily`` (close, publish, purge) and ``klankbord purge [--dry-run]``."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from survey import clock
from survey.campaigns.services import close_expired_campaigns
from survey.extensions import db
from survey.models.base import utcnow
from survey.privacy.keys import refuse_wrong_key_in_cli
from survey.privacy.publication import publish
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
    if kind is Kind.SPENT_LINKS:
        return _(
            "Records of answered links of campaigns that ended before %(date)s",
            date=cutoffs.invitations.isoformat(),
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
    _purge(dry_run)


def _purge(dry_run: bool) -> None:
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
        # Too few for a batch of k even for the whole centre: they are real answers, kept
        # until more answers of their group arrive or their school year is past retention.
        click.echo(
            _(
                "%(count)d anonymous answer(s) of ended campaigns wait for a group of at least "
                "%(threshold)d; they are kept, not published.",
                count=outcome.waiting_in_inbox,
                threshold=current_app.config["ANONYMITY_THRESHOLD"],
            )
        )
    if dry_run:
        db.session.rollback()
        click.echo(_("Dry run: nothing was deleted."))
        return
    db.session.commit()


@click.command("daily")
@with_appcontext
def daily_command() -> None:
    """Close expired campaigns, publish batches of k, purge (cron, once a day)."""
    refuse_wrong_key_in_cli()
    today = clock.today()
    threshold = current_app.config["ANONYMITY_THRESHOLD"]
    closed = close_expired_campaigns(today)
    published = publish(today, threshold)
    db.session.commit()
    click.echo(_("%(count)d campaign(s) closed.", count=len(closed)))
    click.echo(
        _(
            "%(published)d answer(s) published in groups of at least %(threshold)d "
            "(%(generalised)d with a coarser school or coach); %(waiting)d wait.",
            published=published.published,
            threshold=threshold,
            generalised=published.generalised,
            waiting=published.waiting,
        )
    )
    if published.unreadable:
        click.echo(
            _(
                "Warning: %(count)d waiting answer(s) do not open under the configured "
                "anonymity key; they are kept, not published. See README, Privacy.",
                count=published.unreadable,
            ),
            err=True,
        )
    _purge(dry_run=False)
