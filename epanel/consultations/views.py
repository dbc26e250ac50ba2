"""Placeholder until these views land."""

from flask import Blueprint

bp = Blueprint("consultations", __name__)
