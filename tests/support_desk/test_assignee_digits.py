"""The staff queue's assignee filter: a non-ASCII digit is invalid input, not a 500."""

from __future__ import annotations

from tests.support_desk.conftest import Party


async def test_a_superscript_digit_is_not_a_user_id(staff: Party) -> None:
    response = await staff.http.get("/api/admin/support/tickets", params={"assignee": "\u00b2"})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "assignee"
