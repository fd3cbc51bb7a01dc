"""The OpenAPI 3.1 description of the public JSON API, served at /api/openapi.json."""

from __future__ import annotations

from typing import Any

from campaign.groups.models import GROUP_KINDS, GROUP_REGIONS
from campaign.regions import AREA_NAMES


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


COUNT = {"type": "integer", "minimum": 0}
CACHE_HEADERS = {
    "ETag": {
        "description": "Changes whenever any number in the body does.",
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": "public, max-age=<poll interval>, stale-while-revalidate=<twice that>",
        "schema": {"type": "string"},
    },
}


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}},
        },
    }


def openapi_document(title: str) -> dict[str, Any]:
    """The OpenAPI document for /api/stats.json and /api/groups.json."""
    kind_enum = list(GROUP_KINDS)
    schemas = {
        "Stats": _object(
            {
                "signatures": {
                    **COUNT,
                    "description": "Signatures of the appeal, online and on paper together "
                    "(signatures_online + signatures_paper).",
                },
                "signatures_online": {
                    **COUNT,
                    "description": "Signatures made on the site and confirmed by e-mail.",
                },
                "signatures_paper": {
                    **COUNT,
                    "description": "Signatures gathered on paper at meetings and stalls, "
                    "entered by the organisers.",
                },
                "groups": {**COUNT, "description": "Approved group affiliations."},
                "groups_by_kind": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/KindCount"},
                },
                "regions": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/RegionCount"},
                },
                "days": {
                    "type": "array",
                    "description": "Signatures confirmed per day (UTC), oldest first; "
                    "days without any are left out.",
                    "items": {"$ref": "#/components/schemas/DayCount"},
                },
                "goals": {"type": "array", "items": {"$ref": "#/components/schemas/Goal"}},
                "next_goal": {
                    "description": "The smallest goal not yet reached; null when all are.",
                    "oneOf": [{"$ref": "#/components/schemas/Goal"}, {"type": "null"}],
                },
            },
            "The live public numbers.",
        ),
        "KindCount": _object(
            {
                "kind": {"type": "string", "enum": kind_enum},
                "label": {"type": "string", "description": "Singular, e.g. 'Momentum branch'."},
                "plural": {"type": "string", "description": "e.g. 'Momentum branches'."},
                "count": COUNT,
            }
        ),
        "RegionCount": _object(
            {
                "region": {"type": "string", "enum": list(AREA_NAMES)},
                "name": {"type": "string"},
                "signatures": COUNT,
                "groups": COUNT,
            },
            "A UK nation or region; 'outside-uk' has signatures only, 'national' (UK-wide "
            "bodies) groups only.",
        ),
        "DayCount": _object(
            {"date": {"type": "string", "format": "date"}, "signatures": COUNT},
        ),
        "Goal": _object(
            {
                "count": COUNT,
                "label": {"type": "string"},
                "reached": {"type": "boolean"},
            }
        ),
        "GroupDirectory": _object(
            {
                "count": COUNT,
                "groups": {"type": "array", "items": {"$ref": "#/components/schemas/Group"}},
            },
            "Approved groups, ordered by name.",
        ),
        "Group": _object(
            {
                "name": {"type": "string"},
                "kind": {"type": "string", "enum": kind_enum},
                "kind_label": {"type": "string"},
                "region": {"type": "string", "enum": list(GROUP_REGIONS)},
                "region_name": {"type": "string"},
                "town": {"type": ["string", "null"]},
                "website": {"type": ["string", "null"], "format": "uri"},
            },
            "An approved group's public details (contact details are never published).",
        ),
        "Error": _object(
            {
                "error": {"type": "string"},
                "message": {"type": "string"},
                "status": {"type": "integer"},
            }
        ),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{title}: public numbers",
            "version": "1.0.0",
            "description": "Live counts of the appeal's signatures and group affiliations, "
            "and the public directory of affiliated groups. Responses are cacheable; send "
            "If-None-Match with the last ETag to get 304 Not Modified.",
        },
        "paths": {
            "/api/stats.json": {
                "get": {
                    "operationId": "getStats",
                    "summary": "Totals, per kind of group, per region and per day",
                    "responses": {
                        "200": {
                            "description": "The numbers now.",
                            "headers": CACHE_HEADERS,
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Stats"}
                                }
                            },
                        },
                        "304": {"description": "Unchanged since the ETag sent."},
                    },
                }
            },
            "/api/groups.json": {
                "get": {
                    "operationId": "listGroups",
                    "summary": "The public directory of approved groups",
                    "parameters": [
                        {
                            "name": "kind",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": kind_enum},
                        },
                        {
                            "name": "region",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": list(GROUP_REGIONS)},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "The approved groups that match.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/GroupDirectory"}
                                }
                            },
                        },
                        "304": {"description": "Unchanged since the ETag sent."},
                        "400": _error_response("A query parameter has an unknown value."),
                    },
                }
            },
        },
        "components": {"schemas": schemas},
    }
