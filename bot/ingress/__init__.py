"""Ingress: the ASGI app, platform webhooks and intake into the durable inbox."""
