"""API tokens and embed settings."""

from epanel.extensions import db  # noqa: F401


# --- API tokens and partner submissions -------------------------------------------------------


# --- embeds -----------------------------------------------------------------------------------
