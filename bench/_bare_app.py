"""The floor for bench/load.py: a bare Flask app doing one INSERT per submission.

It serves the same three requests a respondent makes (the form, the POST, the thank-you page)
with the same field names, so the load generator does exactly the same work against it; only
the POST touches the database, with one INSERT through a plain SQLAlchemy engine (pool_pre_ping
on, as in the app). Served by gunicorn with the project's gunicorn.conf.py:

    gunicorn -c gunicorn.conf.py bench._bare_app:app

The database URL comes from ``KLANKBORD_BENCH_DATABASE_URL``; bench/load.py creates the table.
"""

from __future__ import annotations

import os

from flask import Flask, redirect, request
from sqlalchemy import create_engine, text

from bench._pages import THANKS, form_page

engine = create_engine(os.environ["KLANKBORD_BENCH_DATABASE_URL"], pool_pre_ping=True)
app = Flask(__name__)


@app.get("/healthz")
def healthz() -> str:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return "ok"


@app.get("/r/<token>")
def form(token: str) -> str:
    return form_page(token, "bare")


@app.post("/r/<token>")
def submit(token: str):
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO bare_submission (token, answers) VALUES (:token, :answers)"),
            {"token": token, "answers": request.get_data(as_text=True)},
        )
    return redirect(f"/r/{token}/thanks")


@app.get("/r/<token>/thanks")
def thanks(token: str) -> str:
    return THANKS
