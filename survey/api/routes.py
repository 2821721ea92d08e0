"""The read-only JSON API, version 1: the council report's figures for one centre per token."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask_babel import gettext as _

from survey.api.auth import token_required
from survey.api.forms import Paging, parse_paging, parse_result_query, parse_school_year
from survey.api.openapi import openapi_document
from survey.api.problems import Problem, register_error_handlers, too_few_respondents
from survey.api.services import RowFilter, report_rows, school_in_centre, schools_of
from survey.extensions import csrf
from survey.models import Centre
from survey.reports.services import ReportRefused, default_school_year, school_years

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Tokens, not cookies, authenticate here: there is no session for a forged request to ride on.
csrf.exempt(bp)
register_error_handlers(bp)


@bp.after_request
def _no_store(response: Response) -> Response:
    # Report figures are not for shared caches, and a later call may see a revoked token.
    response.headers["Cache-Control"] = "no-store"
    return response


def _link(endpoint: str, params: dict[str, Any], page: int) -> str:
    # BASE_URL, not the request's host: behind a proxy that is the address clients know.
    base = current_app.config["BASE_URL"].rstrip("/")
    return base + url_for(endpoint, **params, page=page)


def _page(
    items: list[dict[str, Any]],
    paging: Paging,
    endpoint: str,
    params: dict[str, Any],
    meta: dict[str, Any] | None = None,
) -> Response:
    """One page of ``items`` with its links, which repeat the request's normalised filters."""
    params = {k: v for k, v in params.items() if v is not None} | {"per_page": paging.per_page}
    more = paging.start + paging.per_page < len(items)
    return jsonify(
        {
            "data": items[paging.start : paging.start + paging.per_page],
            "meta": {
                "page": paging.page,
                "per_page": paging.per_page,
                "total": len(items),
                **(meta or {}),
            },
            "links": {
                "self": _link(endpoint, params, paging.page),
                "next": _link(endpoint, params, paging.page + 1) if more else None,
                "prev": _link(endpoint, params, paging.page - 1) if paging.page > 1 else None,
            },
        }
    )


def _default_school_year(centre: Centre) -> str:
    # As on the report page: the newest year with answers, not an empty current one.
    return default_school_year(centre)


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())


@bp.get("/school-years")
@token_required
def school_years_list(centre: Centre) -> Response:
    return jsonify({"data": school_years(centre)})


@bp.get("/schools")
@token_required
def schools(centre: Centre) -> Response:
    return _page(schools_of(centre), parse_paging(request.args), "api.schools", {})


@bp.get("/results")
@token_required
def results(centre: Centre) -> Response:
    query = parse_result_query(request.args, lambda: _default_school_year(centre))
    school = None
    if query.school_id is not None:
        school = school_in_centre(centre, query.school_id)
        if school is None:
            # Another centre's school is as unknown here as one that does not exist.
            raise Problem(404, _("This centre has no school with that id."))
    selection = RowFilter(
        school_year=query.school_year,
        audience=query.audience,
        school=school,
        group_type=query.group_type,
        measure_type=query.measure_type,
    )
    try:
        rows, threshold = report_rows(centre, selection)
    except ReportRefused:
        raise too_few_respondents(current_app.config["ANONYMITY_THRESHOLD"]) from None
    params = {
        "school_year": query.school_year,
        "audience": query.audience,
        "school_id": query.school_id,
        "group_type": query.group_type,
        "measure_type": query.measure_type,
    }
    meta = {"threshold": threshold, "school_year": query.school_year}
    return _page(rows, query.paging, "api.results", params, meta)


@bp.get("/trajectory-figures")
@token_required
def trajectory_figures(centre: Centre) -> Response:
    school_year = parse_school_year(request.args, lambda: _default_school_year(centre))
    paging = parse_paging(request.args)
    rows, threshold = report_rows(
        centre, RowFilter(school_year=school_year, measure_type="trajectories")
    )
    meta = {"threshold": threshold, "school_year": school_year}
    return _page(rows, paging, "api.trajectory_figures", {"school_year": school_year}, meta)
