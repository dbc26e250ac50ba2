"""Placeholder until the import views land."""

from flask import Blueprint

bp = Blueprint("panels_import", __name__)
