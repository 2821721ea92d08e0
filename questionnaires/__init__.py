"""Questionnaires as versioned data files, with their loader and strict validator."""

from questionnaires.schema import (
    BUILTIN_DIR,
    Item,
    OpenQuestion,
    Problem,
    Questionnaire,
    QuestionnaireError,
    Scale,
    builtin_paths,
    check_paths,
    load_builtin,
    load_questionnaire,
    questionnaire_from_definition,
    validate,
)

__all__ = [
    "BUILTIN_DIR",
    "Item",
    "OpenQuestion",
    "Problem",
    "Questionnaire",
    "QuestionnaireError",
    "Scale",
    "builtin_paths",
    "check_paths",
    "load_builtin",
    "load_questionnaire",
    "questionnaire_from_definition",
    "validate",
]
