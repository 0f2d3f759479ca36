"""The assistant core: pure domain logic behind ports; knows no platform, HTTP, SQL or index."""
