"""The closed vocabularies a questionnaire file may use (see FORMAT.md)."""

from __future__ import annotations

AUDIENCES = ("pupil", "parent", "teacher", "school", "coach")
MODES = ("open", "anonymous")
LANGUAGES = ("nl", "fr", "en", "ar", "tr", "pl", "uk")
REQUIRED_LANGUAGE = "nl"

# The nine themes of the feedbackmatrix (BRIEF.md §3), in the matrix's own order.
MATRIX_THEMES = (
    "opdracht",
    "rollen",
    "doelgerichtheid",
    "leersteundomeinen",
    "vorm",
    "communicatie",
    "resultaat",
    "participatie",
    "empowerment",
)
SATISFACTION_THEMES = (
    "betrokkenheid",
    "gehoord",
    "effect",
    "leervraag",
    "professionalisering",
    "inbedding",
    "samenwerking",
    "toegankelijkheid",
    "welbevinden",
    "algemeen",
)
THEMES = MATRIX_THEMES + SATISFACTION_THEMES

# The inspectorate's development scales (ontwikkelingsschalen) named in its review of the
# centres (seed 000): quality policy, learning support, processes, collaboration, buildings.
FRAMEWORK_CODES = (
    *(f"K{n}" for n in range(1, 7)),
    "LM1",
    "LM2",
    "LM3",
    *(f"LP{n}" for n in range(1, 6)),
    "S1",
    "S2",
    "BVH1",
    "BVH2",
)

SCALE_KINDS = {"agree": 4, "pictorial": 3}
DEFAULT_OPEN_MAX_LENGTH = 2000
MAX_OPEN_MAX_LENGTH = 5000
