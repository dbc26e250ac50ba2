"""Planning's tables: published outcomes ("You said, we did"), the community plan, and what
councillors and community groups add to it."""

from epanel.extensions import db  # noqa: F401


# --- outcomes and the community plan ---------------------------------------------------------


# --- councillors and community groups --------------------------------------------------------
