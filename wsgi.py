"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`."""
import gc

from forum import create_app

app = create_app()

# What the app has built by now (modules, blueprints, the SQLAlchemy mappers, translations) lives
# as long as the worker. Frozen, the cyclic collector no longer walks it: on the 1M-post data a
# full collection during the page benchmark took 86–114 ms (and every request queued behind it),
# with the app's ~132,000 objects frozen it takes 2–4 ms (bench/pages.py, 2026-12-03).
gc.collect()
gc.freeze()
