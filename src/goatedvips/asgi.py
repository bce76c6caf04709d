"""The ASGI entry point for uvicorn and other servers: `goatedvips.asgi:app`."""

from goatedvips.app import create_app

app = create_app()
