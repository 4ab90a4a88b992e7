"""`POST /clicks`: strict about its input, small, answered 204, documented."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import AnalyticsService


@pytest.fixture
def search_id(service: AnalyticsService) -> str:
    found = service.search("health")["search_id"]
    assert isinstance(found, str)
    return found


def post(service: AnalyticsService, body: str | bytes, content_type: str = "text/plain") -> Any:
    return service.client.post("/clicks", content=body, headers={"Content-Type": content_type})


def report_body(drawn: str, **changes: Any) -> str:
    fields = {"search_id": drawn, "position": 1, "article_id": "health-benin", **changes}
    return json.dumps({k: v for k, v in fields.items() if v is not None})


def test_a_beacon_with_a_text_plain_body_is_accepted_with_204(
    service: AnalyticsService, search_id: str
) -> None:
    """What `navigator.sendBeacon(url, string)` sends: text/plain;charset=UTF-8."""
    response = post(service, report_body(search_id), "text/plain;charset=UTF-8")

    assert response.status_code == 204
    assert response.content == b""
    assert service.report().opened_results == 1


def test_a_json_body_is_accepted_too(service: AnalyticsService, search_id: str) -> None:
    assert post(service, report_body(search_id), "application/json").status_code == 204


@pytest.mark.parametrize("content_type", ["text/html", "application/x-www-form-urlencoded", ""])
def test_any_other_body_type_is_refused_with_415(
    service: AnalyticsService, search_id: str, content_type: str
) -> None:
    response = post(service, report_body(search_id), content_type)

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_the_longest_report_the_schema_allows_is_never_refused_for_its_size(
    service: AnalyticsService, search_id: str
) -> None:
    """512 characters beyond the BMP, each escaped as JSON allows (12 bytes): read, not 413."""
    body = json.dumps(
        {"search_id": search_id, "position": 10_000, "article_id": "\U0001f600" * 512},
        ensure_ascii=True,
    )
    assert len(body) > 6_000

    response = post(service, body)

    assert response.status_code == 204  # read, and ignored: no such article


def test_a_body_beyond_the_limit_is_refused_with_413(
    service: AnalyticsService, search_id: str
) -> None:
    response = post(service, report_body(search_id, article_id="x" * 9000))

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"


def test_a_body_without_a_length_is_refused_once_it_passes_the_limit(
    service: AnalyticsService,
) -> None:
    """No Content-Length (chunked): the body is counted as it is read."""

    def chunks() -> Iterator[bytes]:
        for _ in range(1000):
            yield b"x" * 512  # 512 kB in all, far past the limit

    response = service.client.post(
        "/clicks", content=chunks(), headers={"Content-Type": "text/plain"}
    )

    assert response.status_code == 413


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"position": 0}, "position"),
        ({"position": "1"}, "position"),
        ({"position": 10_001}, "position"),
        ({"position": 1.5}, "position"),
        ({"position": True}, "position"),
        ({"article_id": ""}, "article_id"),
        ({"article_id": 42}, "article_id"),
        ({"search_id": "too short"}, "search_id"),
        ({"position": None}, "position"),
        ({"visitor": "someone@example.org"}, "visitor"),
    ],
)
def test_anything_but_the_three_fields_is_refused_naming_the_field(
    service: AnalyticsService, search_id: str, changes: dict[str, Any], named: str
) -> None:
    response = post(service, report_body(search_id, **changes))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_parameter"
    assert named in response.json()["error"]["message"]
    assert service.report().opened_results == 0


def test_a_position_written_with_a_zero_fraction_is_the_integer_json_schema_allows(
    service: AnalyticsService, search_id: str
) -> None:
    """JSON Schema's `integer` includes `2.0`: the schema accepts it, so the route does."""
    response = post(service, report_body(search_id, position=2.0))

    assert response.status_code == 204
    assert service.rows("SELECT position FROM clicks") == [(2,)]


@pytest.mark.parametrize("body", [b"", b"not json", b"[1, 2]", b'{"a": ', b"\xff\xfe"])
def test_a_body_that_is_not_the_json_object_is_refused(
    service: AnalyticsService, body: bytes
) -> None:
    response = post(service, body)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_parameter"


def test_an_id_the_service_did_not_draw_is_ignored(
    service: AnalyticsService, search_id: str
) -> None:
    forged = "A" * 27

    response = post(service, report_body(forged))

    assert response.status_code == 204
    assert service.rows("SELECT * FROM clicks") == []
    assert post(service, report_body(search_id)).status_code == 204
    assert service.rows("SELECT search_id FROM clicks") == [(search_id,)]


def test_an_article_the_live_index_does_not_hold_is_ignored(
    service: AnalyticsService, search_id: str
) -> None:
    response = post(service, report_body(search_id, article_id="no-such-article"))

    assert response.status_code == 204
    assert service.rows("SELECT * FROM clicks") == []


def test_a_cross_origin_beacon_needs_no_preflight_and_gets_cors_headers(
    service: AnalyticsService, search_id: str
) -> None:
    response = service.client.post(
        "/clicks",
        content=report_body(search_id),
        headers={"Content-Type": "text/plain;charset=UTF-8", "Origin": "https://esn.example"},
    )

    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"


def test_the_endpoint_is_in_the_openapi_schema_with_its_body_and_answers(
    service: AnalyticsService,
) -> None:
    operation = service.client.get("/openapi.json").json()["paths"]["/clicks"]["post"]

    content = operation["requestBody"]["content"]
    assert set(content) == {"text/plain", "application/json"}
    schema = content["text/plain"]["schema"]
    assert set(schema["properties"]) == {"search_id", "position", "article_id"}
    assert schema["additionalProperties"] is False
    assert {"204", "413", "415", "422", "500", "503"} <= set(operation["responses"])
    error = {"$ref": "#/components/schemas/ErrorResponse"}
    assert operation["responses"]["413"]["content"]["application/json"]["schema"] == error
