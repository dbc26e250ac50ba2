"""Read pages the way a person does: title, heading, error summary, links and forms."""

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from bs4 import BeautifulSoup


@dataclass
class Page:
    status: int
    html: str
    location: str | None = None

    @property
    def soup(self) -> BeautifulSoup:
        return BeautifulSoup(self.html, "html.parser")

    @property
    def title(self) -> str:
        return self.soup.title.get_text(strip=True)

    @property
    def heading(self) -> str:
        return self.soup.h1.get_text(" ", strip=True)

    @property
    def error_summary(self) -> list[str]:
        summary = self.soup.select_one(".govuk-error-summary")
        if summary is None:
            return []
        return [item.get_text(" ", strip=True) for item in summary.select("li")]

    @property
    def banners(self) -> list[str]:
        return [b.get_text(" ", strip=True) for b in self.soup.select(".govuk-notification-banner__content")]

    @property
    def text(self) -> str:
        return self.soup.get_text(" ", strip=True)

    def csrf_token(self) -> str:
        field = self.soup.find("input", attrs={"name": "csrf_token"})
        assert field is not None, "page has no form with a CSRF token"
        return field["value"]


def get(client, url, **kwargs) -> Page:
    response = client.get(url, **kwargs)
    return Page(response.status_code, response.get_data(as_text=True), response.headers.get("Location"))


def submit(client, url, data, *, follow_redirects=False, form_page=None) -> Page:
    """Open the form page (or `form_page`, where the button lives), then post with its CSRF token."""
    token = get(client, form_page or url).csrf_token()
    response = client.post(url, data={"csrf_token": token, **data}, follow_redirects=follow_redirects)
    return Page(response.status_code, response.get_data(as_text=True), response.headers.get("Location"))


def path_of(location: str | None) -> str:
    """The path part of a redirect, whatever form the Location header takes."""
    assert location, "expected a redirect"
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def sign_in(client, email, password, *, next_path=None, code=None) -> Page:
    """Sign in through the form; staff asked for a code enter the current one from the test secret.

    Returns the last response: the password step's, or the code step's when one was asked for.
    """
    from tests.factories import current_totp_code, forget_used_codes

    url = "/sign-in" + (f"?{urlencode({'next': next_path})}" if next_path else "")
    page = submit(client, url, {"email": email, "password": password}, form_page="/sign-in")
    if page.status == 302 and path_of(page.location) == "/sign-in/code":
        if code is None:
            with client.application.app_context():
                forget_used_codes(email)
            code = current_totp_code()
        page = submit(client, "/sign-in/code", {"code": code})
    return page
