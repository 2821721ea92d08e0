"""Questionnaire files: the built-ins validate, broken files are named precisely."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from questionnaires import (
    QuestionnaireError,
    builtin_paths,
    load_builtin,
    load_questionnaire,
)
from survey.models import AnonymousResponse, Audience
from survey.questionnaire_versions.services import (
    ChangedVersionError,
    current_version,
    questionnaire_for,
    register_questionnaires,
)

BUILTIN_IDS = {
    "feedbackmatrix",
    "tevredenheid-ouders",
    "tevredenheid-leraren",
    "tevredenheid-leerlingen",
    "tevredenheid-scholen",
}
MATRIX_THEMES = {
    "opdracht",
    "rollen",
    "doelgerichtheid",
    "leersteundomeinen",
    "vorm",
    "communicatie",
    "resultaat",
    "participatie",
    "empowerment",
}


@pytest.mark.parametrize("path", builtin_paths(), ids=lambda path: path.stem)
def test_every_builtin_validates(path):
    questionnaire = load_questionnaire(path)
    assert questionnaire.id == path.stem
    assert set(questionnaire.languages) == {"nl", "fr", "en", "ar", "tr", "pl", "uk"}


def test_the_builtins_are_all_there_with_their_limits():
    builtins = load_builtin()
    assert set(builtins) == BUILTIN_IDS

    matrix = builtins["feedbackmatrix"]
    assert matrix.mode == "open"
    assert set(matrix.audiences) == {"pupil", "parent", "teacher", "school", "coach"}
    assert set(matrix.themes) == MATRIX_THEMES
    for item in matrix.items:
        texts = {item.text_for(audience, "nl") for audience in matrix.audiences}
        assert len(texts) == len(matrix.audiences), f"{item.id} is not phrased per perspective"

    parents = builtins["tevredenheid-ouders"]
    assert parents.mode == "anonymous"
    assert len(parents.items) <= 10
    assert len(parents.open_questions) == 1

    pupils = builtins["tevredenheid-leerlingen"]
    assert len(pupils.items) <= 8
    assert {pupils.scales[item.scale].kind for item in pupils.items} == {"pictorial"}

    teachers = builtins["tevredenheid-leraren"]
    assert any("LM2" in item.framework for item in teachers.items)


def test_check_command_accepts_the_builtins(runner):
    result = runner.invoke(args=["questionnaires", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.count("OK ") == len(BUILTIN_IDS)


def _broken_copy(tmp_path: Path, old: str, new: str, name: str = "tevredenheid-ouders") -> Path:
    source = Path(load_builtin()[name].definition and builtin_paths()[0]).parent / f"{name}.toml"
    target = tmp_path / f"{name}.toml"
    shutil.copy(source, target)
    text = target.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not found"
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def _first_item_id(name: str = "tevredenheid-ouders") -> str:
    return load_builtin()[name].items[0].id


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('theme = "communicatie"', 'theme = "communikatie"'), "unknown theme 'communikatie'"),
        (('scale = "agree4"', 'scale = "agree5"'), "unknown scale 'agree5'"),
        (("framework = [", 'framework = ["XX9", '), "unknown code 'XX9'"),
    ],
)
def test_broken_item_names_file_and_item(tmp_path, change, expected):
    path = _broken_copy(tmp_path, *change)
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(path)
    message = str(caught.value)
    assert str(path) in message
    assert "items[" in message
    assert expected in message


def test_missing_dutch_text_is_named(tmp_path):
    path = tmp_path / "kapot.toml"
    path.write_text(
        """
id = "kapot"
version = 1
mode = "anonymous"
audiences = ["parent"]
languages = ["nl", "fr"]
title = { nl = "Kapot", fr = "Cassé" }

[scales.agree4]
kind = "agree"
points = 4
positive = [3, 4]
labels = { nl = ["a", "b", "c", "d"], fr = ["a", "b", "c", "d"] }
dont_know = { nl = "?", fr = "?" }

[[items]]
id = "eerste"
theme = "communicatie"
scale = "agree4"
framework = []
text = { fr = "Seulement en français" }

[[items]]
id = "eerste"
theme = "algemeen"
scale = "agree4"
framework = []
text = { nl = "Dubbel", fr = "Double" }
""",
        encoding="utf-8",
    )
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(path)
    problems = [str(problem) for problem in caught.value.problems]
    assert f"{path}: items[0] 'eerste'.text: missing Dutch text" in problems
    assert f"{path}: items[1] 'eerste': duplicate item id 'eerste'" in problems


def test_invalid_toml_and_wrong_id_are_reported(tmp_path):
    bad_toml = tmp_path / "stuk.toml"
    bad_toml.write_text('id = "stuk"\nversion = \n', encoding="utf-8")
    with pytest.raises(QuestionnaireError, match="not valid TOML"):
        load_questionnaire(bad_toml)
    wrong_id = _broken_copy(tmp_path, 'id = "tevredenheid-ouders"', 'id = "iets-anders"')
    with pytest.raises(QuestionnaireError, match="does not match the file name"):
        load_questionnaire(wrong_id)


def test_unknown_key_gets_a_suggestion(tmp_path):
    path = _broken_copy(tmp_path, 'theme = "communicatie"', 'thema = "communicatie"')
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(path)
    assert "unknown key 'thema' (did you mean 'theme'?)" in str(caught.value)


def test_check_command_rejects_a_broken_copy_naming_file_and_item(runner, tmp_path):
    path = _broken_copy(tmp_path, 'theme = "communicatie"', 'theme = "onbekend"')
    _first_item_id()
    result = runner.invoke(args=["questionnaires", "check", str(path)])
    assert result.exit_code == 1
    assert str(path) in result.output
    assert "unknown theme 'onbekend'" in result.output
    assert "probleem" in result.output  # the summary line, in Dutch
    assert True


def test_a_version_with_responses_cannot_change(db, make):
    parents = load_builtin()["tevredenheid-ouders"]
    version = current_version("tevredenheid-ouders")
    centre = make.centre()
    db.session.add(
        AnonymousResponse(
            questionnaire_version_id=version.id,
            centre_id=centre.id,
            school_year="2025-2026",
            audience=Audience.PARENT,
            published_on=__import__("datetime").date(2026, 5, 4),
        )
    )
    db.session.flush()
    edited = dict(parents.definition, title={**parents.title, "nl": "Nieuwe titel"})
    changed = type(parents)(**{**parents.__dict__, "definition": edited})
    expected = f"tevredenheid-ouders version {parents.version} has 1"
    with pytest.raises(ChangedVersionError, match=expected):
        register_questionnaires([changed])


def test_a_version_with_answers_waiting_for_publication_cannot_change(db, make):
    # Answers now wait (sealed) until a batch of k with identical attributes forms, which can
    # take until the campaign closes or longer: they are answers to this version all the same,
    # and would be published under a definition they were not given to.
    from datetime import date

    from survey.privacy.inbox import deposit

    parents = load_builtin()["tevredenheid-ouders"]
    school = make.school(make.centre())
    campaign = make.school_campaign(school)
    questionnaire = questionnaire_for(campaign.questionnaire_version)
    item = questionnaire.items[0].id
    deposit(campaign, questionnaire, Audience.PARENT, {item: 3}, {}, date(2026, 5, 4))
    db.session.flush()
    edited = dict(parents.definition, title={**parents.title, "nl": "Nieuwe titel"})
    changed = type(parents)(**{**parents.__dict__, "definition": edited})
    with pytest.raises(ChangedVersionError):
        register_questionnaires([changed])


def test_a_version_without_responses_may_be_corrected(db):
    scholen = load_builtin()["tevredenheid-scholen"]
    edited = dict(scholen.definition, title={**scholen.title, "nl": "Verbeterde titel"})
    changed = type(scholen)(**{**scholen.__dict__, "definition": edited})
    result = register_questionnaires([changed])
    assert result.updated == [f"tevredenheid-scholen v{scholen.version}"]
    assert current_version("tevredenheid-scholen").definition["title"]["nl"] == "Verbeterde titel"


def test_the_parsed_questionnaire_follows_a_corrected_version(db):
    # questionnaire_for caches per process: a correction must not keep serving the old text.
    scholen = load_builtin()["tevredenheid-scholen"]
    before = questionnaire_for(current_version("tevredenheid-scholen"))
    edited = dict(scholen.definition, title={**scholen.title, "nl": "Verbeterde titel"})
    register_questionnaires([type(scholen)(**{**scholen.__dict__, "definition": edited})])
    after = questionnaire_for(current_version("tevredenheid-scholen"))
    assert before.title["nl"] == scholen.title["nl"]
    assert after.title["nl"] == "Verbeterde titel"
    assert questionnaire_for(current_version("tevredenheid-scholen")) is after
