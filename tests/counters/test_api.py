"""The JSON API: the OpenAPI document is valid and every real response matches its schemas."""

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from campaign.extensions import db
from campaign.groups.models import GROUP_KINDS
from tests.support.factories import approve, group, signed, withdraw


@pytest.fixture
def openapi(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def schema_validator(document: dict, name: str) -> Draft202012Validator:
    """A validator for one component schema, resolving its $refs within the document."""
    registry = Registry().with_resource(
        "urn:openapi", Resource.from_contents(document, default_specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": f"urn:openapi#/components/schemas/{name}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def test_openapi_document_is_valid_openapi_3_1(openapi):
    assert openapi["openapi"].startswith("3.1")
    validate(openapi)  # raises on any fault
    assert {"/api/stats.json", "/api/groups.json"} <= set(openapi["paths"])


def test_stats_response_matches_its_schema(app, client, openapi):
    with app.app_context():
        signed(3, region="wales")
        signed(1, region=None, country="Spain")
        approve(group("momentum-branch"))
        approve(group("trade-union", region="national"))
        db.session.commit()
    body = client.get("/api/stats.json").get_json()
    schema_validator(openapi, "Stats").validate(body)
    assert body["signatures"] == 4 and body["groups"] == 2
    regions = {r["region"]: r for r in body["regions"]}
    assert regions["wales"] == {"region": "wales", "name": "Wales", "signatures": 3, "groups": 0}
    assert regions["outside-uk"]["signatures"] == 1
    assert regions["national"]["groups"] == 1
    kinds = {k["kind"]: k["count"] for k in body["groups_by_kind"]}
    assert kinds["momentum-branch"] == 1 and set(kinds) == set(GROUP_KINDS)
    assert sum(d["signatures"] for d in body["days"]) == 4
    assert body["next_goal"]["count"] == body["goals"][0]["count"]


def test_stats_schema_rejects_what_the_api_must_not_send(openapi):
    # The check has teeth: an extra field or a negative count fails validation.
    validator = schema_validator(openapi, "DayCount")
    assert not validator.is_valid({"date": "2025-01-01", "signatures": -1})
    assert not validator.is_valid({"date": "2025-01-01", "signatures": 1, "email": "x"})


def test_groups_directory_lists_approved_groups_without_contacts(app, client, openapi):
    with app.app_context():
        approve(group("momentum-branch", "london", name="Camden Momentum"))
        approve(group("clp", "wales", name="Cardiff West CLP"))
        withdraw(approve(group("clp", "wales", name="Withdrawn CLP")))
        group("clp", "wales", name="Waiting CLP")
        db.session.commit()
    response = client.get("/api/groups.json")
    body = response.get_json()
    schema_validator(openapi, "GroupDirectory").validate(body)
    assert [g["name"] for g in body["groups"]] == ["Camden Momentum", "Cardiff West CLP"]
    assert body["count"] == 2
    text = response.text
    for private in ("contact", "Private Contact", "07700", "@example.org", "AGM"):
        assert private not in text
    assert body["groups"][1] == {
        "name": "Cardiff West CLP",
        "kind": "clp",
        "kind_label": "CLP or branch Labour Party",
        "region": "wales",
        "region_name": "Wales",
        "town": "Town",
        "website": body["groups"][1]["website"],
    }
    assert "Set-Cookie" not in response.headers
    assert (
        client.get(
            "/api/groups.json", headers={"If-None-Match": response.headers["ETag"]}
        ).status_code
        == 304
    )


def test_groups_directory_filters_by_kind_and_region(app, client):
    with app.app_context():
        approve(group("momentum-branch", "london", name="A"))
        approve(group("clp", "london", name="B"))
        approve(group("clp", "wales", name="C"))
        db.session.commit()

    def names(**query):
        return [
            g["name"] for g in client.get("/api/groups.json", query_string=query).json["groups"]
        ]

    assert names(kind="clp") == ["B", "C"]
    assert names(region="london") == ["A", "B"]
    assert names(kind="clp", region="wales") == ["C"]
    assert names(kind="", region="") == ["A", "B", "C"]


@pytest.mark.parametrize(
    "query", [{"kind": "nonsense"}, {"region": "atlantis"}, {"kind": "clp", "region": "x" * 5000}]
)
def test_bad_query_parameters_get_a_json_400(client, openapi, query):
    response = client.get("/api/groups.json", query_string=query)
    assert response.status_code == 400
    body = response.get_json()
    schema_validator(openapi, "Error").validate(body)
    assert "must be one of" in body["message"]
