"""Zalo Bot Platform channel: our own thin httpx client and the update parser."""

from bot.channels.zalo.client import (
    ZaloBadRequest,
    ZaloClient,
    ZaloError,
    ZaloForbidden,
    ZaloNetworkError,
    ZaloNotFound,
    ZaloRateLimited,
    ZaloServerError,
    ZaloUnauthorized,
)

__all__ = [
    "ZaloBadRequest",
    "ZaloClient",
    "ZaloError",
    "ZaloForbidden",
    "ZaloNetworkError",
    "ZaloNotFound",
    "ZaloRateLimited",
    "ZaloServerError",
    "ZaloUnauthorized",
]
