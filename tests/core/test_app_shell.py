"""The app shell over HTTP: health, metrics, OpenAPI, error bodies, content types, pages."""

from __future__ import annotations

import httpx


async def test_health_reports_database_and_stale_feed_before_any_sync(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["affiliate"] == {"lastSuccessAt": None, "ageSeconds": None, "stale": True}
    assert body["status"] == "degraded"


async def test_metrics_are_prometheus_text(client: httpx.AsyncClient) -> None:
    await client.get("/health")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert (
        'goatedvips_http_requests_total{method="GET",route="/health",status="200"}' in response.text
    )


async def test_openapi_document_lists_the_api(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/health" in paths
    assert "/api/auth/login" in paths


async def test_unknown_api_path_answers_json_error_body(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/does-not-exist")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "there is nothing at this address"}
    }


async def test_unknown_page_renders_the_404_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/no-such-page", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "404" in response.text and "GOATED" in response.text


async def test_unsafe_api_call_without_json_content_type_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/login",
        content="login=a&password=b",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


async def test_validation_error_names_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/auth/login", json={"password": "x"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["field"] == "login"
    assert "login" in error["message"]


async def test_home_page_has_brand_nav_and_vendored_htmx(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    html = response.text
    for href in ("/leaderboard", "/races", "/challenges", "/bonus-codes", "/support", "/login"):
        assert f'href="{href}"' in html
    assert "/static/htmx.min.js" in html
    css = await client.get("/static/app.css")
    assert "#d7ff00" in css.text.lower()
    htmx = await client.get("/static/htmx.min.js")
    assert htmx.status_code == 200 and "htmx" in htmx.text[:200]


async def test_unexpected_error_is_a_500_json_body_without_traceback(
    app, client: httpx.AsyncClient
) -> None:
    @app.get("/api/_boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/api/_boom")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "secret internals" not in response.text


async def test_anonymous_browser_on_a_private_page_is_sent_to_login_and_back(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/admin/users?q=ab", headers={"accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fadmin%2Fusers%3Fq%3Dab"
    api = await client.get("/api/auth/me", headers={"accept": "text/html"})
    assert api.status_code == 401 and api.json()["error"]["code"] == "not_authenticated"
