"""Keep each questionnaire version that has answers exactly as it was answered."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select

from questionnaires import Questionnaire, load_builtin, questionnaire_from_definition
from survey.extensions import db
from survey.models import MatrixResponse, QuestionnaireMode
from survey.models import QuestionnaireVersion as Version
from survey.privacy.store import answers_to_version


class ChangedVersionError(Exception):
    """A questionnaire file changed while its version already has responses."""

    def __init__(self, questionnaire: Questionnaire, responses: int) -> None:
        self.questionnaire = questionnaire
        self.responses = responses
        super().__init__(
            f"{questionnaire.id} version {questionnaire.version} has {responses} responses "
            "and its file changed"
        )


@dataclass(frozen=True)
class RegisterResult:
    added: list[str]
    updated: list[str]
    unchanged: list[str]


# Parsed questionnaires by (content hash, label). A registered definition changes only
# together with its hash, so an entry never goes stale; validating the definition again on
# every request was a measurable share of a respondent's submission (bench/load.py).
_PARSED: dict[tuple[str, str], Questionnaire] = {}
_PARSED_KEPT = 256


def questionnaire_for(version: Version) -> Questionnaire:
    """The questionnaire a registered version holds, parsed once per process."""
    key = (version.content_hash, version.label)
    found = _PARSED.get(key)
    if found is None:
        if len(_PARSED) >= _PARSED_KEPT:
            _PARSED.clear()
        found = _PARSED[key] = questionnaire_from_definition(version.definition, version.label)
    return found


def response_count(version: Version) -> int:
    """Answers given to ``version``: stored, or (anonymous) published or still waiting."""
    if version.mode is QuestionnaireMode.OPEN:
        return (
            db.session.scalar(
                select(func.count())
                .select_from(MatrixResponse)
                .where(MatrixResponse.questionnaire_version_id == version.id)
            )
            or 0
        )
    return answers_to_version(version.id)


def register_questionnaires(questionnaires: Iterable[Questionnaire]) -> RegisterResult:
    """Store each questionnaire version; refuse to alter a version that has responses.

    A version without responses may still be edited in place (a typo fixed before the first
    answer); once it is answered, a change needs a new version number so that every stored
    answer keeps the exact wording it was given to.
    """
    added, updated, unchanged = [], [], []
    for questionnaire in questionnaires:
        label = f"{questionnaire.id} v{questionnaire.version}"
        version = db.session.scalar(
            select(Version).where(
                Version.questionnaire_id == questionnaire.id,
                Version.version == questionnaire.version,
            )
        )
        if version is None:
            db.session.add(
                Version(
                    questionnaire_id=questionnaire.id,
                    version=questionnaire.version,
                    mode=QuestionnaireMode(questionnaire.mode),
                    content_hash=questionnaire.content_hash,
                    definition=questionnaire.definition,
                )
            )
            added.append(label)
        elif version.content_hash == questionnaire.content_hash:
            unchanged.append(label)
        else:
            answered = response_count(version)
            if answered:
                raise ChangedVersionError(questionnaire, answered)
            version.mode = QuestionnaireMode(questionnaire.mode)
            version.content_hash = questionnaire.content_hash
            version.definition = questionnaire.definition
            updated.append(label)
    db.session.flush()
    return RegisterResult(added, updated, unchanged)


def register_builtin_questionnaires() -> RegisterResult:
    return register_questionnaires(load_builtin().values())


def current_version(questionnaire_id: str) -> Version | None:
    """The highest registered version of a questionnaire."""
    return db.session.scalar(
        select(Version)
        .where(Version.questionnaire_id == questionnaire_id)
        .order_by(Version.version.desc())
        .limit(1)
    )
