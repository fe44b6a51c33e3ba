"""Signing in through the login page, as each browser test's user does."""
import re

from playwright.sync_api import expect


def log_in(page, base_url: str, username: str) -> None:
    """Sign in with the demo password and wait for the werkbak, where every login lands."""
    page.goto(base_url + "/inloggen")
    page.fill("#gebruikersnaam", username)
    page.fill("#wachtwoord", f"{username}-demo")
    page.click("form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/werkbak"))
    expect(page.locator("header .gebruiker")).to_contain_text("(")  # signed in: the header names the role
