"""Scrubbing personal data out of free-text survey comments before staff read them.

The surveys are anonymous, but a respondent may still write "juf Sarah", a phone number or an
e-mail address into a comment. Staff must never see those, so every comment goes through
``scrub`` first. The rules lean towards redacting too much: a lost word costs a little meaning,
a leaked name breaks the promise of anonymity.

The order matters. E-mail addresses go first, because they contain digits and names.
National register numbers (11 digits) go before phone numbers, because a phone-number matcher
would otherwise claim them. Names go last and only look at text no earlier rule has taken.

Names are found four ways:

(a) the ``known_names`` the caller passes (e.g. the centre's staff): the full name and each part
    of three or more letters, case- and accent-insensitively, as whole words;
(b) the capitalised word(s) after a title, kinship or role word ("juf Sarah Peeters",
    "mijn zoon Adam"), and the word after a naming verb even in lower case ("hij heet adam"),
    because a name is what comes there;
(c) the bundled ``first_names.txt``. A listed name matches as a whole word anywhere, also at a
    sentence start and also in lower case ("mijn dochter lina"), because parents often type
    without capitals. The file leaves out names that are common lowercase Dutch words ("ben",
    "roos"); names that are common words in another survey language ("can", "said", "rose")
    stay in the file but only match when capitalised (``_CAPITALISED_ONLY``);
(d) any other capitalised word that does not start a sentence and is not an acronym: Dutch,
    French, Polish, Turkish and Ukrainian capitalise little besides names there, so such a word
    is most likely a name. A small allow-list keeps language, place and product names.

The module holds no user-facing text (the caller passes the translated placeholders) and does
not import Flask or the database, so it can be used from a command, an export or a test alike.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources

import phonenumbers

__all__ = ["Placeholders", "scrub"]


@dataclass(frozen=True)
class Placeholders:
    """The already translated texts that replace what was scrubbed, e.g. "[naam]".

    They come from the caller so that this module stays free of user-facing text and of
    Flask-Babel; a comment may be shown in any of the interface languages.
    """

    email: str
    phone: str
    national_number: str
    name: str


def _words(text: str) -> frozenset[str]:
    """A word list written as one string, to keep the long lists below readable."""
    return frozenset(text.split())


# Replaces characters that an earlier rule has already claimed. It is not a letter, digit,
# space or separator, so later rules neither match inside a claimed stretch nor join across it.
_MASK = "\ue000"

# --- E-mail addresses ------------------------------------------------------------------------

# Besides the plain form, the simple obfuscations people use to dodge spam harvesters:
# "jan at gmail dot com", "jan(at)gmail(dot)com", "jan [at] gmail punt be". The lookbehind and
# the possessive quantifiers keep the engine from retrying every word from every letter.
_EMAIL = re.compile(
    r"(?<![\w.%+\-])[\w.%+\-]++"
    r"(?:\s*+@\s*+|\s*+[(\[{]\s*+(?:at|@|apenstaartje)\s*+[)\]}]\s*+|\s++(?:at|apenstaartje)\s++)"
    r"[\w\-]++"
    r"(?:(?:\.|\s*+[(\[{]\s*+(?:dot|punt|point)\s*+[)\]}]\s*+|\s++(?:dot|punt)\s++)[\w\-]++)+",
    re.IGNORECASE,
)
# Most comments hold no e-mail address; these substring tests are far cheaper than the pattern.
_EMAIL_HINTS = ("@", " at ", "(at", "[at", "{at", "apenstaartje")

# --- National register numbers ---------------------------------------------------------------

# YY.MM.DD-XXX.XX, YYMMDD-XXX-XX, YYMMDDXXXXX and anything in between. The mod-97 checksum is
# deliberately not checked: a mistyped number still identifies someone.
_NATIONAL_NUMBER = re.compile(
    r"(?<![\d+])\d{2}[ .\-]{0,3}\d{2}[ .\-]{0,3}\d{2}[ .\-]{0,3}\d{3}[ .\-]{0,3}\d{2}(?!\d)"
)

# --- Phone numbers ---------------------------------------------------------------------------

# phonenumbers is pure Python and costs tens of microseconds per comment, so it only looks at
# digit runs long enough to be a number at all: Belgian numbers have 8 or 9 digits after the
# trunk 0, and 6 leaves room for foreign and mistyped ones.
_MIN_DIGITS_FOR_MATCHER = 6
# A run of at least that many digits with separators between them. From 8 digits on it counts
# as a phone number even if phonenumbers disagrees (foreign numbers without "+", typos).
# Starting with a digit lets the engine skip ahead quickly; a "+" in front is added afterwards.
_DIGIT_RUN = re.compile(r"\d(?:[ \t.\-/()]{0,3}\d){5,}")
_MIN_PHONE_DIGITS = 8
_NON_DIGITS = re.compile(r"\D+")
# Dates and school years are not personal, and both reach 8 digits: "12/03/2026", "2025-2026".
# A run is kept only if it is nothing but one of these.
_DATE_OR_SCHOOL_YEAR = re.compile(
    r"\d{1,2}[./\-]\d{1,2}[./\-](?:19|20)?\d{2}"
    r"|(?:19|20)\d{2}[./\-]\d{1,2}[./\-]\d{1,2}"
    r"|(?:19|20)\d{2}[ \t]?[\-/–][ \t]?(?:(?:19|20)\d{2}|\d{2})"
)

# --- Names -----------------------------------------------------------------------------------

# Splits a text into gap, word, gap, word, ..., gap in one C call; working on that list instead
# of on match objects keeps the per-word cost low enough for thousands of comments a second.
# A word is letters of any script; hyphenated parts belong to it ("Anne-Sophie",
# "GON-begeleiding"); apostrophes split ("Sarah's", "d'Hondt", "Ayşe'nin"). A separate combining
# accent (rare: keyboards type composed letters) splits a word, which at worst redacts less of
# the name than it could.
_WORD_SPLIT = re.compile(r"([^\W\d_]+(?:-[^\W\d_]+)*)")

# What may stand between the words of one name ("Sarah Peeters"): spaces on one line.
_NAME_GAP = re.compile(r"[ \t\u00a0]+")
# What may stand between a trigger word and the name: "dhr. Peeters", "mijn zoon, Adam".
_TRIGGER_GAP = re.compile(r"[.:,]?[ \t\u00a0]+|\.")
# After an initial: "A. Janssens", "A.B. Janssens".
_INITIAL_GAP = re.compile(r"\.[ \t\u00a0]?")

# Skipped when looking back for a sentence start: spaces, opening quotes and brackets, bullets.
_SENTENCE_LEAD = " \t\r\n\u00a0\"'\u201c\u2018\u201e«([{*•-–—"
_SENTENCE_END = frozenset("!?…")

# Abbreviations whose full stop does not end a sentence, so that the capitalised word after them
# is still seen as a possible name ("bv. Sarah", "dhr. Peeters").
_ABBREVIATIONS = _words("dhr mevr mvr mw mr mrs ms dr mme mlle bv bijv vb nl")

# Name particles: kept inside one placeholder between two name words ("Sarah Van den Broeck"),
# and never matched on their own as a part of a known name, since "van" and "den" are everywhere.
_PARTICLES = _words(
    "van de der den het ter ten te vande vanden vander le la du des di da del von el al ben bin "
    "ibn abu"
)

# Titles and kinship words: the next capitalised word(s) are a name whatever they look like,
# even an allow-listed word ("mijn zoon Frans") or one in capitals ("juf SARAH").
_TITLES = _words(
    "juf juffie juffrouw meester meneer mijnheer mevrouw mevr mvr dhr mw "
    "madame monsieur mme mlle mademoiselle maître maîtresse "
    "mr mrs ms miss dr "
    "pani pan hocam пані пан"
)
_KINSHIP = _words(
    # Dutch
    "zoon zoontje dochter dochtertje kind kindje broer broertje zus zusje zuster kleinzoon "
    "kleindochter neef nicht mama papa moeder vader oma opa tante nonkel oom man vrouw "
    "echtgenoot echtgenote vriend vriendin collega leerling leerlinge klasgenoot klasgenote "
    # French, English, Polish, Turkish, Ukrainian
    "fils fille frère soeur sœur maman son daughter brother sister mum mom dad "
    "syn córka oğlum kızım син донька дочка"
)

# Role words: "leerkracht Nederlands" names a subject, not a person, so after these the
# allow-list and acronyms win.
_ROLES = _words(
    "leerkracht leraar lerares directeur directrice begeleider begeleidster ondersteuner "
    "coördinator zorgcoördinator zorgjuf teacher professeur prof instituteur institutrice "
    "öğretmen nauczyciel nauczycielka вчитель вчителька"
)

# Naming verbs: the next word is a name even in lower case ("hij heet adam").
_NAMING_WORDS = _words(
    "heet heten named called appelle appelles nommé nommée prénom adı ismi imię звати звуть"
)
# Small words that may stand between a naming verb and the name: "ze heet ook Sarah".
_NAMING_FILLERS = _words("ook nog wel echt eigenlijk toch dus gewoon trouwens also really aussi")
# Lower-case words after a naming verb that show it is not about a name after all: "heet" is
# also "hot" ("het is heet in de klas"), "called" also "phoned" ("I called the school").
_NOT_A_NAME_AFTER_NAMING = _words(
    "de het een en in op te of om met voor bij na als dan maar want niet zo zoals daar hier "
    "vandaag nu soms vaak altijd buiten binnen geweest was is the a an and on at to for me "
    "him her them us you it back again yesterday today le la les un une"
)

# At most this many name words after a trigger; stops a run-on capture in all-caps text.
_MAX_TRIGGERED_WORDS = 4

# Capitalised words in this domain that are not names (rule d). Kept small on purpose.
# Language and nationality adjectives also get their inflections ("Nederlandse",
# "Nederlandstalig"), see ``_allowed_words``.
_LANGUAGE_STEMS = _words(
    "nederlands vlaams frans engels duits spaans italiaans portugees arabisch turks pools "
    "roemeens bulgaars oekraïens russisch somalisch berbers koerdisch albanees perzisch chinees "
    "grieks latijns marokkaans syrisch afghaans belgisch europees brussels"
)
_OTHER_ALLOWED = _words(
    # Languages and peoples not covered by the stems.
    "latijn tamazight amazigh dari pasjtoe tigrinya amhaars hindi urdu tamil belg belgen "
    "vlaming vlamingen nederlander nederlanders marokkaan marokkanen turk turken "
    # Places.
    "belgië vlaanderen wallonië brussel nederland europa marokko turkije polen roemenië "
    "bulgarije oekraïne rusland syrië somalië afghanistan eritrea congo frankrijk duitsland "
    "spanje italië engeland albanië kosovo irak iran algerije tunesië egypte antwerpen limburg "
    "brabant oost-vlaanderen west-vlaanderen vlaams-brabant gent leuven brugge mechelen hasselt "
    "genk aalst kortrijk oostende sint-niklaas roeselare turnhout "
    # Products and organisations.
    "diplon zorglink smartschool teams bingel kurzweil sprint alinea classroom google "
    "microsoft word excel powerpoint outlook office onenote whatsapp zoom klankbord informat "
    "wisa chromebook ipad padlet kahoot youtube facebook instagram tiktok snapchat windows "
    "leersteuncentrum leersteun ondersteuningsnetwerk onderwijs overheid agentschap "
    # Pronouns, religion and holidays that are written with a capital.
    "ik uw u god allah ramadan kerstmis kerst pasen suikerfeest offerfeest sinterklaas "
    "nieuwjaar "
    # English and French capitals: languages, places, days, months.
    "i english dutch french arabic turkish polish ukrainian romanian belgium flanders brussels "
    "monday tuesday wednesday thursday friday saturday sunday january february march april may "
    "june july august september october november december belgique flandre bruxelles "
    # Short words that may be typed with a capital mid-sentence.
    "ok oké"
)

# Listed first names that are also common words in one of the survey languages: matched only
# when capitalised, so that "they can help", "il a dit rose" and "deniz kenarı" survive.
_CAPITALISED_ONLY = _words(
    "an ana asya can defne deniz derya duygu ege eylul floor frank gizem gul guy hayat hind "
    "ilham jack joke max melek nur onur ozlem pierre rim rose said selam sevgi tuba ufuk umut "
    "ward yagmur yigit"
)

# Letters that NFKD does not split into base letter plus accent.
_FOLD_EXTRA = str.maketrans(
    {"ı": "i", "ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe", "ŀ": "l"}
)


@functools.lru_cache(maxsize=200_000)
def _fold(word: str) -> str:
    """Lower case without accents, so that "Zoë", "zoe" and "ZOË" compare equal.

    Cached because the same few thousand words recur across all comments.
    """
    lowered = word.casefold()
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered.translate(_FOLD_EXTRA))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.cache
def _first_names() -> frozenset[str]:
    """The bundled first names, folded; read once, on first use. Lines starting with "#" are
    comments."""
    text = resources.files(__package__).joinpath("first_names.txt").read_text(encoding="utf-8")
    return frozenset(
        _fold(line.strip())
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )


@functools.cache
def _allowed_words() -> frozenset[str]:
    """Capitalised words that rule (d) must leave alone, folded."""
    words = {_fold(word) for word in _OTHER_ALLOWED}
    for stem in _LANGUAGE_STEMS:
        for suffix in ("", "e", "talig", "talige", "taligen"):
            words.add(_fold(stem + suffix))
    # A capitalised trigger word is not a name itself: "bedankt Juf Sarah" keeps "Juf".
    words.update(_fold(word) for word in _TITLES | _KINSHIP | _ROLES | _NAMING_WORDS)
    words.update(_ABBREVIATIONS)
    return frozenset(words)


@functools.cache
def _trigger_kinds() -> dict[str, str]:
    """Folded trigger word -> "title", "kinship", "role" or "naming"."""
    kinds = {_fold(word): "title" for word in _TITLES}
    kinds.update({_fold(word): "kinship" for word in _KINSHIP})
    kinds.update({_fold(word): "role" for word in _ROLES})
    kinds.update({_fold(word): "naming" for word in _NAMING_WORDS})
    return kinds


@dataclass(frozen=True)
class _KnownNames:
    # Folded parts of three or more letters, redacted wherever they appear.
    parts: frozenset[str]
    # Folded full names as word sequences, by their first word; they catch the short parts and
    # particles that are not redacted on their own ("An Li", "Jo De Wit").
    sequences: dict[str, tuple[tuple[str, ...], ...]]
    # Folded words worth a closer look even when written in lower case: listed first names,
    # trigger words and known names. Every other lower-case word is skipped at once.
    lowercase_candidates: frozenset[str]
    # Word -> its verdict, see ``_classify``; filled as comments are scrubbed.
    verdicts: dict[str, tuple[str | None, bool, int] | tuple[()]] = field(default_factory=dict)


_KNOWN_NAME_SPLIT = re.compile(r"[\s,\-'\u2019]+")


@functools.lru_cache(maxsize=32)
def _index_known_names(names: tuple[str, ...]) -> _KnownNames:
    """Index the caller's names once per distinct list; a report passes the same staff list for
    every comment it scrubs."""
    parts: set[str] = set()
    sequences: dict[str, set[tuple[str, ...]]] = {}
    for name in names:
        # Split like the text is split into words: "Anne-Sophie" stays one word.
        sequence = tuple(_fold(word) for word in _WORD_SPLIT.split(name)[1::2])
        if not sequence:
            continue
        sequences.setdefault(sequence[0], set()).add(sequence)
        for part in _KNOWN_NAME_SPLIT.split(name):
            folded = _fold(part)
            # Short parts ("An", "Jo") and particles ("van", "de") would hit ordinary words;
            # they are only redacted as part of the full name.
            if len(folded) >= 3 and folded not in _PARTICLES:
                parts.add(folded)
    candidates = (
        (_first_names() - _CAPITALISED_ONLY) | _trigger_kinds().keys() | parts | sequences.keys()
    )
    return _KnownNames(
        frozenset(parts),
        # Longest first, so that "Sarah Van den Broeck" is tried before "Sarah Van".
        {first: tuple(sorted(found, key=len, reverse=True)) for first, found in sequences.items()},
        frozenset(candidates),
    )


def scrub(text: str, placeholders: Placeholders, known_names: Iterable[str] = ()) -> str:
    """Return ``text`` with e-mail addresses, phone numbers, national register numbers and
    personal names replaced by the given placeholders; everything else stays as written.

    ``known_names`` are names that must go wherever they appear, such as the centre's staff
    ("Sarah Peeters"): the full name and each part of three or more letters are redacted, case-
    and accent-insensitively. Consecutive name words become one placeholder.
    """
    if not text:
        return text
    spans: list[tuple[int, int, str]] = []
    masked = text
    lowered = masked.lower()
    if any(hint in lowered for hint in _EMAIL_HINTS):
        masked = _claim(masked, _spans(_EMAIL, masked), placeholders.email, spans)
    if _digit_count(masked) >= _MIN_DIGITS_FOR_MATCHER:
        masked = _claim_numbers(masked, placeholders, spans)
    known = _index_known_names(tuple(known_names))
    spans.extend((start, end, placeholders.name) for start, end in _name_spans(masked, known))
    if not spans:
        return text
    spans.sort()
    pieces: list[str] = []
    position = 0
    for start, end, placeholder in spans:
        pieces.append(text[position:start])
        pieces.append(placeholder)
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [match.span() for match in pattern.finditer(text)]


def _claim(
    masked: str,
    found: list[tuple[int, int]],
    placeholder: str,
    spans: list[tuple[int, int, str]],
) -> str:
    """Record ``found`` as replaced by ``placeholder`` and mask it for the rules that follow."""
    if not found:
        return masked
    pieces: list[str] = []
    position = 0
    for start, end in found:
        spans.append((start, end, placeholder))
        pieces.append(masked[position:start])
        pieces.append(_MASK * (end - start))
        position = end
    pieces.append(masked[position:])
    return "".join(pieces)


def _digit_count(text: str) -> int:
    return len(_NON_DIGITS.sub("", text))


def _is_date_or_school_year(candidate: str) -> bool:
    return _DATE_OR_SCHOOL_YEAR.fullmatch(candidate.strip()) is not None


def _claim_numbers(
    masked: str, placeholders: Placeholders, spans: list[tuple[int, int, str]]
) -> str:
    """National register numbers, then phone numbers, in the digit runs that could hold one."""
    runs = [(start, end) for start, end, _run in _digit_runs(masked)]
    if not runs:
        return masked
    masked = _claim(masked, _spans(_NATIONAL_NUMBER, masked), placeholders.national_number, spans)
    masked = _claim(masked, _phonenumber_spans(masked, runs), placeholders.phone, spans)
    return _claim(masked, _digit_run_spans(masked), placeholders.phone, spans)


# How far around a digit run phonenumbers gets to look: enough for "+", "(" or "tel:".
_PHONE_CONTEXT = 4
# Longer runs are no single phone number, and phonenumbers' cost grows with them; they hold
# at least 10 digits, so the digit-run rule scrubs them anyway.
_MAX_PHONE_RUN = 40


def _phonenumber_spans(masked: str, runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Phone numbers as phonenumbers sees them, with Belgium as the default region.

    The matcher only gets a window around each candidate digit run: it is pure Python, and
    scanning whole comments with it would dominate the cost of scrubbing.
    """
    windows: list[list[int]] = []
    for run_start, run_end in runs:
        if run_end - run_start > _MAX_PHONE_RUN:
            continue
        start, end = max(run_start - _PHONE_CONTEXT, 0), run_end + _PHONE_CONTEXT
        if windows and start <= windows[-1][1]:
            windows[-1][1] = end
        else:
            windows.append([start, end])
    found: list[tuple[int, int]] = []
    for start, end in windows:
        matcher = phonenumbers.PhoneNumberMatcher(
            masked[start:end], "BE", leniency=phonenumbers.Leniency.POSSIBLE
        )
        for match in matcher:
            # phonenumbers happily reads "2025-2026" and "12.03.2026" as Belgian numbers.
            if not _is_date_or_school_year(match.raw_string):
                found.append((start + match.start, start + match.end))
    return found


def _digit_runs(masked: str) -> list[tuple[int, int, str]]:
    """Digit runs long enough for a number that are not just a date or a school year, with a
    leading "+" ("+32 471 ...") included."""
    runs = []
    for match in _DIGIT_RUN.finditer(masked):
        run = match.group()
        if _is_date_or_school_year(run):
            continue
        start = match.start()
        plus = masked.rfind("+", max(start - 2, 0), start)
        if plus != -1 and not masked[plus + 1 : start].strip(" \t"):
            start = plus
        runs.append((start, match.end(), run))
    return runs


def _digit_run_spans(masked: str) -> list[tuple[int, int]]:
    """Runs of 8 or more digits that phonenumbers did not recognise; when in doubt, scrub."""
    return [
        (start, end)
        for start, end, run in _digit_runs(masked)
        if _digit_count(run) >= _MIN_PHONE_DIGITS
    ]


def _is_acronym(word: str) -> bool:
    """CLB, LSC, OV4 (read as "OV"), GON-begeleiding: capitals throughout the first part."""
    head = word.split("-", 1)[0]
    return len(head) >= 2 and head.isupper()


def _is_initial(word: str) -> bool:
    return len(word) == 1 and word.isupper()


class _Words:
    """A text split into words and the gaps around them: ``gaps[i]`` precedes ``words[i]`` and
    ``gaps[i + 1]`` follows it."""

    def __init__(self, masked: str) -> None:
        self.parts = _WORD_SPLIT.split(masked)
        self.words: list[str] = self.parts[1::2]
        self.gaps: list[str] = self.parts[0::2]

    @functools.cached_property
    def offsets(self) -> list[int]:
        """Where each part starts in the text: word i spans offsets[2i+1]:offsets[2i+2]."""
        return list(itertools.accumulate(map(len, self.parts), initial=0))

    def span(self, first: int, last: int) -> tuple[int, int]:
        return self.offsets[2 * first + 1], self.offsets[2 * last + 2]

    def starts_sentence(self, index: int) -> bool:
        """Whether word ``index`` begins a sentence: at the start of the text or a line, or
        after ".", "!", "?", "…" or ": ". A full stop after an initial or an abbreviation does
        not count, so "A. Janssens" and "dhr. Peeters" still look like names."""
        gap = self.gaps[index]
        before = gap.rstrip(_SENTENCE_LEAD)
        if "\n" in gap[len(before) :]:
            return True
        if not before:
            # Only lead characters between this word and the previous one ("O'Brien").
            return index == 0
        char = before[-1]
        if char in _SENTENCE_END:
            return True
        if char == ":":
            return len(before) < len(gap) and gap[len(before)].isspace()
        if char == ".":
            if len(before) == 1 and index > 0:
                previous = self.words[index - 1]
                return not (_is_initial(previous) or _fold(previous) in _ABBREVIATIONS)
            return True
        return False


def _name_spans(masked: str, known: _KnownNames) -> list[tuple[int, int]]:
    """The stretches of ``masked`` that hold personal names, consecutive name words joined."""
    text = _Words(masked)
    words = text.words
    if not words:
        return []
    # Most words recur across comments, so their verdict is cached; the lookups and the
    # selection of the words that need a closer look run in C, not word by word in Python.
    first_names = _first_names()
    allowed = _allowed_words()
    verdicts = known.verdicts
    if len(verdicts) > _MAX_CACHED_VERDICTS:
        verdicts.clear()
    looks = list(map(verdicts.get, words))
    if None in looks:
        for index, look in enumerate(looks):
            if look is None:
                looks[index] = verdicts[words[index]] = _classify(
                    words[index], known, first_names, allowed
                )
    interesting = list(itertools.compress(range(len(words)), looks))
    if not interesting:
        return []
    flagged = [False] * len(words)
    for index in interesting:
        word = words[index]
        kind, starts_known_name, name = looks[index]
        if starts_known_name:
            _flag_full_name(text, index, known.sequences[_fold(word)], flagged)
        if kind is not None:
            _flag_after_trigger(text, index, kind, flagged, first_names, allowed)
        if not flagged[index] and name:
            flagged[index] = name == _NAME or not text.starts_sentence(index)
    return _join_name_words(text, flagged)


# What ``_classify`` says about a word on its own.
_NOT_A_NAME = 0
_NAME = 1
_NAME_INSIDE_SENTENCE = 2
# The verdict of a word that needs no closer look: falsy, so ``itertools.compress`` skips it.
_BORING: tuple[str | None, bool, int] | tuple[()] = ()
# The per-word verdicts are cached; this bounds the cache for very varied input.
_MAX_CACHED_VERDICTS = 100_000


def _classify(
    word: str, known: _KnownNames, first_names: frozenset[str], allowed: frozenset[str]
) -> tuple[str | None, bool, int] | tuple[()]:
    """Everything about a word that does not depend on where it stands: its trigger kind,
    whether a known full name starts with it, and whether it is a name (``_NAME``), a name
    unless it starts a sentence (``_NAME_INSIDE_SENTENCE``) or not a name (``_NOT_A_NAME``).
    A word that is none of these is ``_BORING``."""
    folded = _fold(word)
    capitalised = word[0].isupper()
    if not capitalised and "-" not in word and folded not in known.lowercase_candidates:
        # Most words: lower case, no trigger, no name.
        return _BORING
    kind = _trigger_kinds().get(folded)
    starts_known_name = folded in known.sequences
    parts = tuple(folded.split("-")) if "-" in folded else ()
    if folded in known.parts or any(part in known.parts for part in parts):
        # (a) The caller's names always go, whatever the other rules say.
        return kind, starts_known_name, _NAME
    if _is_allowed(word, folded, parts, allowed):
        return kind, starts_known_name, _NOT_A_NAME
    # (c) The bundled first names.
    if _is_listed_name(folded, parts, capitalised, first_names):
        return kind, starts_known_name, _NAME
    # (d) A capitalised word, unless it starts the sentence.
    if capitalised and not _is_initial(word) and not _is_acronym(word):
        return kind, starts_known_name, _NAME_INSIDE_SENTENCE
    if kind is None and not starts_known_name:
        return _BORING
    return kind, starts_known_name, _NOT_A_NAME


def _flag_full_name(
    text: _Words, index: int, sequences: tuple[tuple[str, ...], ...], flagged: list[bool]
) -> None:
    """Flag a known full name that starts at word ``index``, its words separated by spaces."""
    words, gaps = text.words, text.gaps
    for sequence in sequences:
        end = index + len(sequence)
        if end > len(words):
            continue
        if all(
            _fold(words[position]) == expected
            and (position == index or _NAME_GAP.fullmatch(gaps[position]))
            for position, expected in zip(range(index, end), sequence, strict=True)
        ):
            for position in range(index, end):
                flagged[position] = True
            return


def _is_allowed(word: str, folded: str, parts: tuple[str, ...], allowed: frozenset[str]) -> bool:
    """Allow-listed as a whole ("Oost-Vlaanderen"), in all its parts ("Nederlands-Franse"), or
    as the head of an ordinary compound ("Teams-vergadering", "Smartschool-bericht")."""
    if folded in allowed:
        return True
    if not parts:
        return False
    if all(part in allowed for part in parts):
        return True
    return parts[0] in allowed and word.split("-", 1)[1].islower()


def _is_listed_name(
    folded: str, parts: tuple[str, ...], capitalised: bool, first_names: frozenset[str]
) -> bool:
    return any(
        candidate in first_names and (capitalised or candidate not in _CAPITALISED_ONLY)
        for candidate in (folded, *parts)
    )


def _flag_after_trigger(
    text: _Words,
    index: int,
    kind: str,
    flagged: list[bool],
    first_names: frozenset[str],
    allowed: frozenset[str],
) -> None:
    """Flag the name after a title, kinship, role or naming word ("juf Sarah Van den Broeck")."""
    words, gaps = text.words, text.gaps
    captured = 0
    skipped = 0
    pending_particles: list[int] = []
    position = index + 1
    while position < len(words) and captured < _MAX_TRIGGERED_WORDS:
        word, gap = words[position], gaps[position]
        if captured == 0 and not pending_particles and skipped == 0:
            gap_ok = _TRIGGER_GAP.fullmatch(gap) is not None
        elif _is_initial(words[position - 1]) and _INITIAL_GAP.fullmatch(gap):
            gap_ok = True
        else:
            gap_ok = _NAME_GAP.fullmatch(gap) is not None
        if not gap_ok:
            return
        folded = _fold(word)
        if kind == "naming" and captured == 0:
            # "ze heet ook Sarah": look past a filler; "het is heet in de klas": no name follows.
            if folded in _NAMING_FILLERS and skipped < 2:
                skipped += 1
            elif word[0].islower() and folded in _NOT_A_NAME_AFTER_NAMING:
                return
            else:
                flagged[position] = True
                captured += 1
        elif _is_name_after_trigger(word, folded, kind, first_names, allowed):
            flagged[position] = True
            for particle in pending_particles:
                flagged[particle] = True
            pending_particles = []
            captured += 1
        elif kind == "title" and folded in _PARTICLES and not word[0].isupper():
            # "meneer van Damme": the particle belongs to the name if a name word follows. Not
            # after kinship or role words: in "de mama van Lotte" it means "of".
            pending_particles.append(position)
        else:
            return
        position += 1


def _is_name_after_trigger(
    word: str, folded: str, kind: str, first_names: frozenset[str], allowed: frozenset[str]
) -> bool:
    if kind == "role" and (folded in allowed or _is_acronym(word)):
        # "leerkracht Nederlands", "begeleider CLB": a subject or a service, not a person.
        return False
    # Lower case only for unambiguous listed names: "my mom said" is not about a "Said".
    return word[0].isupper() or (folded in first_names and folded not in _CAPITALISED_ONLY)


def _join_name_words(text: _Words, flagged: list[bool]) -> list[tuple[int, int]]:
    """Merge flagged words into name stretches: neighbours on one line, particles between two
    name words, initials before ("A. Janssens") and a single initial after ("Sarah P")."""
    words, gaps = text.words, text.gaps
    count = len(words)
    spans: list[tuple[int, int]] = []
    last = -1
    for index in itertools.compress(range(count), flagged):
        if index <= last:
            continue
        first = index
        while (
            first - 1 > last
            and _is_initial(words[first - 1])
            and _INITIAL_GAP.fullmatch(gaps[first])
        ):
            first -= 1
        last = index
        while last + 1 < count:
            # Look past particles for the next name word.
            probe = last + 1
            while (
                probe < count
                and not flagged[probe]
                and _fold(words[probe]) in _PARTICLES
                and _NAME_GAP.fullmatch(gaps[probe])
            ):
                probe += 1
            if probe >= count:
                break
            gap = gaps[probe]
            adjacent = probe == last + 1
            gap_ok = _NAME_GAP.fullmatch(gap) is not None or (
                adjacent and _is_initial(words[last]) and _INITIAL_GAP.fullmatch(gap) is not None
            )
            if gap_ok and flagged[probe]:
                last = probe
            elif gap_ok and adjacent and _is_initial(words[probe]):
                # A trailing initial ends the name.
                last = probe
                break
            else:
                break
        spans.append(text.span(first, last))
    return spans
