"""The synthetic demo centre's fixed data: its schools, coaches, weights, effects and texts.

Plain values, kept apart from the code that builds the centre from them (survey/demo/services.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from survey.models import Audience, CloseReason, DisabilityType, Focus, HoldReason, Level

DEMO_CENTRE_CODE = "demo"
DEMO_CENTRE_NAME = "Leersteuncentrum Demo"
DEMO_DOMAIN = "demo.klankbord.be"
COORDINATOR_EMAIL = f"coordinator@{DEMO_DOMAIN}"
ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"
PASSWORD_FILE = "demo-password"  # noqa: S105 - a file name, not a password
SEED = 20_240_901
# The demo's "today": fixed, so that a run next month gives the same centre.
REFERENCE_DAY = date(2026, 11, 1)
SCHOOL_YEARS = ("2024-2025", "2025-2026")
YEAR_EFFECT = {"2024-2025": 0.0, "2025-2026": 0.15}

# name, instellingsnummer (fictitious: real ones do not start with 9), levels, size, effect
SCHOOLS: Sequence[tuple[str, str, tuple[Level, ...], int, float]] = (
    ("Basisschool De Regenboog", "900101", (Level.KLEUTER, Level.LAGER), 14, 0.35),
    ("Vrije Basisschool Sint-Jozef", "900102", (Level.KLEUTER, Level.LAGER), 16, 0.10),
    ("GO! Basisschool De Wegwijzer", "900103", (Level.KLEUTER, Level.LAGER), 12, -0.50),
    ("Gemeentelijke Basisschool Het Klavertje", "900104", (Level.KLEUTER, Level.LAGER), 11, 0.20),
    ("Vrije Basisschool De Zonnebloem", "900105", (Level.KLEUTER, Level.LAGER), 13, 0.00),
    ("Stedelijke Basisschool De Vlieger", "900106", (Level.KLEUTER, Level.LAGER), 10, -0.15),
    ("Basisschool 't Kompas", "900107", (Level.KLEUTER, Level.LAGER), 6, 0.30),
    ("GO! Atheneum Zonnedal", "900108", (Level.SECUNDAIR,), 15, -0.30),
    ("Sint-Lutgardiscollege", "900109", (Level.SECUNDAIR,), 14, 0.15),
    ("Technisch Instituut De Brug", "900110", (Level.SECUNDAIR,), 13, -0.20),
    ("Middenschool Het Spoor", "900111", (Level.SECUNDAIR,), 9, 0.05),
    ("Campus Ter Beke", "900112", (Level.SECUNDAIR, Level.HBO5), 5, 0.25),
)
# name, effect on teachers' ratings of their coaching
COACHES: Sequence[tuple[str, float]] = (
    ("An Peeters", 0.30),
    ("Bram Janssens", -0.10),
    ("Charlotte Maes", 0.15),
    ("Dries Jacobs", -0.45),
    ("Elif Yılmaz", 0.25),
    ("Fien Willems", 0.00),
    ("Gert Claes", -0.20),
    ("Hanne Goossens", 0.10),
)
TRAJECTORY_COUNT = 150

DISABILITY_WEIGHTS = {
    DisabilityType.TYPE_9: 28,
    DisabilityType.BA: 24,
    DisabilityType.TYPE_3: 14,
    DisabilityType.TYPE_7: 12,
    DisabilityType.TYPE_2: 12,
    DisabilityType.TYPE_4: 6,
    DisabilityType.TYPE_6: 4,
}
# The seven on-hold reasons in the council's order, most frequent first.
HOLD_WEIGHTS = dict(zip(list(HoldReason)[:7], (30, 22, 16, 11, 9, 7, 5), strict=True))
CLOSE_WEIGHTS = {
    CloseReason.GOALS_REACHED: 45,
    CloseReason.SCHOOL_TAKES_OVER: 18,
    CloseReason.PUPIL_LEFT_SCHOOL: 14,
    CloseReason.SPECIAL_EDUCATION: 9,
    CloseReason.REPORT_ENDED: 8,
    CloseReason.FAMILY_DECLINES: 6,
}
# Themes where the inspectorate found centres weakest sit lower for that audience.
THEME_EFFECTS = {
    (Audience.TEACHER, "doelgerichtheid"): -0.65,
    (Audience.TEACHER, "leervraag"): -0.35,
    (Audience.PARENT, "betrokkenheid"): -0.35,
    (Audience.PARENT, "toegankelijkheid"): -0.25,
    (Audience.SCHOOL, "professionalisering"): -0.30,
}
# How each perspective tends to see a trajectory in the feedbackmatrix: the divergences the
# evaluation meeting talks about.
PERSPECTIVE_EFFECTS = {
    (Audience.COACH, None): 0.35,
    (Audience.PARENT, "communicatie"): -0.55,
    (Audience.PARENT, "empowerment"): -0.45,
    (Audience.TEACHER, "doelgerichtheid"): -0.50,
    (Audience.TEACHER, "resultaat"): -0.40,
    (Audience.PUPIL, "participatie"): -0.30,
    (Audience.SCHOOL, "vorm"): -0.35,
}
AGREE_CUTS = (-1.55, -0.55, 0.85)
FACES_CUTS = (-0.95, 0.25)

PARENT_COMMENTS = (
    "De leerondersteuner neemt echt de tijd voor ons kind.",
    "Ik had graag wat vaker nieuws gekregen over hoe het gaat.",
    "Mijn zoon gaat weer graag naar school. Dank je wel!",
    "Het was niet altijd duidelijk wie wat zou doen.",
    "De afspraken na het overleg werden goed opgevolgd.",
    "We werden pas laat betrokken bij de doelen.",
    "Goede samenwerking met de juf en de leerondersteuner.",
    "Bel me gerust op 0470 12 34 56 als er vragen zijn.",
)
TEACHER_COMMENTS = (
    "Mijn leervraag werd in het begin goed uitgeklaard.",
    "Meer concrete tips voor tijdens de les zouden helpen.",
    "Samen lesgeven (co-teaching) werkte voor mij het best.",
    "Het overleg viel vaak tijdens mijn lesuren, dat was lastig.",
    "Ik voel me sterker in het omgaan met deze leerling.",
)
GOALS = {
    Focus.PUPIL: (
        (
            "De leerling vraagt zelf hulp als hij de opdracht niet begrijpt.",
            "Hij gebruikt het hulpkaartje minstens één keer per les, zonder herinnering.",
        ),
        (
            "De leerling werkt tien minuten zelfstandig aan een opdracht.",
            "In drie opeenvolgende weken lukt dit in de meeste lessen wiskunde.",
        ),
        (
            "De leerling neemt deel aan het kringgesprek.",
            "Ze vertelt iets in minstens twee kringen per week.",
        ),
    ),
    Focus.TEACHER: (
        (
            "De leerkracht differentieert de instructie met een verlengde instructie.",
            "De leerkracht plant de verlengde instructie zelf in elke les rekenen.",
        ),
        (
            "De leerkracht gebruikt visualisaties om de dag te structureren.",
            "Het dagschema hangt elke dag klaar en wordt bij de start overlopen.",
        ),
    ),
}
MATRIX_COMMENTS = (
    "De visualisaties in de klas helpen echt.",
    "We moeten de doelen concreter maken voor de volgende periode.",
    "Meer afstemming tussen school en thuis is nodig.",
    "De leerling durft nu vaker hulp te vragen.",
)
