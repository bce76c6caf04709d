"""In a real browser: register through the form, log out, log back in."""

from __future__ import annotations

from typing import Any

PASSWORD = "browser password 123"


async def test_register_then_log_in(page: Any) -> None:
    await page.goto("/register")
    await page.fill("#username", "browser_user")
    await page.fill("#email", "browser@example.com")
    await page.fill("#password", PASSWORD)
    await page.fill("#password_confirm", PASSWORD)
    await page.click("form.card button[type=submit]")
    await page.wait_for_url("**/account?notice=welcome")
    assert "Welcome!" in await page.inner_text("main")
    assert await page.inner_text("h1") == "browser_user"

    await page.click("nav button:has-text('Log out')")
    await page.wait_for_url("**/login?notice=logged_out")
    assert "You are logged out." in await page.inner_text("main")

    await page.goto("/login?next=/account%23history")
    await page.fill("#login", "BROWSER@example.com")
    await page.fill("#password", "wrong password!!")
    await page.click("form.card button[type=submit]")
    assert "wrong login or password" in await page.inner_text("[role=alert]")
    await page.fill("#password", PASSWORD)
    await page.click("form.card button[type=submit]")
    await page.wait_for_url("**/account#history")
    assert "browser_user" in await page.inner_text("nav")
    rows = await page.locator("#history tbody tr").count()
    assert rows == 2  # the registration and this login
