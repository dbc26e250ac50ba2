"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`."""

from epanel import create_app

app = create_app()
