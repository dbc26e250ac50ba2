"""Outcomes ("You said, we did"), the community plan and "my say"."""

from flask import Blueprint

bp = Blueprint("planning", __name__)
