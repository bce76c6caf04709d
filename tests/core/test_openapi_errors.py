"""The OpenAPI document describes the errors the API really answers, in the app's error body."""

from __future__ import annotations

from typing import Any

import httpx

ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}


def error_schema(operation: dict[str, Any], status: str) -> Any:
    return operation["responses"][status]["content"]["application/json"]["schema"]


async def test_422_is_documented_as_the_app_error_body(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    login = document["paths"]["/api/auth/login"]["post"]
    assert error_schema(login, "422") == ERROR_REF
    answer = await client.post("/api/auth/login", json={"login": 5})
    assert answer.status_code == 422
    assert set(answer.json()) == {"error"}
    assert {"code", "message"} <= set(answer.json()["error"])


async def test_auth_admin_row_and_media_type_errors_are_documented(
    client: httpx.AsyncClient,
) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert set(paths["/api/auth/me"]["get"]["responses"]) >= {"200", "401"}
    assert "403" not in paths["/api/auth/me"]["get"]["responses"]
    patch_user = paths["/api/admin/users/{user_id}"]["patch"]
    assert set(patch_user["responses"]) >= {"401", "403", "404", "415", "422"}
    for status in ("401", "403", "404", "415"):
        assert error_schema(patch_user, status) == ERROR_REF
    assert "401" not in paths["/api/leaderboard"]["get"]["responses"]
