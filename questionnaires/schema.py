"""Questionnaire definitions: the dataclasses, the strict validator and the loader.

A questionnaire file is validated as a whole and every problem is reported, each naming the
file, the place in it (``items[3] 'communicatie-1'``) and what is wrong, so an author can fix a
file in one pass. See FORMAT.md for the format.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from questionnaires.vocabulary import (
    AUDIENCES,
    DEFAULT_OPEN_MAX_LENGTH,
    FRAMEWORK_CODES,
    LANGUAGES,
    MAX_OPEN_MAX_LENGTH,
    MODES,
    REQUIRED_LANGUAGE,
    SCALE_KINDS,
    THEMES,
)

BUILTIN_DIR = Path(__file__).parent / "builtin"
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

Texts = dict[str, str]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a questionnaire file."""

    source: str
    where: str
    message: str

    def __str__(self) -> str:
        return (
            f"{self.source}: {self.where}: {self.message}"
            if self.where
            else (f"{self.source}: {self.message}")
        )


class QuestionnaireError(Exception):
    """A questionnaire file that does not validate; ``problems`` lists every finding."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass(frozen=True)
class Scale:
    id: str
    kind: str
    points: int
    positive: tuple[int, ...]
    labels: dict[str, tuple[str, ...]]
    dont_know: Texts


@dataclass(frozen=True)
class Item:
    id: str
    theme: str
    scale: str
    framework: tuple[str, ...]
    required: bool
    text: Texts
    audience_text: dict[str, Texts] = field(default_factory=dict)

    def text_for(self, audience: str, language: str) -> str:
        texts = self.audience_text.get(audience, self.text)
        return texts.get(language) or texts[REQUIRED_LANGUAGE]


@dataclass(frozen=True)
class OpenQuestion:
    id: str
    text: Texts
    audience_text: dict[str, Texts] = field(default_factory=dict)
    max_length: int = DEFAULT_OPEN_MAX_LENGTH

    def text_for(self, audience: str, language: str) -> str:
        texts = self.audience_text.get(audience, self.text)
        return texts.get(language) or texts[REQUIRED_LANGUAGE]


@dataclass(frozen=True)
class Questionnaire:
    id: str
    version: int
    mode: str
    audiences: tuple[str, ...]
    languages: tuple[str, ...]
    title: Texts
    intro: Texts
    privacy: Texts
    scales: dict[str, Scale]
    items: tuple[Item, ...]
    open_questions: tuple[OpenQuestion, ...]
    definition: dict[str, Any] = field(repr=False, compare=False)

    @property
    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON form: equal content gives an equal hash."""
        canonical = json.dumps(
            self.definition, sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def themes(self) -> tuple[str, ...]:
        """The themes in the order their first item appears."""
        return tuple(dict.fromkeys(item.theme for item in self.items))

    def items_for(self, audience: str) -> tuple[Item, ...]:
        return self.items if audience in self.audiences else ()


# --------------------------------------------------------------------------- validation


class _Checker:
    """Walks a parsed file and collects problems; each ``check_*`` returns a clean value."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.source, where, message))

    def unknown_keys(self, table: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
        allowed = tuple(allowed)
        for key in table:
            if key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
                self.fail(where, f"unknown key '{key}'{suggestion}")

    def texts(self, value: Any, where: str, languages: tuple[str, ...]) -> Texts:
        if not isinstance(value, dict):
            self.fail(where, 'must be a table of texts per language, e.g. nl = "..."')
            return {}
        clean: Texts = {}
        for language, text in value.items():
            if language not in languages:
                self.fail(where, f"text in language '{language}', which is not in `languages`")
            elif not isinstance(text, str) or not text.strip():
                self.fail(where, f"text for '{language}' must be a non-empty string")
            else:
                clean[language] = text.strip()
        for language in languages:
            if language not in value:
                name = "Dutch" if language == REQUIRED_LANGUAGE else f"'{language}'"
                self.fail(where, f"missing {name} text")
        return clean

    def identifier(self, value: Any, where: str) -> str | None:
        if not isinstance(value, str) or not _ID.match(value):
            self.fail(where, f"id must be lowercase letters, digits and dashes, got {value!r}")
            return None
        return value

    def string_list(self, value: Any, where: str, allowed: tuple[str, ...], what: str) -> tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(where, f"must be a list of {what}")
            return ()
        for entry in value:
            if entry not in allowed:
                self.fail(where, f"unknown {what[:-1]} '{entry}' (known: {', '.join(allowed)})")
        duplicates = sorted({entry for entry in value if value.count(entry) > 1})
        if duplicates:
            self.fail(where, f"duplicate {what}: {', '.join(duplicates)}")
        return tuple(entry for entry in dict.fromkeys(value) if entry in allowed)


_TOP_KEYS = (
    "id",
    "version",
    "mode",
    "audiences",
    "languages",
    "title",
    "intro",
    "privacy",
    "scales",
    "items",
    "open_questions",
)
_SCALE_KEYS = ("kind", "points", "positive", "labels", "dont_know")
_ITEM_KEYS = ("id", "theme", "scale", "framework", "required", "text", "audience_text")
_OPEN_KEYS = ("id", "text", "audience_text", "max_length")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_scale(check: _Checker, scale_id: str, raw: Any, languages: tuple) -> Scale | None:
    where = f"scales.{scale_id}"
    if not isinstance(raw, dict):
        check.fail(where, "must be a table")
        return None
    check.unknown_keys(raw, _SCALE_KEYS, where)
    kind = raw.get("kind")
    # isinstance first: a list or table as the kind is unhashable, and the lookup would raise.
    if not isinstance(kind, str) or kind not in SCALE_KINDS:
        check.fail(where, f"kind must be one of {', '.join(SCALE_KINDS)}, got {kind!r}")
        return None
    points = raw.get("points")
    if points != SCALE_KINDS[kind] or not _is_int(points):
        check.fail(where, f"a {kind} scale has {SCALE_KINDS[kind]} points, got {points!r}")
        return None
    positive = raw.get("positive")
    if (
        not isinstance(positive, list)
        or not positive
        or not all(_is_int(p) and 1 <= p <= points for p in positive)
    ):
        check.fail(where, f"positive must be a non-empty list of points between 1 and {points}")
        positive = []
    raw_labels = raw.get("labels")
    labels: dict[str, tuple[str, ...]] = {}
    if not isinstance(raw_labels, dict):
        check.fail(f"{where}.labels", "must be a table of label lists per language")
    else:
        for language in languages:
            if language not in raw_labels:
                name = "Dutch" if language == REQUIRED_LANGUAGE else f"'{language}'"
                check.fail(f"{where}.labels", f"missing {name} labels")
        for language, values in raw_labels.items():
            if language not in languages:
                check.fail(
                    f"{where}.labels", f"labels in language '{language}', not in `languages`"
                )
                continue
            ok = isinstance(values, list) and all(isinstance(v, str) and v.strip() for v in values)
            if not ok or len(values) != points:
                check.fail(f"{where}.labels.{language}", f"must list {points} non-empty labels")
                continue
            labels[language] = tuple(v.strip() for v in values)
    dont_know = check.texts(raw.get("dont_know"), f"{where}.dont_know", languages)
    return Scale(scale_id, kind, points, tuple(sorted(set(positive))), labels, dont_know)


def _check_audience_text(
    check: _Checker, raw: Any, where: str, audiences: tuple, languages: tuple
) -> dict[str, Texts]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        check.fail(where, "must be a table of texts per audience")
        return {}
    clean: dict[str, Texts] = {}
    for audience, texts in raw.items():
        if audience not in audiences:
            check.fail(where, f"text for audience '{audience}', which the questionnaire lacks")
            continue
        clean[audience] = check.texts(texts, f"{where}.{audience}", languages)
    return clean


def _check_texts_cover_audiences(
    check: _Checker, raw: dict, where: str, audiences: tuple, languages: tuple
) -> tuple[Texts, dict[str, Texts]]:
    audience_text = _check_audience_text(
        check, raw.get("audience_text"), f"{where}.audience_text", audiences, languages
    )
    if "text" in raw:
        text = check.texts(raw["text"], f"{where}.text", languages)
    else:
        text = {}
        uncovered = [audience for audience in audiences if audience not in audience_text]
        if uncovered:
            check.fail(where, f"no text for audience(s) {', '.join(uncovered)}")
    return text, audience_text


def validate(data: Any, source: str, expected_id: str | None = None) -> Questionnaire:
    """Validate a parsed questionnaire and build it; raise ``QuestionnaireError`` on problems."""
    check = _Checker(source)
    if not isinstance(data, dict):
        raise QuestionnaireError([Problem(source, "", "must be a table")])
    check.unknown_keys(data, _TOP_KEYS, "top level")
    for key in ("id", "version", "mode", "audiences", "languages", "title", "scales", "items"):
        if key not in data:
            check.fail("top level", f"missing required key '{key}'")

    questionnaire_id = check.identifier(data.get("id"), "id") if "id" in data else None
    if questionnaire_id and expected_id and questionnaire_id != expected_id:
        check.fail("id", f"id '{questionnaire_id}' does not match the file name '{expected_id}'")
    version = data.get("version")
    if "version" in data and (not _is_int(version) or version < 1):
        check.fail("version", f"must be a whole number of at least 1, got {version!r}")
    mode = data.get("mode")
    if "mode" in data and mode not in MODES:
        check.fail("mode", f"must be one of {', '.join(MODES)}, got {mode!r}")
    audiences = check.string_list(data.get("audiences", []), "audiences", AUDIENCES, "audiences")
    if "audiences" in data and not audiences:
        check.fail("audiences", "must name at least one audience")
    languages = check.string_list(data.get("languages", []), "languages", LANGUAGES, "languages")
    if "languages" in data and REQUIRED_LANGUAGE not in languages:
        check.fail("languages", "must include Dutch ('nl')")
        languages = (REQUIRED_LANGUAGE, *languages)
    languages = languages or (REQUIRED_LANGUAGE,)

    title = check.texts(data.get("title"), "title", languages) if "title" in data else {}
    intro = check.texts(data["intro"], "intro", languages) if "intro" in data else {}
    privacy = check.texts(data["privacy"], "privacy", languages) if "privacy" in data else {}

    scales: dict[str, Scale] = {}
    raw_scales = data.get("scales", {})
    if not isinstance(raw_scales, dict) or ("scales" in data and not raw_scales):
        check.fail("scales", "must define at least one scale")
    else:
        for scale_id, raw in raw_scales.items():
            scale = _check_scale(check, scale_id, raw, languages)
            if scale:
                scales[scale_id] = scale

    # The scale names an item may use; a broken `scales` (a string, a list) defines none,
    # rather than making the membership test below raise.
    defined_scales = list(raw_scales) if isinstance(raw_scales, dict) else []
    seen_ids: set[str] = set()
    items: list[Item] = []
    raw_items = data.get("items", [])
    if not isinstance(raw_items, list) or ("items" in data and not raw_items):
        check.fail("items", "must be a non-empty array of [[items]] tables")
        raw_items = []
    for index, raw in enumerate(raw_items):
        where = f"items[{index}]"
        if not isinstance(raw, dict):
            check.fail(where, "must be a table")
            continue
        item_id = check.identifier(raw.get("id"), f"{where} id")
        if item_id:
            where = f"{where} '{item_id}'"
            if item_id in seen_ids:
                check.fail(where, f"duplicate item id '{item_id}'")
            seen_ids.add(item_id)
        check.unknown_keys(raw, _ITEM_KEYS, where)
        theme = raw.get("theme")
        if theme not in THEMES:
            hint = difflib.get_close_matches(str(theme), THEMES, n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            check.fail(where, f"unknown theme {theme!r}{suggestion}")
        scale_id = raw.get("scale")
        if scale_id not in defined_scales:
            check.fail(where, f"unknown scale {scale_id!r}; defined: {', '.join(defined_scales)}")
        framework = check.string_list(
            raw.get("framework", []), f"{where} framework", FRAMEWORK_CODES, "codes"
        )
        required = raw.get("required", True)
        if not isinstance(required, bool):
            check.fail(where, "required must be true or false")
        text, audience_text = _check_texts_cover_audiences(check, raw, where, audiences, languages)
        items.append(
            Item(
                id=item_id or f"#{index}",
                theme=str(theme),
                scale=str(scale_id),
                framework=framework,
                required=bool(required),
                text=text,
                audience_text=audience_text,
            )
        )

    open_questions: list[OpenQuestion] = []
    raw_open = data.get("open_questions", [])
    if not isinstance(raw_open, list):
        check.fail("open_questions", "must be an array of [[open_questions]] tables")
        raw_open = []
    for index, raw in enumerate(raw_open):
        where = f"open_questions[{index}]"
        if not isinstance(raw, dict):
            check.fail(where, "must be a table")
            continue
        question_id = check.identifier(raw.get("id"), f"{where} id")
        if question_id:
            where = f"{where} '{question_id}'"
            if question_id in seen_ids:
                check.fail(where, f"duplicate item id '{question_id}'")
            seen_ids.add(question_id)
        check.unknown_keys(raw, _OPEN_KEYS, where)
        max_length = raw.get("max_length", DEFAULT_OPEN_MAX_LENGTH)
        if not _is_int(max_length) or not 1 <= max_length <= MAX_OPEN_MAX_LENGTH:
            check.fail(where, f"max_length must be between 1 and {MAX_OPEN_MAX_LENGTH}")
            max_length = DEFAULT_OPEN_MAX_LENGTH
        text, audience_text = _check_texts_cover_audiences(check, raw, where, audiences, languages)
        open_questions.append(
            OpenQuestion(question_id or f"#{index}", text, audience_text, max_length)
        )

    if check.problems:
        raise QuestionnaireError(check.problems)
    return Questionnaire(
        id=str(questionnaire_id),
        version=int(version),
        mode=str(mode),
        audiences=audiences,
        languages=languages,
        title=title,
        intro=intro,
        privacy=privacy,
        scales=scales,
        items=tuple(items),
        open_questions=tuple(open_questions),
        definition=data,
    )


def load_questionnaire(path: str | Path) -> Questionnaire:
    """Read and validate one TOML file; raise ``QuestionnaireError`` naming every problem."""
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise QuestionnaireError([Problem(source, "", f"cannot read: {exc.strerror}")]) from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise QuestionnaireError([Problem(source, "", "not UTF-8 text")]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise QuestionnaireError([Problem(source, "", f"not valid TOML: {exc}")]) from exc
    return validate(data, source, expected_id=path.stem)


def questionnaire_from_definition(definition: dict[str, Any], source: str) -> Questionnaire:
    """Rebuild a questionnaire from a stored definition (e.g. a registered version)."""
    return validate(definition, source)


def builtin_paths() -> list[Path]:
    return sorted(BUILTIN_DIR.glob("*.toml"))


def load_builtin() -> dict[str, Questionnaire]:
    """Every built-in questionnaire, by id; raises on the first file that does not validate."""
    loaded = (load_questionnaire(path) for path in builtin_paths())
    return {questionnaire.id: questionnaire for questionnaire in loaded}


def check_paths(paths: Iterable[str | Path]) -> tuple[list[Questionnaire], list[Problem]]:
    """Validate files and directories (every ``*.toml`` inside); collect all problems."""
    good: list[Questionnaire] = []
    problems: list[Problem] = []
    seen: dict[tuple[str, int], str] = {}
    for given in paths:
        given = Path(given)
        files = sorted(given.glob("*.toml")) if given.is_dir() else [given]
        if given.is_dir() and not files:
            problems.append(Problem(str(given), "", "no *.toml questionnaire files here"))
        for path in files:
            try:
                questionnaire = load_questionnaire(path)
            except QuestionnaireError as exc:
                problems.extend(exc.problems)
                continue
            key = (questionnaire.id, questionnaire.version)
            if key in seen:
                problems.append(Problem(str(path), "id", f"same id and version as {seen[key]}"))
            seen[key] = str(path)
            good.append(questionnaire)
    return good, problems
