"""The web face of jdsearch: an HTTP API and browser pages served from the same package.

``jdsearch.web.app.create_app(index_dir)`` builds the ASGI application;
``jdsearch.web.app.serve(index_dir, host, port)`` runs it with uvicorn. Every JSON object comes
from :mod:`jdsearch.serialize`, as the CLI's ``--json`` output does. Importing this package does
not import the web stack, so importing it stays light.
"""
