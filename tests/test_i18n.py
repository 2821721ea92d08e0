"""Every interface string is extracted and translated; the Dutch catalog is complete."""

from __future__ import annotations

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from survey import PROJECT_ROOT

TRANSLATIONS = PROJECT_ROOT / "translations"


# What respondents (parents, pupils, teachers) see: pages, letters and e-mails. These must be
# complete in every respondent language; staff pages are Dutch only.
RESPONDENT_MAPPING = """
[python: survey/respond/**.py]
[python: survey/campaigns/delivery.py]
[jinja2: templates/respond/**.html]
[jinja2: templates/letters/**.html]
[jinja2: templates/mail/**.txt]
"""


def _extract(tmp_path, mapping: str | None = None) -> set:
    target = tmp_path / "messages.pot"
    config = PROJECT_ROOT / "babel.cfg"
    if mapping is not None:
        config = tmp_path / "respondent.cfg"
        config.write_text(mapping, encoding="utf-8")
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(config),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(target),
            str(PROJECT_ROOT),
        ]
    )
    with target.open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


def _catalog(locale: str):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def test_dutch_catalog_covers_every_string_in_the_code(tmp_path):
    in_code = _extract(tmp_path)
    catalog = _catalog("nl")
    translated = {
        message.id
        for message in catalog
        if message.id
        and message.string
        and "fuzzy" not in message.flags
        and (not isinstance(message.string, tuple) or all(message.string))
    }
    missing = sorted(map(str, in_code - translated))
    assert not missing, f"untranslated in nl: {missing}"


def test_respondent_languages_are_complete_for_everything_respondents_see(tmp_path):
    respondent = _extract(tmp_path, RESPONDENT_MAPPING)
    assert "Send my answers" in respondent  # the extraction found the respondent pages
    shipped = sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
    assert {path.parts[-3] for path in shipped} >= {"nl", "fr", "ar", "tr", "pl", "uk"}
    for po_path in shipped:
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        assert not catalog.fuzzy, f"{po_path} header is marked fuzzy"
        for message in catalog:
            if message.id not in respondent:
                continue
            assert message.string, f"{po_path}: {message.id!r} has no translation"
            assert "fuzzy" not in message.flags, f"{po_path}: {message.id!r} is fuzzy"
        missing = respondent - {m.id for m in catalog if m.id and m.string}
        assert not missing, f"{po_path}: untranslated {sorted(map(str, missing))}"


def test_every_translation_keeps_its_placeholders():
    for po_path in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        for message in catalog:
            if message.id and message.string:
                errors = list(message.check(catalog))
                assert not errors, f"{po_path}: {message.id!r}: {errors}"
