"""A law article from the loaded index, one click away from the ticket that cited it."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.desk import params
from bot.desk.articles import article_view
from bot.desk.context import desk_of
from bot.desk.render import page


async def article(request: Request) -> Response:
    """The id is only ever a key into the index (never a file path), so '../' in it finds nothing."""
    desk = desk_of(request)
    article_id = params.text(params.query(request), "id", max_length=255)
    found = await desk.run(desk.lookup_article, article_id)
    if found is None:
        raise HTTPException(404)
    return await page(request, "article.html", a=article_view(article_id, found))


routes = [Route("/article", article, methods=["GET"], name="article")]
