"""What the browser tests share: signing in through the form and axe-core checks."""

from axe_playwright_python.sync_playwright import Axe

from tests.factories import PASSWORD, current_totp_code, forget_used_codes

_axe = Axe()
BLOCKING_IMPACTS = {"serious", "critical"}


def blocking_accessibility_problems(page) -> list[str]:
    """axe-core violations of serious or critical impact on the current page, described."""
    results = _axe.run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(str(node["target"]) for node in violation["nodes"])
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def sign_in_through_the_form(page, base_url, email, password=PASSWORD):
    page.goto(f"{base_url}/sign-in")
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if page.url.split("?")[0].endswith("/sign-in/code"):  # staff with two-factor sign-in (tests' secret)
        forget_used_codes(email)
        page.get_by_label("Code", exact=True).fill(current_totp_code())
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()


def horizontal_overflow(page) -> int:
    """How many pixels the page is wider than the viewport (0 means no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


FOCUSED_MATCHES = """([css, text]) => {
    const el = document.activeElement;
    return !!el && el.matches(css) && (!text || el.textContent.trim() === text);
}"""


def tab_to(page, css: str, text: str | None = None, limit: int = 60) -> None:
    """Press Tab until the focused element matches css (and has this text), as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED_MATCHES, [css, text]):
            return
    raise AssertionError(f"could not reach {css} {text or ''} with the Tab key")


def type_into(page, css: str, text: str) -> None:
    tab_to(page, css)
    page.keyboard.type(text)


def press_button(page, name: str) -> None:
    tab_to(page, "button, a.govuk-button", name)
    with page.expect_navigation():
        page.keyboard.press("Enter")
