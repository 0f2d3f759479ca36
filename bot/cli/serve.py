"""`lawbot serve`: run the one ASGI app (webhooks, desk, /healthz, /metrics, workers) under uvicorn."""

from __future__ import annotations

import logging
import sys

import typer

app = typer.Typer(add_completion=False, help=__doc__)


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Listen address (default: LAWBOT_HOST)."),
    port: int | None = typer.Option(None, help="Listen port (default: LAWBOT_PORT)."),
    answer_processes: int = typer.Option(
        1,
        help="Child processes that compute answers (0 = threads of the web process; "
        "each child holds a copy of the index in memory).",
    ),
) -> None:
    """Serve the bot: webhooks when LAWBOT_PUBLIC_URL is set, polling otherwise."""
    import uvicorn

    from bot.desk.app import InsecureSessionSecret, check_session_secret
    from bot.ingress.app import build_app
    from bot.runtime.logsafe import setup_logging
    from bot.settings import Settings

    settings = Settings()
    try:  # before anything starts: the desk must not be served with a key from the source code
        check_session_secret(settings)
    except InsecureSessionSecret as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    secrets = [
        s.get_secret_value() if s is not None else None
        for s in (
            settings.telegram_token,
            settings.zalo_token,
            settings.telegram_webhook_secret,
            settings.zalo_webhook_secret,
            settings.llm_api_key,
            settings.session_secret,
        )
    ]
    setup_logging(settings.log_level, secrets=secrets)  # masks tokens, phones, CCCD everywhere
    for name, why in settings.placeholders():
        logging.getLogger("lawbot").warning(
            "LAWBOT_%s still holds its placeholder: %s (`lawbot doctor` lists what to set)", name.upper(), why)
    from bot.runtime.default_index import ensure_index

    ensure_index(settings, echo=typer.echo)  # first start: the default index from knowledge_base/
    # The event loop shares the GIL with database threads: hand it over sooner than every 5 ms,
    # so webhook acknowledgements do not queue behind them.
    sys.setswitchinterval(0.001)
    uvicorn.run(
        build_app(settings, answer_processes=answer_processes, with_desk=True),
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level.lower(),
        log_config=None,  # keep our masking handlers instead of uvicorn's own
        access_log=False,  # webhook URLs carry no secrets, but access lines add nothing and cost CPU
        proxy_headers=True,
        timeout_graceful_shutdown=30,
        lifespan="on",
    )


if __name__ == "__main__":
    app()
