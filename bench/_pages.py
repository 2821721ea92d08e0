"""The pages both floors of bench/load.py serve (_bare_app.py, _stack_app.py): one markup.

The same fields as the parents' questionnaire page (ten statements, one comment box), so the
load generator does the same parsing and posting against the floors as against Klankbord.
"""

from __future__ import annotations

from markupsafe import escape

ITEMS = 10
_FORM = (
    "<!doctype html><html lang='nl'><head><title>Vragenlijst</title></head><body>"
    "<form method='post' action='/r/{token}'>"
    "<input type='hidden' name='csrf_token' value='{csrf}'>"
    "<input type='hidden' name='page' value='0'>"
    "{items}"
    "<textarea name='open-nog-iets' maxlength='2000'></textarea>"
    "<button type='submit' name='action' value='submit'>Verstuur</button>"
    "</form></body></html>"
)
_ITEM = "".join(
    f"<input type='radio' name='item-q{{n}}' value='{value}'>"
    for value in ("1", "2", "3", "4", "0")
)
THANKS = "<!doctype html><html lang='nl'><body><h1>Bedankt!</h1></body></html>"


def form_page(token: str, csrf: str) -> str:
    items = "".join(_ITEM.format(n=n) for n in range(ITEMS))
    return _FORM.format(token=escape(token), csrf=escape(csrf), items=items)
