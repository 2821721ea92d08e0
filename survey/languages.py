"""The respondent's language: chosen with ?lang=, remembered, else the browser's, else Dutch."""

from __future__ import annotations

from flask import g, request, session

# The interface is complete in each of these; questionnaire texts come from the files.
LANGUAGES: dict[str, str] = {
    "nl": "Nederlands",
    "fr": "Français",
    "en": "English",
    "ar": "العربية",
    "tr": "Türkçe",
    "pl": "Polski",
    "uk": "Українська",
}
RIGHT_TO_LEFT = frozenset({"ar"})
# Babel locales: Belgian formats where Belgium has them (decimal comma, day-month order).
BABEL_LOCALES = {"nl": "nl_BE", "fr": "fr_BE", "en": "en_BE"}
DEFAULT = "nl"
SESSION_KEY = "lang"


def choose_language() -> str:
    """Pick and remember the language for this request (stored on ``g``)."""
    asked = request.args.get("lang", "")
    if asked in LANGUAGES:
        session[SESSION_KEY] = asked
        language = asked
    elif session.get(SESSION_KEY) in LANGUAGES:
        language = session[SESSION_KEY]
    else:
        language = request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT
    g.respondent_language = language
    return language


def current_language() -> str:
    return g.get("respondent_language", DEFAULT)


def babel_locale() -> str | None:
    """Flask-Babel's locale selector: the respondent's language on respondent pages."""
    language = g.get("respondent_language")
    if language is None:
        return None
    return BABEL_LOCALES.get(language, language)


def direction(language: str) -> str:
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"
