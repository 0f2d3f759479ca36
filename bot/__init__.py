"""lawbot: a Vietnamese legal Q&A assistant for Zalo and Telegram."""

__version__ = "0.1.0"
