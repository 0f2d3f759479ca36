"""Web layer: Starlette routes for platform webhooks and operations endpoints."""
