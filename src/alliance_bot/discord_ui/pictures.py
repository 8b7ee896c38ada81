"""Pictures in answers: the /timeline image and the /stats chart, drawn off the event loop and cached.

A render runs in a small thread pool (Pillow draws and encodes PNG in C, mostly without the GIL; the event loop
keeps serving), one render per key at a time (a second ask while the first is drawing waits for the same
result), and the result is cached by what it shows (present/pictures/cache.py): a second ask costs a look-up.
An answer whose picture is not ready within `INLINE_WAIT` of the interaction's arrival is deferred first, so a
slow render never costs the reply window. Whatever goes wrong with a picture (the font missing, a drawing
error, a file over Discord's upload limit, a render past `RENDER_BUDGET`, Discord refusing the file: bot.py's
`answer_with_picture`) is logged with its traceback and the text answer goes out without it: a picture is never
the reason for no answer.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import discord

from alliance_bot.present.limits import ATTACHMENT_DESCRIPTION_MAX, ATTACHMENT_MAX_BYTES, Rendered, with_image
from alliance_bot.present.pictures.cache import PictureCache

if TYPE_CHECKING:
    from alliance_bot.present.pictures import Picture

log = logging.getLogger("alliance_bot.discord_ui.bot")  # the Discord layer's logger name, as operators know it

RENDER_WORKERS = 2
INLINE_WAIT = 1.5  # seconds after the interaction's arrival: a picture not ready by then is sent after a deferral
RENDER_BUDGET = 60.0  # seconds: a render still running then is given up (the text answer goes out)


class PictureTooLarge(Exception):
    pass


class Pictures:
    def __init__(self, cache: PictureCache | None = None, workers: int = RENDER_WORKERS) -> None:
        self.cache = cache or PictureCache()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="alliance-bot-render")
        self._drawing: dict[Hashable, asyncio.Future[Picture]] = {}
        self.renders = 0
        self.failures = 0

    def cached(self, key: Hashable) -> Picture | None:
        return self.cache.get(key)

    def start(self, key: Hashable, draw: Callable[[], Picture]) -> asyncio.Future[Picture]:
        """The picture for `key`: the cached one, the render already under way, or a new render in the pool."""
        loop = asyncio.get_running_loop()
        picture = self.cache.get(key)
        if picture is not None:
            done: asyncio.Future[Picture] = loop.create_future()
            done.set_result(picture)
            return done
        running = self._drawing.get(key)
        if running is not None:
            return running

        def checked() -> Picture:
            picture = draw()
            if len(picture.png) > ATTACHMENT_MAX_BYTES:
                raise PictureTooLarge(f"{len(picture.png)} bytes, over Discord's {ATTACHMENT_MAX_BYTES}")
            return picture

        future = asyncio.ensure_future(loop.run_in_executor(self._pool, checked))
        self.renders += 1
        self._drawing[key] = future

        def finished(f: asyncio.Future[Picture]) -> None:
            self._drawing.pop(key, None)
            if not f.cancelled() and f.exception() is None:
                self.cache.put(key, f.result())

        future.add_done_callback(finished)
        return future

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def attachment(rendered: Rendered, picture: Picture) -> tuple[Rendered, discord.File]:
    """The answer showing the picture, and the file it refers to (`attachment://NAME`), its description the
    alt text a screen reader reads."""
    file = discord.File(
        io.BytesIO(picture.png), filename=picture.filename, description=picture.alt[:ATTACHMENT_DESCRIPTION_MAX]
    )
    return with_image(rendered, picture.filename), file


async def picture_for(
    pictures: Pictures,
    interaction: discord.Interaction,
    key: Hashable,
    draw: Callable[[], Picture],
    *,
    what: str,
    ephemeral: bool = False,
) -> Picture | None:
    """The picture, or None after logging why not. When it is not ready by `INLINE_WAIT` after the
    interaction arrived, the interaction is deferred (if not already) and the render waited for."""
    future = pictures.start(key, draw)
    try:
        if not future.done() and not interaction.response.is_done():
            start = interaction.extras.get("window_start", time.monotonic())
            wait = max(0.0, start + INLINE_WAIT - time.monotonic())
            done, _ = await asyncio.wait({future}, timeout=wait)
            if not done:
                await interaction.response.defer(thinking=True, ephemeral=ephemeral)
        return await asyncio.wait_for(asyncio.shield(future), timeout=RENDER_BUDGET)
    except discord.HTTPException:
        raise  # the deferral failed: the error path answers, as for any failed response
    except Exception:
        pictures.failures += 1
        log.exception("could not draw the %s picture; the text answer goes without it", what)
        return None
