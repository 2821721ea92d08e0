"""The demo centre: 12 schools, 8 coaches, 150 trajectories and two school years of answers.

Everything comes from one seeded random generator and a fixed reference day, so two runs on
two machines produce the same centre. The answers follow a simple latent-trait model (a
respondent's attitude plus school, coach, item and year effects, cut into scale points) so
that schools and coaches differ the way they do in real data, and the weak spots the
inspectorate found (teachers' own goals, parents' involvement in goal setting) show up.
"""

from __future__ import annotations

import os
import random
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from questionnaires import Questionnaire
from survey.demo.data import (
    ADMIN_EMAIL,
    AGREE_CUTS,
    CLOSE_WEIGHTS,
    COACHES,
    COORDINATOR_EMAIL,
    DEMO_CENTRE_CODE,
    DEMO_CENTRE_NAME,
    DEMO_DOMAIN,
    DISABILITY_WEIGHTS,
    FACES_CUTS,
    GOALS,
    HOLD_WEIGHTS,
    MATRIX_COMMENTS,
    PARENT_COMMENTS,
    PASSWORD_FILE,
    PERSPECTIVE_EFFECTS,
    REFERENCE_DAY,
    SCHOOL_YEARS,
    SCHOOLS,
    SEED,
    TEACHER_COMMENTS,
    THEME_EFFECTS,
    TRAJECTORY_COUNT,
    YEAR_EFFECT,
)
from survey.extensions import db
from survey.models import (
    Answer,
    Audience,
    Campaign,
    CampaignScope,
    CampaignStatus,
    Centre,
    Decision,
    DisabilityType,
    Evaluation,
    Focus,
    Goal,
    GoalProgress,
    GoalResult,
    Invitation,
    Level,
    MatrixAnswer,
    MatrixComment,
    MatrixResponse,
    ReportType,
    Role,
    School,
    StaffUser,
    Trajectory,
    TrajectoryStatus,
)
from survey.privacy.inbox import Attributes
from survey.privacy.publication import PublishedAnswer, store_published
from survey.questionnaire_versions.services import (
    current_version,
    questionnaire_for,
    register_builtin_questionnaires,
)
from survey.schoolyear import school_year_bounds


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    password_source: str


@dataclass(frozen=True)
class DemoResult:
    created: bool
    logins: list[DemoLogin]


def demo_password(instance_path: Path) -> tuple[str, str]:
    """``KLANKBORD_DEMO_PASSWORD``, or one generated once and kept in the instance folder.

    Keeping it (mode 0600) lets ``make run`` print the login on every start.
    """
    from_env = os.environ.get("KLANKBORD_DEMO_PASSWORD")
    if from_env:
        return from_env, "env"
    password_file = instance_path / PASSWORD_FILE
    if password_file.exists():
        return password_file.read_text(encoding="utf-8").strip(), "file"
    instance_path.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(password)
    return password, "generated"


def demo_emails() -> list[str]:
    return [
        COORDINATOR_EMAIL,
        *(f"coach{number}@{DEMO_DOMAIN}" for number in range(1, len(COACHES) + 1)),
        ADMIN_EMAIL,
    ]


def find_demo_centre() -> Centre | None:
    return db.session.scalar(select(Centre).where(Centre.code == DEMO_CENTRE_CODE))


def load_demo(password: str, password_source: str) -> DemoResult:
    """Create the demo centre unless it exists; either way, make the demo logins work.

    Idempotent: a second run adds nothing. It only re-sets the demo accounts' password when
    it differs from the one given (e.g. ``KLANKBORD_DEMO_PASSWORD`` was set later).
    """
    register_builtin_questionnaires()
    centre = find_demo_centre()
    created = centre is None
    if created:
        _build(random.Random(SEED), password)  # noqa: S311 - synthetic data, not security
    else:
        for user in db.session.scalars(select(StaffUser).where(StaffUser.email.in_(demo_emails()))):
            if not user.check_password(password):
                user.set_password(password)
    db.session.flush()
    return DemoResult(
        created=created,
        logins=[DemoLogin(email, password, password_source) for email in demo_emails()],
    )


def demo_parent_link(today: date) -> str:
    """A fresh single-use parent link to DEMO-0001's feedbackmatrix round."""
    from survey.campaigns.services import campaign_for_trajectory, issue_invitations

    centre = find_demo_centre()
    trajectory = db.session.scalar(
        select(Trajectory).where(Trajectory.centre_id == centre.id, Trajectory.code == "DEMO-0001")
    )
    campaign = campaign_for_trajectory(trajectory, Audience.PARENT, today)
    return issue_invitations(campaign, Audience.PARENT, 1, today)[0].url()


# --------------------------------------------------------------------------- building


def _pick(rng: random.Random, weights: dict) -> object:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _uuid(rng: random.Random) -> uuid.UUID:
    # Seeded so the demo is reproducible; real responses use uuid4() from the OS.
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _build(rng: random.Random, password: str) -> None:
    centre = Centre(code=DEMO_CENTRE_CODE, name=DEMO_CENTRE_NAME)
    db.session.add(centre)
    schools = [
        School(centre=centre, name=name, institution_number=number, levels=[x.value for x in lv])
        for name, number, lv, _size, _effect in SCHOOLS
    ]
    coaches = [
        StaffUser(
            centre=centre,
            email=f"coach{index}@{DEMO_DOMAIN}",
            name=name,
            role=Role.COACH,
        )
        for index, (name, _effect) in enumerate(COACHES, start=1)
    ]
    others = [
        StaffUser(
            centre=centre, email=COORDINATOR_EMAIL, name="Katrien Vermeulen", role=Role.COORDINATOR
        ),
        StaffUser(centre=centre, email=ADMIN_EMAIL, name="Tom De Smet", role=Role.ADMIN),
    ]
    for user in (*coaches, *others):
        user.set_password(password)
    db.session.add_all([*schools, *coaches, *others])

    # Each coach works in three schools; each school has two coaches.
    school_coaches = {
        index: [coaches[index % len(coaches)], coaches[(index + 3) % len(coaches)]]
        for index in range(len(schools))
    }
    trajectories = _build_trajectories(rng, centre, schools, school_coaches)
    db.session.add_all(trajectories)
    db.session.flush()

    questionnaires = _current_questionnaires()
    school_effects = {school.id: row[-1] for school, row in zip(schools, SCHOOLS, strict=True)}
    coach_effects = {coach.id: row[1] for coach, row in zip(coaches, COACHES, strict=True)}
    _build_satisfaction(
        rng, centre, schools, trajectories, questionnaires, school_effects, coach_effects
    )
    _build_matrix(rng, centre, trajectories, questionnaires["feedbackmatrix"])


def _current_questionnaires() -> dict[str, tuple[int, Questionnaire]]:
    found = {}
    for questionnaire_id in (
        "feedbackmatrix",
        "tevredenheid-ouders",
        "tevredenheid-leraren",
        "tevredenheid-leerlingen",
        "tevredenheid-scholen",
    ):
        version = current_version(questionnaire_id)
        if version is None:
            raise LookupError(f"questionnaire {questionnaire_id} is not registered")
        found[questionnaire_id] = (
            version.id,
            questionnaire_for(version),
        )
    return found


def _build_trajectories(
    rng: random.Random,
    centre: Centre,
    schools: list[School],
    school_coaches: dict[int, list[StaffUser]],
) -> list[Trajectory]:
    sizes = [size for *_rest, size, _effect in SCHOOLS]
    trajectories = []
    # Centres exist since 1 September 2023 (decreet leersteun).
    first_start, last_start = date(2023, 9, 4), date(2026, 10, 20)
    for number in range(1, TRAJECTORY_COUNT + 1):
        school_index = rng.choices(range(len(schools)), weights=sizes)[0]
        school = schools[school_index]
        level = Level(rng.choice(school.levels))
        focus = _pick(rng, {Focus.PUPIL: 68, Focus.TEACHER: 22, Focus.TEAM: 10})
        disability = _pick(rng, DISABILITY_WEIGHTS)
        report = None
        if focus is not Focus.TEAM:
            if level is Level.SECUNDAIR:
                report = _pick(rng, {ReportType.GC: 74, ReportType.IAC: 10, ReportType.OV4: 16})
            else:
                report = _pick(rng, {ReportType.GC: 82, ReportType.IAC: 18})
            if disability is DisabilityType.TYPE_2 and report is ReportType.GC:
                report = ReportType.OV4 if level is Level.SECUNDAIR else ReportType.IAC
        start = _day_between(rng, first_start, last_start)
        requested_on = start - timedelta(days=rng.randint(7, 35))
        candidates = school_coaches[school_index]
        coaches = [rng.choice(candidates)]
        if rng.random() < 0.15:
            coaches = list(candidates)
        trajectory = Trajectory.create(
            on=requested_on,
            centre=centre,
            code=f"DEMO-{number:04d}",
            school=school,
            focus=focus,
            report_type=report,
            disability_type=disability,
            level=level,
            start_date=start,
            coaches=coaches,
        )
        _build_history(rng, trajectory, start)
        trajectories.append(trajectory)
    return trajectories


def _build_history(rng: random.Random, trajectory: Trajectory, start: date) -> None:
    if start > REFERENCE_DAY - timedelta(days=60) and rng.random() < 0.8:
        return  # recently requested, support not started yet
    trajectory.change_status(TrajectoryStatus.ACTIVE, on=start)
    roll = rng.random()
    if roll < 0.18:
        hold_on = start + timedelta(days=rng.randint(60, 320))
        if hold_on < REFERENCE_DAY:
            reason = _pick(rng, HOLD_WEIGHTS)
            trajectory.change_status(TrajectoryStatus.ON_HOLD, on=hold_on, hold_reason=reason)
            resume_on = hold_on + timedelta(days=rng.randint(40, 200))
            if rng.random() < 0.25 and resume_on < REFERENCE_DAY:
                trajectory.change_status(TrajectoryStatus.ACTIVE, on=resume_on)
    elif roll < 0.40:
        close_on = start + timedelta(days=rng.randint(120, 560))
        if close_on < REFERENCE_DAY:
            reason = _pick(rng, CLOSE_WEIGHTS)
            trajectory.change_status(TrajectoryStatus.CLOSED, on=close_on, close_reason=reason)


def _ran_during(trajectory: Trajectory, first: date, last: date) -> bool:
    """Whether support was given during the period (so its partners can rate it)."""
    started = next((c.changed_on for c in trajectory.history if c.to_status == "active"), None)
    if started is None or started > last:
        return False
    closed = next((c.changed_on for c in trajectory.history if c.to_status == "closed"), None)
    return closed is None or closed >= first


def _answer(rng: random.Random, latent: float, cuts: tuple[float, ...]) -> int:
    return 1 + sum(latent > cut for cut in cuts)


def _answers_for(
    rng: random.Random,
    questionnaire: Questionnaire,
    audience: Audience,
    base: float,
    item_effects: dict[str, float],
    theme_effects: dict[tuple[Audience, str | None], float],
    dont_know: float = 0.05,
) -> dict[str, int]:
    attitude = base + rng.gauss(0, 0.6)
    answers = {}
    for item in questionnaire.items:
        if rng.random() < dont_know:
            answers[item.id] = 0
            continue
        scale = questionnaire.scales[item.scale]
        cuts = FACES_CUTS if scale.kind == "pictorial" else AGREE_CUTS
        effect = theme_effects.get((audience, item.theme), 0.0) + theme_effects.get(
            (audience, None), 0.0
        )
        latent = attitude + item_effects[item.id] + effect + rng.gauss(0, 0.7)
        answers[item.id] = _answer(rng, latent, cuts)
    return answers


def _item_effects(rng: random.Random, questionnaire: Questionnaire) -> dict[str, float]:
    return {item.id: rng.gauss(0, 0.25) for item in questionnaire.items}


def _build_satisfaction(
    rng: random.Random,
    centre: Centre,
    schools: list[School],
    trajectories: list[Trajectory],
    questionnaires: dict[str, tuple[int, Questionnaire]],
    school_effects: dict[int, float],
    coach_effects: dict[int, float],
) -> None:
    published: dict[str, list[PublishedAnswer]] = {year: [] for year in SCHOOL_YEARS}
    item_effects = {key: _item_effects(rng, q) for key, (_id, q) in questionnaires.items()}

    def add(
        key: str,
        audience: Audience,
        school: School,
        year: str,
        base: float,
        coach_id: int | None = None,
        comment_bank: Sequence[str] = (),
    ) -> None:
        version_id, questionnaire = questionnaires[key]
        attributes = Attributes(
            centre_id=centre.id,
            school_year=year,
            school_id=school.id,
            audience=audience.value,
            coach_id=coach_id,
            questionnaire_version_id=version_id,
        )
        values = _answers_for(rng, questionnaire, audience, base, item_effects[key], THEME_EFFECTS)
        texts = {}
        if comment_bank and questionnaire.open_questions and rng.random() < 0.18:
            texts[questionnaire.open_questions[0].id] = rng.choice(comment_bank)
        published[year].append(PublishedAnswer(attributes, values, texts))

    for year in SCHOOL_YEARS:
        first, last = school_year_bounds(year)
        for trajectory in trajectories:
            if not _ran_during(trajectory, first, last):
                continue
            base = school_effects[trajectory.school_id] + YEAR_EFFECT[year]
            if trajectory.focus is not Focus.TEAM:
                for _parent in range(2 if rng.random() < 0.6 else 1):
                    if rng.random() < 0.55:
                        add(
                            "tevredenheid-ouders",
                            Audience.PARENT,
                            trajectory.school,
                            year,
                            base + 0.25,
                            comment_bank=PARENT_COMMENTS,
                        )
                for _teacher in range(2 if trajectory.focus is Focus.TEACHER else 1):
                    if rng.random() < 0.65:
                        coach = trajectory.coaches[0]
                        add(
                            "tevredenheid-leraren",
                            Audience.TEACHER,
                            trajectory.school,
                            year,
                            base + coach_effects[coach.id],
                            coach_id=coach.id,
                            comment_bank=TEACHER_COMMENTS,
                        )
            if (
                trajectory.focus is Focus.PUPIL
                and trajectory.level in (Level.LAGER, Level.SECUNDAIR)
                and rng.random() < 0.5
            ):
                add("tevredenheid-leerlingen", Audience.PUPIL, trajectory.school, year, base + 0.4)
        for school in schools:
            for _respondent in range(3):
                if rng.random() < 0.75:
                    add(
                        "tevredenheid-scholen",
                        Audience.SCHOOL,
                        school,
                        year,
                        school_effects[school.id] + YEAR_EFFECT[year],
                    )

    # Synthetic history, written through the anonymous tables' one writer. Satisfaction
    # rounds run in spring, as the inspectorate's own survey did: each year's answers carry
    # the day the spring round's batches were published.
    for year, answers in published.items():
        first, _last = school_year_bounds(year)
        store_published(answers, published_on=first + timedelta(days=285))


def _build_matrix(
    rng: random.Random,
    centre: Centre,
    trajectories: list[Trajectory],
    matrix: tuple[int, Questionnaire],
) -> None:
    version_id, questionnaire = matrix
    responses: list[dict] = []
    answers: list[dict] = []
    comments: list[dict] = []
    campaign_invitations: list[dict] = []
    evaluations: list[tuple[Trajectory, date, date]] = []
    item_effects = _item_effects(rng, questionnaire)
    coach1 = f"coach1@{DEMO_DOMAIN}"
    for trajectory in trajectories:
        started = next((c.changed_on for c in trajectory.history if c.to_status == "active"), None)
        if trajectory.focus is Focus.TEAM or started is None:
            continue
        # coach1 is the demo's guide through the coach's cycle: most of theirs have rounds.
        chance = 0.85 if any(c.email == coach1 for c in trajectory.coaches) else 0.45
        if rng.random() >= chance:
            continue
        roles = [Audience.COACH, Audience.TEACHER, Audience.PARENT, Audience.SCHOOL]
        if trajectory.level in (Level.LAGER, Level.SECUNDAIR):
            roles.append(Audience.PUPIL)
        trajectory_mood = rng.gauss(0.1, 0.35)
        closed = next(
            (c.changed_on for c in trajectory.history if c.to_status == "closed"), REFERENCE_DAY
        )
        round_day = started + timedelta(days=rng.randint(75, 150))
        for _round in range(3):
            if round_day >= closed:
                break
            campaign = _matrix_round(rng, centre, trajectory, version_id, round_day, roles)
            for role in roles:
                take_part = {
                    Audience.COACH: 1.0,
                    Audience.TEACHER: 0.85,
                    Audience.PARENT: 0.7,
                    Audience.SCHOOL: 0.5,
                    Audience.PUPIL: 0.55,
                }[role]
                answered = rng.random() < take_part and round_day < REFERENCE_DAY - timedelta(2)
                campaign_invitations.append(
                    {
                        "campaign_id": campaign.id,
                        "audience": role,
                        "language": "nl",
                        "email_sent": False,
                        "reminder_sent": False,
                        "created_on": round_day,
                    }
                )
                if not answered:
                    continue
                response_id = _uuid(rng)
                responses.append(
                    {
                        "id": response_id,
                        "questionnaire_version_id": version_id,
                        "centre_id": centre.id,
                        "trajectory_id": trajectory.id,
                        "role": role,
                        "campaign_id": campaign.id,
                        "submitted_on": min(
                            round_day + timedelta(days=rng.randint(0, 10)),
                            REFERENCE_DAY - timedelta(days=1),
                        ),
                    }
                )
                values = _answers_for(
                    rng,
                    questionnaire,
                    role,
                    trajectory_mood,
                    item_effects,
                    PERSPECTIVE_EFFECTS,
                    dont_know=0.04,
                )
                answers.extend(
                    {"response_id": response_id, "item_id": item_id, "value": value}
                    for item_id, value in values.items()
                )
                if questionnaire.open_questions and rng.random() < 0.2:
                    comments.append(
                        {
                            "response_id": response_id,
                            "question_id": questionnaire.open_questions[0].id,
                            "text": rng.choice(MATRIX_COMMENTS),
                        }
                    )
            trajectory_mood += 0.15  # adjustments after an evaluation tend to help a little
            next_round = round_day + timedelta(days=rng.randint(120, 180))
            evaluation_day = round_day + timedelta(days=21)
            if evaluation_day < min(closed, REFERENCE_DAY):
                evaluations.append((trajectory, evaluation_day, next_round + timedelta(days=21)))
            round_day = next_round
    _build_goals_and_evaluations(rng, evaluations)
    _insert(Invitation, campaign_invitations)
    _insert(MatrixResponse, responses)
    _insert(MatrixAnswer, answers)
    _insert(MatrixComment, comments)


def _build_goals_and_evaluations(
    rng: random.Random, evaluations: list[tuple[Trajectory, date, date]]
) -> None:
    """Goals from the start, and an evaluation three weeks after each feedbackmatrix round.

    The demo's evaluations continue the support (its status history is generated apart);
    they carry no feedback snapshot, which only a real evaluation freezes.
    """
    goals: dict[int, list[Goal]] = {}
    for trajectory, held_on, next_on in evaluations:
        if trajectory.id not in goals:
            bank = GOALS[trajectory.focus]
            chosen = rng.sample(bank, k=min(len(bank), rng.randint(1, 2)))
            goals[trajectory.id] = [
                Goal(
                    trajectory=trajectory,
                    target=trajectory.focus,
                    description=description,
                    success_criterion=criterion,
                    created_on=trajectory.start_date + timedelta(days=14),
                )
                for description, criterion in chosen
            ]
            db.session.add_all(goals[trajectory.id])
        evaluation = Evaluation(
            trajectory=trajectory,
            held_on=held_on,
            participants=["coach", "teacher", "parent"],
            pupil_participates=rng.choice(list(Answer)),
            teacher_has_questions=rng.choice(list(Answer)),
            can_reduce=rng.choice([Answer.NO, Answer.PARTLY]),
            must_intensify=Answer.NO,
            decision=Decision.CONTINUE,
            adjustments="Afspraken bijgestuurd op het evaluatieoverleg.",
            next_evaluation_on=next_on,
            feedback_snapshot={},
        )
        for goal in goals[trajectory.id]:
            evaluation.goal_results.append(
                GoalResult(goal=goal, progress=rng.choice(list(GoalProgress)))
            )
        db.session.add(evaluation)
    db.session.flush()


def _matrix_round(
    rng: random.Random,
    centre: Centre,
    trajectory: Trajectory,
    version_id: int,
    opens_on: date,
    roles: list[Audience],
) -> Campaign:
    """A feedbackmatrix round of four weeks; closed when it ended before the demo's today."""
    closes_on = opens_on + timedelta(days=28)
    ended = closes_on < REFERENCE_DAY
    campaign = Campaign(
        centre=centre,
        questionnaire_version_id=version_id,
        scope=CampaignScope.TRAJECTORY,
        trajectory=trajectory,
        audiences=[role.value for role in roles],
        opens_on=opens_on,
        closes_on=closes_on,
        status=CampaignStatus.CLOSED if ended else CampaignStatus.OPEN,
        closed_on=closes_on if ended else None,
    )
    db.session.add(campaign)
    db.session.flush()
    return campaign


def _insert(model: type, rows: list[dict]) -> None:
    if rows:
        db.session.execute(insert(model), rows)
