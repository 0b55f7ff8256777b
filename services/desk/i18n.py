"""The desk's languages: Dutch first, English by a switch or the browser's Accept-Language.

The texts are gettext messages in English (the source language) with their Dutch translation in
services/desk/locale/nl/LC_MESSAGES/desk.po; the compiled desk.mo is committed next to it, and
tests/services/desk/test_i18n.py fails when it is older than the .po. After changing a text:

    pybabel extract -F services/desk/babel.cfg -k N_ --no-location --sort-output -o services/desk/locale/desk.pot services/desk
    pybabel update -i services/desk/locale/desk.pot -d services/desk/locale -D desk --ignore-obsolete
    (translate the new msgstr in nl/LC_MESSAGES/desk.po)
    pybabel compile -d services/desk/locale -D desk

Dates are formatted by Babel's CLDR data: "5 december 2026" (long) and "05-12-2026" (short) in Dutch.
"""

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from babel.dates import format_date
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "desk"
LOCALES = ("nl", "en")
DEFAULT_LOCALE = "nl"
LANG_COOKIE = "wo_desk_lang"
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}


def N_(message: str) -> str:
    """Marks a text for the catalogue where it is defined; it is translated where it is shown."""
    return message


@cache
def translations(locale: str) -> NullTranslations:
    """The catalogue of `locale` (English, the source language, needs none)."""
    if locale == "en":
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [locale], domain=DOMAIN)


def accepted_locale(header: str | None) -> str | None:
    """The first of our languages an Accept-Language header asks for, by its q-values."""
    wanted = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        language = tag.strip().lower().split("-")[0]
        if language in LOCALES and quality > 0:
            wanted.append((-quality, position, language))
    return min(wanted)[2] if wanted else None


def choose_locale(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """?lang= (the switch) before the cookie it sets, before the browser's languages; else Dutch."""
    for choice in (query, cookie):
        if choice in LOCALES:
            return choice
    return accepted_locale(accept_language) or DEFAULT_LOCALE


@dataclass(frozen=True)
class Language:
    """One request's language: its gettext functions and date formats."""

    locale: str

    @property
    def translations(self) -> NullTranslations:
        return translations(self.locale)

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def long_date(self, day: date | None) -> str:
        """'5 december 2026'."""
        return format_date(day, "long", locale=self.locale) if day else ""

    def short_date(self, day: date | None) -> str:
        """'05-12-2026' (en: '05/12/2026')."""
        return format_date(day, "short", locale="en_GB" if self.locale == "en" else self.locale) if day else ""


def language(locale: str) -> Language:
    return Language(locale if locale in LOCALES else DEFAULT_LOCALE)

