"""Attack 6: two pulls of the staff outputs around one publication, subtracted.

A staff member or API user pulls the JSON API (``/api/v1/results``), the CSV export and the
XLSX export (``klankbord report``) after every day's publication and every closing. Between
two consecutive pulls every group's n must change by 0 or by at least k; a change of one gives
a respondent's whole answer vector (per-point counts, or n times the mean, of each
statement), and a comment appearing with fewer than k new respondents is isolated.
"""

from __future__ import annotations

from itertools import pairwise

from tests.privacy.outputs import Figures, isolated_comments, subtract


def test_two_pulls_around_a_publication_isolate_no_respondent(story):
    k = story.threshold
    patterns = [link.values for link in story.links]
    comments = {link.comment for link in story.links}
    problems = []
    for name in ("api", "csv", "xlsx"):
        findings = []
        for before, after in pairwise(story.pulls):
            findings += subtract(
                Figures.of(getattr(before, name)), Figures.of(getattr(after, name)), after.label, k
            )
        if findings:
            vectors = [f for f in findings if f.vector is not None]
            exact = [f for f in vectors if f.vector in patterns]
            changes = ", ".join(
                f"{' '.join(filter(None, f.group[1:]))} {f.change:+d} at {f.step}" for f in findings
            )
            problems.append(
                f"{name}: {len(findings)} group changes below k={k} ({changes}); "
                f"{len(vectors)} single answer vectors isolated, {len(exact)} of them "
                "exactly one parent's answers"
            )
    isolated = []
    for before, after in pairwise(story.pulls):
        isolated += isolated_comments(
            before.comments,
            after.comments,
            Figures.of(before.xlsx).n,
            Figures.of(after.xlsx).n,
            k,
        )
    if isolated:
        theirs = [text for text in isolated if any(c in text for c in comments)]
        problems.append(
            f"xlsx comments: {len(isolated)} isolated by subtraction, {len(theirs)} of them "
            "one parent's own comment"
        )
    assert not problems, "two pulls around a publication: " + "; ".join(problems)
