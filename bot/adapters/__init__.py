"""Adapters that implement the core's ports over concrete things (index, YAML FAQ, memory, LLM)."""
