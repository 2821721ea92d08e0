"""Every interface string is extracted and translated; the Dutch catalog is complete."""

from __future__ import annotations

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from survey import PROJECT_ROOT

TRANSLATIONS = PROJECT_ROOT / "translations"


def _extract(tmp_path) -> set:
    target = tmp_path / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(PROJECT_ROOT / "babel.cfg"),
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


def test_every_shipped_catalog_is_complete_and_its_placeholders_match():
    for po_path in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        assert not catalog.fuzzy, f"{po_path} header is marked fuzzy"
        for message in catalog:
            if not message.id:
                continue
            assert message.string, f"{po_path}: {message.id!r} has no translation"
            assert "fuzzy" not in message.flags, f"{po_path}: {message.id!r} is fuzzy"
            errors = list(message.check(catalog))
            assert not errors, f"{po_path}: {message.id!r}: {errors}"
