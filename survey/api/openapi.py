"""The API's OpenAPI 3.1 document, written out as a Python dict.

Written by hand rather than generated from the views, so it is a contract to review: the tests
validate it as OpenAPI 3.1 and check every response of every operation against it.
It is reference text for developers and stays in English, like the column names it describes.
"""

from __future__ import annotations

from typing import Any

from survey.api.forms import (
    AUDIENCE_VALUES,
    DEFAULT_PER_PAGE,
    GROUP_TYPES,
    MAX_ID,
    MAX_PAGE,
    MAX_PER_PAGE,
    MEASURE_TYPES,
    SCHOOL_YEAR_PATTERN,
)
from survey.api.problems import INVALID_PARAMETER, MEDIA_TYPE, TOO_FEW_RESPONDENTS
from survey.reports.exports import COLUMNS

VERSION = "1.0.0"


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _json(schema: dict[str, Any], media_type: str = "application/json") -> dict[str, Any]:
    return {media_type: {"schema": schema}}


_SCHOOL_YEAR = {"type": "string", "pattern": SCHOOL_YEAR_PATTERN, "examples": ["2025-2026"]}

ROW = {
    "type": "object",
    "description": (
        "One figure: a group x measure x statistic. A group below the anonymity threshold is "
        "one row with `suppressed` true and `value`, `ci_low`, `ci_high` and `n` null: a gap, "
        "never a zero. The same columns as the report's CSV and XLSX exports."
    ),
    "additionalProperties": False,
    "required": list(COLUMNS),
    "properties": {
        "centre": {"type": "string", "description": "The centre's code."},
        "school_year": {
            **_SCHOOL_YEAR,
            "description": "The school year of the figure (the previous one for comparisons).",
        },
        "audience": {
            "type": "string",
            "enum": ["", *AUDIENCE_VALUES],
            "description": "Who answered; empty for trajectory figures.",
        },
        "group_type": {"type": "string", "enum": list(GROUP_TYPES)},
        "group_id": {
            "type": ["integer", "null"],
            "description": "The school's or coach's id; null for the centre.",
        },
        "group_code": {
            "type": "string",
            "description": "A school's institution number (instellingsnummer); else empty.",
        },
        "group_name": {"type": "string"},
        "measure_type": {"type": "string", "enum": list(MEASURE_TYPES)},
        "measure_id": {
            "type": "string",
            "description": "A statement's id (e.g. `algemeen-tevreden`), `theme:<theme>`, "
            "a trajectory figure's id, or empty for respondent counts.",
        },
        "theme": {"type": "string"},
        "measure_text": {"type": "string", "description": "The statement or figure, in Dutch."},
        "category": {
            "type": "string",
            "description": "A scale point (`1`...), `dont_know`, or a trajectory category.",
        },
        "statistic": {
            "type": "string",
            "description": "respondents, invitations, response_rate, n, count, top2_share, "
            "profile, mean, cronbach_alpha, top2_share_difference, mean_difference, p_holm, "
            "share.",
        },
        "value": {"type": ["number", "string", "null"]},
        "ci_low": {
            "type": ["number", "null"],
            "description": "Lower bound of the 95 % confidence interval.",
        },
        "ci_high": {"type": ["number", "null"]},
        "n": {"type": ["integer", "null"], "description": "Respondents behind the figure."},
        "suppressed": {"type": "boolean"},
        "compared_with": {
            "type": "string",
            "description": "For differences: the school year compared with; else empty.",
        },
    },
}

SCHOOL = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "name", "institution_number"],
    "properties": {
        "id": {"type": "integer", "minimum": 1},
        "name": {"type": "string"},
        "institution_number": {"type": "string", "description": "The instellingsnummer."},
    },
}

LINKS = {
    "type": "object",
    "additionalProperties": False,
    "required": ["self", "next", "prev"],
    "properties": {
        "self": {"type": "string", "format": "uri"},
        "next": {"type": ["string", "null"], "format": "uri"},
        "prev": {"type": ["string", "null"], "format": "uri"},
    },
}

PAGE_META = {
    "type": "object",
    "additionalProperties": False,
    "required": ["page", "per_page", "total"],
    "properties": {
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        "total": {"type": "integer", "minimum": 0, "description": "Items over all pages."},
    },
}

RESULT_META = {
    **PAGE_META,
    "required": [*PAGE_META["required"], "threshold", "school_year"],
    "properties": {
        **PAGE_META["properties"],
        "threshold": {
            "type": "integer",
            "minimum": 2,
            "description": "The anonymity threshold k: smaller groups are suppressed.",
        },
        "school_year": _SCHOOL_YEAR,
    },
}


def _page_of(item: str, meta: str) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["data", "meta", "links"],
        "properties": {
            "data": {"type": "array", "items": _ref("schemas", item)},
            "meta": _ref("schemas", meta),
            "links": _ref("schemas", "Links"),
        },
    }


PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {
            "type": "string",
            "format": "uri-reference",
            "description": f"`about:blank`, `{INVALID_PARAMETER}` (with `parameter`) or "
            f"`{TOO_FEW_RESPONDENTS}` (with `threshold`).",
        },
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "parameter": {"type": "string", "description": "The query parameter refused."},
        "threshold": {"type": "integer", "description": "The anonymity threshold k."},
    },
}


def _problem(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": _json(_ref("schemas", "Problem"), MEDIA_TYPE),
    }
    if headers:
        response["headers"] = headers
    return response


RESPONSES = {
    "BadRequest": _problem("A query parameter is invalid; `parameter` names it."),
    "Unauthorized": _problem(
        "No token, an unknown token or a revoked one.",
        {
            "WWW-Authenticate": {
                "schema": {"type": "string"},
                "description": "`Bearer` challenge (RFC 6750).",
            }
        },
    ),
    "NotFound": _problem("The school does not exist in the token's centre."),
    "TooFewRespondents": _problem(
        "The selection (an audience or a school) has fewer respondents than the anonymity "
        "threshold, so it is refused rather than shown."
    ),
    "TooManyRequests": _problem(
        "Rate limit exceeded (per token, and per client address for refused tokens).",
        {"Retry-After": {"schema": {"type": "string"}, "description": "Seconds to wait."}},
    ),
}

PARAMETERS = {
    "SchoolYear": {
        "name": "school_year",
        "in": "query",
        "description": "Default: the newest school year of `/school-years`.",
        "schema": _SCHOOL_YEAR,
    },
    "Audience": {
        "name": "audience",
        "in": "query",
        "description": "Only this audience's rows; refused (422) below the threshold.",
        "schema": {"type": "string", "enum": list(AUDIENCE_VALUES)},
    },
    "SchoolId": {
        "name": "school_id",
        "in": "query",
        "description": "Only this school's rows; refused (422) when all its respondent counts "
        "are suppressed.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    },
    "GroupType": {
        "name": "group_type",
        "in": "query",
        "schema": {"type": "string", "enum": list(GROUP_TYPES)},
    },
    "MeasureType": {
        "name": "measure_type",
        "in": "query",
        "schema": {"type": "string", "enum": list(MEASURE_TYPES)},
    },
    "Page": {
        "name": "page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
    },
    "PerPage": {
        "name": "per_page",
        "in": "query",
        "schema": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_PER_PAGE,
            "default": DEFAULT_PER_PAGE,
        },
    },
}


def _operation(
    operation_id: str,
    summary: str,
    schema: str,
    parameters: tuple[str, ...] = (),
    errors: tuple[str, ...] = ("BadRequest", "Unauthorized", "TooManyRequests"),
) -> dict[str, Any]:
    codes = {
        "BadRequest": "400",
        "Unauthorized": "401",
        "NotFound": "404",
        "TooFewRespondents": "422",
        "TooManyRequests": "429",
    }
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "parameters": [_ref("parameters", name) for name in parameters],
            "responses": {
                "200": {"description": "OK", "content": _json(_ref("schemas", schema))},
                **{codes[name]: _ref("responses", name) for name in errors},
            },
        }
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document served at ``/api/v1/openapi.json``."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Klankbord API",
            "version": VERSION,
            "description": (
                "Read-only figures of one centre's council report (leersteunraad): the same "
                "suppressed figures as the report page and its CSV export. Every call needs an "
                "API token of the centre (made by a coordinator at /api-tokens) in the "
                "`Authorization: Bearer <token>` header; tokens in the address are refused. "
                "Lists are paginated: follow `links.next` until it is null."
            ),
        },
        "security": [{"bearerAuth": []}],
        "paths": {
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "security": [],
                    "responses": {
                        "200": {"description": "OK", "content": _json({"type": "object"})}
                    },
                }
            },
            "/api/v1/school-years": _operation(
                "schoolYears",
                "School years with answers, newest first, plus the current one",
                "SchoolYears",
            ),
            "/api/v1/schools": _operation(
                "schools", "The centre's schools", "SchoolPage", ("Page", "PerPage")
            ),
            "/api/v1/results": _operation(
                "results",
                "The council report's figures in tidy long form",
                "ResultPage",
                (
                    "SchoolYear",
                    "Audience",
                    "SchoolId",
                    "GroupType",
                    "MeasureType",
                    "Page",
                    "PerPage",
                ),
                ("BadRequest", "Unauthorized", "NotFound", "TooFewRespondents", "TooManyRequests"),
            ),
            "/api/v1/trajectory-figures": _operation(
                "trajectoryFigures",
                "The centre's trajectory figures (rows with measure_type `trajectories`)",
                "ResultPage",
                ("SchoolYear", "Page", "PerPage"),
            ),
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token of the centre, starting with `kb_`.",
                }
            },
            "parameters": PARAMETERS,
            "responses": RESPONSES,
            "schemas": {
                "SchoolYears": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["data"],
                    "properties": {"data": {"type": "array", "items": _SCHOOL_YEAR}},
                },
                "School": SCHOOL,
                "SchoolPage": _page_of("School", "PageMeta"),
                "Row": ROW,
                "ResultPage": _page_of("Row", "ResultMeta"),
                "PageMeta": PAGE_META,
                "ResultMeta": RESULT_META,
                "Links": LINKS,
                "Problem": PROBLEM,
            },
        },
    }
