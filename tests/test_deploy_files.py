"""The monitoring files shipped in deploy/ name metrics lawbot really exports, and index age is one."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import yaml

from bot.runtime.metrics import Metrics, build_timestamp

DEPLOY = Path(__file__).resolve().parents[1] / "deploy" / "prometheus"


def test_every_metric_an_alert_uses_is_exported() -> None:
    metrics = Metrics()
    metrics.deliveries.labels("telegram", "failed").inc()
    metrics.reply_latency.labels("zalo").observe(0.1)
    metrics.handling_errors.labels("zalo").inc()
    exported = set(re.findall(r"^(lawbot_\w+?)(?:\{| )", metrics.render().decode(), re.M))
    rules = yaml.safe_load((DEPLOY / "lawbot-alerts.yml").read_text())["groups"][0]["rules"]
    used = {name for rule in rules for name in re.findall(r"lawbot_\w+", rule["expr"])}
    assert used and used <= exported, used - exported
    names = {rule["alert"] for rule in rules}
    assert {"LawbotOutboxBacklog", "LawbotFailedSends", "LawbotIndexOld", "LawbotSlowAnswers"} <= names
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    assert config["rule_files"] == ["lawbot-alerts.yml"]
    assert config["scrape_configs"][0]["metrics_path"] == "/metrics"


def test_index_age_comes_from_the_build_id() -> None:
    assert build_timestamp("20261206-213347-4b60cfd6") == dt.datetime(2026, 12, 6, 21, 33, 47, tzinfo=dt.UTC).timestamp()
    assert build_timestamp("default") == 0.0 and build_timestamp(None) == 0.0
