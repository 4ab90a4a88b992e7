"""`/admin/report`: off without a token, the token required, the figures as a plain page."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

import pytest

from .conftest import ADMIN_TOKEN, AnalyticsService

BEARER = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def basic(user: str, password: str) -> dict[str, str]:
    credentials = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {credentials}"}


def assert_error(response: object, status: int, code: str) -> None:
    assert getattr(response, "status_code", None) == status
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def test_the_page_is_not_found_while_no_token_is_set(
    service_for: Callable[..., AnalyticsService],
) -> None:
    off = service_for(admin_token=None)

    response = off.client.get("/admin/report", headers=BEARER)

    assert_error(response, 404, "not_found")
    assert response.json() == off.client.get("/no-such-page").json()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": f"Token {ADMIN_TOKEN}"},
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": "Basic " + base64.b64encode(ADMIN_TOKEN.encode()).decode()},
    ],
    ids=["none", "empty", "bearer-alone", "other-scheme", "bad-base64", "basic-without-colon"],
)
def test_a_missing_token_is_refused_with_401_and_a_basic_challenge(
    service: AnalyticsService, headers: dict[str, str]
) -> None:
    response = service.client.get("/admin/report", headers=headers)

    assert_error(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Basic ")
    assert ADMIN_TOKEN not in response.text


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer wrong-token-0123456789"},
        {"Authorization": f"Bearer {ADMIN_TOKEN}x"},
        {"Authorization": f"Bearer {ADMIN_TOKEN[:-1]}"},
        basic("editor", "wrong-token-0123456789"),
        basic(ADMIN_TOKEN, "nothing"),
    ],
    ids=["bearer", "bearer-longer", "bearer-shorter", "basic", "token-as-user-name"],
)
def test_a_wrong_token_is_refused_with_401(
    service: AnalyticsService, headers: dict[str, str]
) -> None:
    response = service.client.get("/admin/report", headers=headers)

    assert_error(response, 401, "unauthorized")
    assert response.json()["error"]["message"] == "the admin token is wrong"


def test_a_token_in_the_url_is_not_accepted(service: AnalyticsService) -> None:
    """A URL ends up in history, logs and Referer headers: never a place for the token."""
    for name in ("token", "admin_token", "access_token"):
        response = service.client.get("/admin/report", params={name: ADMIN_TOKEN})
        assert_error(response, 401, "unauthorized")


@pytest.mark.parametrize(
    "headers",
    [BEARER, {"Authorization": f"bearer  {ADMIN_TOKEN} "}, basic("editor", ADMIN_TOKEN)],
    ids=["bearer", "bearer-any-case-and-spaces", "basic-password"],
)
def test_the_right_token_opens_the_page(service: AnalyticsService, headers: dict[str, str]) -> None:
    response = service.client.get("/admin/report", headers=headers)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert "<h1>Search analytics</h1>" in response.text


def test_the_page_shows_the_figures_in_tables_and_two_svg_charts(
    service: AnalyticsService,
) -> None:
    found = service.search("health", country="Benin")
    service.search("zanzibar")
    service.click(found["search_id"], 1, found["hits"][0]["id"])
    service.flush()

    page = service.client.get("/admin/report", headers=BEARER).text

    assert page.count("<svg") == 2
    assert page.count('role="img"') == 2
    assert '<title id="searches-chart-title">Searches per day</title>' in page
    # per day, top queries, no result, top filters (no query went unopened: no table)
    assert page.count("<table>") == page.count("<caption>") == 4
    assert "None in this period." in page
    assert '<th scope="col">query</th>' in page
    assert '<a href="../?q=zanzibar">zanzibar</a>' in page
    assert '<a href="#help">' in page
    assert "synonyms.yaml" in page
    assert "<td>country</td><td>Benin</td>" in page
    assert "<li><b>100.0 %</b>click-through</li>" in page  # zanzibar found nothing to open


def test_the_page_needs_nothing_from_elsewhere_and_runs_no_script(
    service: AnalyticsService,
) -> None:
    response = service.client.get("/admin/report", headers=BEARER)
    page = response.text

    assert "<script" not in page
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "<link" not in page
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "'unsafe-inline'" not in policy
    assert re.search(r"style-src 'sha256-[A-Za-z0-9+/=]+'", policy)


def test_the_page_keeps_its_own_security_headers_without_the_services_beside_them(
    service: AnalyticsService,
) -> None:
    """The service adds its security headers only where a response sets none: a second,
    weaker Referrer-Policy would be the one a browser applies (the last it reads)."""
    headers = service.client.get("/admin/report", headers=BEARER).headers

    assert headers.get_list("referrer-policy") == ["no-referrer"]
    assert headers.get_list("x-content-type-options") == ["nosniff"]
    assert len(headers.get_list("content-security-policy")) == 1


def test_text_from_visitors_is_escaped(service: AnalyticsService) -> None:
    service.search('<script>alert("x")</script> zanzibar')
    service.flush()

    page = service.client.get("/admin/report", headers=BEARER).text

    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; zanzibar" in page


@pytest.mark.parametrize("days", ["0", "3651", "soon"])
def test_a_wrong_number_of_days_is_refused_in_the_error_shape(
    service: AnalyticsService, days: str
) -> None:
    response = service.client.get("/admin/report", params={"days": days}, headers=BEARER)

    assert_error(response, 422, "invalid_parameter")
    assert "days" in response.json()["error"]["message"]


def test_the_page_is_documented_in_the_openapi_schema(service: AnalyticsService) -> None:
    operation = service.client.get("/openapi.json").json()["paths"]["/admin/report"]["get"]

    assert {"200", "401", "404", "422"} <= set(operation["responses"])
    assert [p["name"] for p in operation["parameters"]] == ["days"]
    assert "Basic" in operation["description"]
