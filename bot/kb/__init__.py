"""Knowledge-base administration: check, import/export of FAQ sources, gap finding."""
