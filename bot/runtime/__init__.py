"""Runtime: inbox/outbox workers, answer processes, index reload, metrics and logging."""
