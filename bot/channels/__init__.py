"""Channel adapters: platform payloads in, rendered replies out (Telegram, Zalo)."""
