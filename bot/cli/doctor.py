"""`lawbot doctor`: check settings, database, index, platform tokens and webhooks, and say what to fix."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot.settings import Settings

OK, WARN, FAIL = "ok", "warn", "fail"
STALE_INDEX_DAYS = 90  # laws change: an index older than this is probably missing amendments
_WEBHOOK_SECRET = {"telegram": re.compile(r"[A-Za-z0-9_-]{1,256}"), "zalo": re.compile(r".{8,256}")}


@dataclass(frozen=True)
class Finding:
    level: str  # ok | warn | fail
    what: str
    fix: str = ""

    def line(self) -> str:
        mark = {OK: "[ ok ]", WARN: "[warn]", FAIL: "[FAIL]"}[self.level]
        return f"{mark} {self.what}" + (f"\n       fix: {self.fix}" if self.fix else "")


def check_settings(settings: Settings) -> list[Finding]:
    found = [Finding(WARN, f"LAWBOT_{name.upper()} still holds its placeholder ({why})",
                     f"set LAWBOT_{name.upper()} in the environment file") for name, why in settings.placeholders()]
    if settings.telegram_token is None and settings.zalo_token is None:
        found.append(Finding(WARN, "no channel configured: citizens cannot reach the bot",
                             "set LAWBOT_TELEGRAM_TOKEN and/or LAWBOT_ZALO_TOKEN"))
    if settings.public_url:
        if not settings.public_url.startswith("https://"):
            found.append(Finding(FAIL, f"LAWBOT_PUBLIC_URL is not https ({settings.public_url})",
                                 "both platforms deliver webhooks to https URLs only"))
        for channel, token, secret in (
            ("telegram", settings.telegram_token, settings.telegram_webhook_secret),
            ("zalo", settings.zalo_token, settings.zalo_webhook_secret),
        ):
            if token is None:
                continue
            env = f"LAWBOT_{channel.upper()}_WEBHOOK_SECRET"
            if secret is None:
                found.append(Finding(FAIL, f"{env} is not set: anyone could post fake {channel} updates",
                                     f"set {env} to a long random value"))
            elif not _WEBHOOK_SECRET[channel].fullmatch(secret.get_secret_value()):
                found.append(Finding(FAIL, f"{env} has a form {channel} refuses",
                                     "Telegram: 1-256 of A-Za-z0-9_-; Zalo: 8-256 characters"))
    if not found:
        found.append(Finding(OK, "settings: no placeholder left, secrets set"))
    return found


def check_database(settings: Settings) -> list[Finding]:
    from bot.storage.copy import head_revision
    from bot.storage.db import Database

    try:
        db = Database(settings.database_url)
    except Exception as exc:  # a malformed URL
        return [Finding(FAIL, f"database URL unusable: {type(exc).__name__}", "check LAWBOT_DATABASE_URL")]
    try:
        if not db.ping():
            return [Finding(FAIL, f"database unreachable ({db!r})", "start the server or fix LAWBOT_DATABASE_URL")]
        current, head = db.current_revision(), head_revision()
        if current != head:
            return [Finding(FAIL, f"database schema at {current or 'nothing'}, code expects {head}",
                            "run `lawbot db migrate`")]
        return [Finding(OK, f"database reachable, schema at {head} ({db.dialect})")]
    finally:
        db.dispose()


def check_index(settings: Settings, today: dt.date | None = None) -> list[Finding]:
    from retrieval.index import load_index

    folder = Path(settings.index_dir)
    if not (folder / "CURRENT").is_file():
        return [Finding(FAIL, f"no index in {folder} (no CURRENT)",
                        "`lawbot kb fetch phapdien` or `lawbot index build --source ... --out "
                        f"{folder} --no-dense`")]
    try:
        index = load_index(folder, dense=False)
    except Exception as exc:
        return [Finding(FAIL, f"index in {folder} unusable: {exc}", "rebuild it with `lawbot index build`")]
    try:
        found = [Finding(OK, f"index {index.build_id}: {len(index)} articles, built {index.built_at}")]
        if len(index) < 1000:
            found.append(Finding(WARN, f"the index holds only {len(index)} articles (FAQ-only default?)",
                                 "load the law: `lawbot kb fetch phapdien`"))
        built = _date(index.built_at)
        if built is not None and ((today or dt.date.today()) - built).days > STALE_INDEX_DAYS:
            found.append(Finding(WARN, f"the index was built {built}, over {STALE_INDEX_DAYS} days ago",
                                 "refresh the law data and rebuild"))
        return found
    finally:
        index.close()


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def _bot_call(http: httpx.Client, url: str) -> tuple[dict[str, Any] | None, str]:
    """(result, "") or (None, why): never echoes the URL (it holds the token)."""
    try:
        response = http.get(url)
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        return None, type(exc).__name__
    if response.status_code != 200 or not body.get("ok"):
        return None, f"HTTP {response.status_code}: {str(body.get('description', ''))[:120]}"
    result = body.get("result")
    return (result if isinstance(result, dict) else {}), ""


def check_channel(settings: Settings, channel: str, http: httpx.Client) -> list[Finding]:
    if channel == "telegram":
        token, base = settings.telegram_token, settings.telegram_api_url.rstrip("/")
        url = f"{base}{token.get_secret_value()}" if token is not None else ""
    else:
        token, base = settings.zalo_token, settings.zalo_api_url.rstrip("/")
        url = f"{base}/bot{token.get_secret_value()}" if token is not None else ""
    if token is None:
        return []
    me, why = _bot_call(http, f"{url}/getMe")
    if me is None:
        return [Finding(FAIL, f"{channel}: getMe failed ({why})",
                        f"check LAWBOT_{channel.upper()}_TOKEN and that this machine reaches {base.split('/bot')[0]}")]
    name = me.get("username") or me.get("account_name") or me.get("display_name") or me.get("id")
    found = [Finding(OK, f"{channel}: token accepted (bot {name})")]
    info, why = _bot_call(http, f"{url}/getWebhookInfo")
    registered = (info or {}).get("url") or ""
    if settings.public_url:
        expected = f"{settings.public_url.rstrip('/')}/webhooks/{channel}"
        if info is None:
            found.append(Finding(WARN, f"{channel}: getWebhookInfo failed ({why})"))
        elif registered != expected:
            found.append(Finding(FAIL, f"{channel}: webhook is {registered or 'not set'}, expected {expected}",
                                 "start `lawbot serve` (it registers the webhook) and check again"))
        else:
            found.append(Finding(OK, f"{channel}: webhook registered at {expected}"))
            if (info or {}).get("last_error_message"):
                found.append(Finding(WARN, f"{channel}: last delivery error: {info['last_error_message']}"))
    elif registered:
        found.append(Finding(FAIL, f"{channel}: a webhook ({registered}) is set but LAWBOT_PUBLIC_URL is not: "
                                   "polling cannot receive updates", "set LAWBOT_PUBLIC_URL, or delete the webhook"))
    return found


def run_doctor(settings: Settings, http: httpx.Client | None = None) -> list[Finding]:
    """Every check, in the order a deployer fixes things."""
    found = check_settings(settings) + check_database(settings) + check_index(settings)
    own = http is None
    client = http or httpx.Client(timeout=10)
    try:
        for channel in ("telegram", "zalo"):
            found += check_channel(settings, channel, client)
    finally:
        if own:
            client.close()
    return found
