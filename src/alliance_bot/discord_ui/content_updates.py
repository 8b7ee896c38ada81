"""The Discord side of content changes (`updates/`): /content upload, proposals, apply, cancel, history, rollback,
export and settings, and the Apply/Cancel confirmation buttons.

The cog's commands (cogs/moderation.py) are moderator-only, checked at run time before anything here runs, so a
member's upload is refused before anything is downloaded. The confirmation buttons keep no state in memory: their
custom id (`ab1:cu:<a|c>:<proposal>:<user>:<expiry>:<signature>`) names the proposal, who may press and until
when, signed with the bot's key, so a forged or altered id is refused; the press is checked again (the same
moderator, the same server, the proposal still open, not expired) before anything is written.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import logging
import time
import zipfile
from typing import TYPE_CHECKING

import discord

from alliance_bot.digest.model import content_json_schema
from alliance_bot.discord_ui.errors import handle_error
from alliance_bot.discord_ui.mentions import mentions
from alliance_bot.discord_ui.payload import field
from alliance_bot.discord_ui.send import to_embeds
from alliance_bot.present.embed_moderation import (
    change_note,
    render_applied,
    render_history,
    render_proposals,
    render_refusal,
    render_review,
    review_is_long,
    review_text,
)
from alliance_bot.present.embeds import render_message
from alliance_bot.present.limits import CHOICE_NAME_MAX, CHOICES_MAX, Rendered, _one_line
from alliance_bot.storage import content_changes as records
from alliance_bot.updates import workspace
from alliance_bot.updates.bundle import MAX_UPLOAD_BYTES, UploadRefused
from alliance_bot.updates.fetch import download
from alliance_bot.updates.service import Proposed, Refused
from alliance_bot.updates.workspace import Review

if TYPE_CHECKING:
    from alliance_bot.discord_ui.bot import AllianceBot

log = logging.getLogger("alliance_bot.discord_ui.bot")

PREFIX = "ab1:cu:"
CONFIRM_SECONDS = 300
PROBLEMS_INLINE_MAX = 1500
NOT_AVAILABLE = (
    "This bot runs without a database, so it cannot keep proposals or a history of changes. Ask its operator to "
    "run it with one (ALLIANCE_BOT_DB)."
)


# ---------------------------------------------------------------- the confirmation buttons' ids


def _signature(key: bytes, body: str) -> str:
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:16]


def confirm_id(key: bytes, action: str, proposal_id: int, user_id: int, guild_id: int, expires: int) -> str:
    body = f"{action}:{proposal_id}:{user_id}:{expires}"
    return f"{PREFIX}{body}:{_signature(key, f'{guild_id}:{body}')}"


def parse_confirm(key: bytes, custom_id: str, guild_id: int) -> tuple[str, int, int, int] | None:
    """(action, proposal id, user id, expiry) of a button this bot made for this server; None for anything else."""
    if not custom_id.startswith(PREFIX) or len(custom_id) > 100:
        return None
    parts = custom_id[len(PREFIX) :].split(":")
    if len(parts) != 5 or parts[0] not in ("a", "c") or not all(p.isdigit() and len(p) <= 25 for p in parts[1:4]):
        return None
    body = ":".join(parts[:4])
    if not hmac.compare_digest(parts[4], _signature(key, f"{guild_id}:{body}")):
        return None
    return parts[0], int(parts[1]), int(parts[2]), int(parts[3])


def is_confirm(custom_id: str) -> bool:
    return custom_id.startswith(PREFIX)


# ---------------------------------------------------------------- sending


def _problems_file(problems: list[object]) -> list[discord.File] | None:
    text = "\n".join(str(p) for p in problems)
    if len(text) <= PROBLEMS_INLINE_MAX:
        return None
    return [discord.File(io.BytesIO(text.encode()), filename="content-problems.txt")]


async def _refuse(bot: AllianceBot, interaction: discord.Interaction, exc: Refused | UploadRefused) -> None:
    interaction.extras["outcome"] = "invalid_input"
    if isinstance(exc, UploadRefused):
        rendered = render_refusal(
            "File not accepted",
            f"{str(exc)[:1].upper()}{str(exc)[1:]}. Nothing was stored or changed.",
        )
        await bot.send_rendered(interaction, rendered, ephemeral=True)
        return
    files = _problems_file(list(exc.problems))
    rendered = render_refusal(exc.title, exc.message, exc.problems, attached=files is not None)
    await bot.send_rendered(interaction, rendered, ephemeral=True, files=files)


def _who(user: discord.abc.User) -> str:
    return getattr(user, "global_name", None) or user.name


async def _available(bot: AllianceBot, interaction: discord.Interaction) -> bool:
    if bot.updates is None:
        interaction.extras["outcome"] = "refused"
        await bot.reply_message(interaction, "Not available", NOT_AVAILABLE)
        return False
    return True


async def _send_review(
    bot: AllianceBot, interaction: discord.Interaction, proposed: Proposed, *, author: str, note: str
) -> None:
    long = review_is_long(proposed.review)
    files = [discord.File(io.BytesIO(review_text(proposed.review).encode()), filename="review.txt")] if long else None
    rendered = render_review(
        proposed.proposal_id,
        proposed.review,
        author=author,
        note=note,
        attached=long,
        mentions=mentions(bot, interaction.guild_id),
    )
    interaction.extras["outcome"] = "answered"
    await bot.send_rendered(interaction, rendered, ephemeral=True, files=files)


# ---------------------------------------------------------------- the commands


async def upload(
    bot: AllianceBot, interaction: discord.Interaction, attachment: discord.Attachment, note: str | None
) -> None:
    if not await _available(bot, interaction):
        return
    assert bot.updates is not None
    if attachment.size > MAX_UPLOAD_BYTES:  # refused from Discord's own figure, before any download
        await _refuse(
            bot,
            interaction,
            UploadRefused(f"the file is {attachment.size:,} bytes; an upload is limited to {MAX_UPLOAD_BYTES:,}"),
        )
        return
    if bot.downloads is None:
        interaction.extras["outcome"] = "refused"
        await bot.reply_message(interaction, "Uploads not available", "This bot has no HTTP client for downloads.")
        return
    await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        data = await download(bot.downloads, attachment.url)
        proposed = await bot.updates.propose_upload(
            guild_id=interaction.guild_id,
            author_id=interaction.user.id,
            author_name=_who(interaction.user),
            note=note,
            filename=attachment.filename,
            data=data,
        )
    except (Refused, UploadRefused) as exc:
        await _refuse(bot, interaction, exc)
        return
    p = await bot.updates.proposal(proposed.proposal_id, interaction.guild_id)
    await _send_review(bot, interaction, proposed, author=p.author_name, note=p.note)


async def proposals(bot: AllianceBot, interaction: discord.Interaction) -> None:
    if not await _available(bot, interaction):
        return
    assert bot.updates is not None
    rows = await bot.updates.open_proposals(interaction.guild_id)
    await bot.send_rendered(interaction, render_proposals(rows, mentions(bot, interaction.guild_id)), ephemeral=True)


async def apply(bot: AllianceBot, interaction: discord.Interaction, proposal_id: int) -> None:
    """The review again, with Apply and Cancel buttons for this moderator only."""
    if not await _available(bot, interaction):
        return
    assert bot.updates is not None and interaction.guild_id is not None
    try:
        p = await bot.updates.proposal(proposal_id, interaction.guild_id)
        settings = await records.settings(bot.updates.db, interaction.guild_id)
        bot.updates.check_may_apply(p, interaction.user.id, require_other=settings.require_other)
    except Refused as exc:
        await _refuse(bot, interaction, exc)
        return
    await _ask(bot, interaction, p.id, Review.from_json(p.review), author=p.author_name, note=p.note)


async def _ask(
    bot: AllianceBot, interaction: discord.Interaction, proposal_id: int, review: Review, *, author: str, note: str
) -> None:
    assert interaction.guild_id is not None
    long = review_is_long(review)
    rendered = render_review(proposal_id, review, author=author, note=note, attached=long, asking=True)
    expires = int(time.time()) + CONFIRM_SECONDS
    view = discord.ui.View(timeout=None)
    for action, label, style in (
        ("a", "Apply", discord.ButtonStyle.danger),
        ("c", "Cancel", discord.ButtonStyle.secondary),
    ):
        view.add_item(
            discord.ui.Button(
                label=label,
                style=style,
                custom_id=confirm_id(
                    bot.hash_key, action, proposal_id, interaction.user.id, interaction.guild_id, expires
                ),
            )
        )
    view.stop()  # only its components are wanted: the presses come to on_interaction
    files = [discord.File(io.BytesIO(review_text(review).encode()), filename="review.txt")] if long else []
    embeds = to_embeds(rendered.pages[0])
    none = discord.AllowedMentions.none()
    interaction.extras["outcome"] = "answered"
    if interaction.response.is_done():
        await interaction.followup.send(embeds=embeds, view=view, ephemeral=True, allowed_mentions=none, files=files)
    else:
        await interaction.response.send_message(
            embeds=embeds, view=view, ephemeral=True, allowed_mentions=none, files=files
        )


async def cancel(bot: AllianceBot, interaction: discord.Interaction, proposal_id: int) -> None:
    if not await _available(bot, interaction):
        return
    assert bot.updates is not None
    try:
        await bot.updates.cancel(proposal_id, interaction.guild_id, _who(interaction.user))
    except Refused as exc:
        await _refuse(bot, interaction, exc)
        return
    await bot.reply_message(interaction, "Proposal cancelled", f"Proposal #{proposal_id} is closed; nothing changed.")


async def history(bot: AllianceBot, interaction: discord.Interaction) -> None:
    if not await _available(bot, interaction):
        return
    assert bot.updates is not None
    rows, elsewhere = await bot.updates.history(interaction.guild_id)
    await bot.send_rendered(
        interaction, render_history(rows, elsewhere, mentions(bot, interaction.guild_id)), ephemeral=True
    )


async def rollback(bot: AllianceBot, interaction: discord.Interaction, change_id: int, note: str | None) -> None:
    """A proposal that undoes change `change_id`, checked like an upload, then the same confirmation."""
    if not await _available(bot, interaction):
        return
    assert bot.updates is not None
    await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        proposed = await bot.updates.propose_rollback(
            change_id,
            guild_id=interaction.guild_id,
            author_id=interaction.user.id,
            author_name=_who(interaction.user),
            note=note,
        )
        p = await bot.updates.proposal(proposed.proposal_id, interaction.guild_id)
        settings = await records.settings(bot.updates.db, interaction.guild_id or 0)
        if settings.require_other:  # another moderator applies it: stored, not asked
            await _send_review(bot, interaction, proposed, author=p.author_name, note=p.note)
            return
    except Refused as exc:
        await _refuse(bot, interaction, exc)
        return
    await _ask(bot, interaction, p.id, proposed.review, author=p.author_name, note=p.note)


async def export(bot: AllianceBot, interaction: discord.Interaction, name: str | None) -> None:
    """The current files: one of them, or all of them as a zip, with the JSON Schema for editors."""
    await interaction.response.defer(ephemeral=True, thinking=True)
    root = bot.store.root
    try:
        files = await asyncio.to_thread(workspace.snapshot, root)
    except workspace.FolderProblem as exc:
        await _refuse(bot, interaction, Refused("Content folder unreadable", str(exc)))
        return
    schema = discord.File(io.BytesIO(content_json_schema().encode()), filename="content.schema.json")
    if name:
        wanted = name.strip()
        match = [p for p in files if p == wanted or p.rsplit("/", 1)[-1] == wanted]
        if len(match) != 1:
            await _refuse(
                bot,
                interaction,
                Refused(
                    "No such file",
                    f"The content folder has {'no' if not match else 'more than one'} file called "
                    f"{wanted[:100]!r}. Its files: {', '.join(sorted(p for p in files if p.endswith('.yaml')))}.",
                ),
            )
            return
        path = match[0]
        attachments = [discord.File(io.BytesIO(files[path]), filename=path.rsplit("/", 1)[-1]), schema]
        text = f"`{path}` as it is served now, and the JSON Schema. Edit it and send it back with /content upload."
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(files):
                archive.writestr(f"{root.name}/{path}", files[path])
        buffer.seek(0)
        attachments = [discord.File(buffer, filename=f"{root.name}.zip"), schema]
        text = (
            f"Every content file ({len(files)}) in `{root.name}.zip`, and the JSON Schema for your editor. Edit and "
            "send back one file, or the whole zip, with /content upload."
        )
    interaction.extras["outcome"] = "answered"
    await bot.reply_message(interaction, "Content export", text, files=attachments)


async def settings(
    bot: AllianceBot,
    interaction: discord.Interaction,
    channel: discord.abc.GuildChannel | None,
    second_moderator: bool | None,
    clear_channel: bool,
) -> None:
    if not await _available(bot, interaction):
        return
    assert bot.updates is not None and interaction.guild_id is not None
    now = await records.settings(bot.updates.db, interaction.guild_id)
    new = records.ContentSettings(
        None if clear_channel else (channel.id if channel is not None else now.announce_channel),
        now.require_other if second_moderator is None else second_moderator,
    )
    await records.save_settings(bot.updates.db, interaction.guild_id, new)
    where = f"<#{new.announce_channel}>" if new.announce_channel else "nowhere (no channel chosen)"
    who = "another moderator than the uploader" if new.require_other else "any moderator, the uploader too"
    await bot.reply_message(
        interaction, "Content change settings", f"Change notes go to {where}.\nA proposal is applied by {who}."
    )


# ---------------------------------------------------------------- autocomplete


async def proposal_choices(
    bot: AllianceBot, interaction: discord.Interaction, current: str
) -> list[discord.app_commands.Choice[int]]:
    """This server's open proposals (for moderators only: a member sees none), newest first, at most 25."""
    bot.record(interaction, "answered", kind="autocomplete")
    if bot.updates is None or not await bot.is_moderator(interaction):
        return []
    rows = await bot.updates.open_proposals(interaction.guild_id)
    wanted = str(current or "").strip().lstrip("#")
    out = []
    for p in rows:
        if wanted and not str(p.id).startswith(wanted) and wanted.casefold() not in p.note.casefold():
            continue
        name = _one_line(f"#{p.id} · {p.kind} by {p.author_name}: {p.note}", CHOICE_NAME_MAX)
        out.append(discord.app_commands.Choice(name=name, value=p.id))
    return out[:CHOICES_MAX]


async def file_choices(
    bot: AllianceBot, interaction: discord.Interaction, current: str
) -> list[discord.app_commands.Choice[str]]:
    """The content folder's files for /content export (moderators only)."""
    bot.record(interaction, "answered", kind="autocomplete")
    if not await bot.is_moderator(interaction):
        return []
    try:
        files = await asyncio.to_thread(workspace.snapshot, bot.store.root)
    except workspace.FolderProblem:
        return []
    wanted = str(current or "").casefold()
    names = [p for p in sorted(files, key=lambda p: (not p.endswith(".yaml"), p)) if wanted in p.casefold()]
    return [discord.app_commands.Choice(name=p[:CHOICE_NAME_MAX], value=p[:CHOICE_NAME_MAX]) for p in names][
        :CHOICES_MAX
    ]


# ---------------------------------------------------------------- the button presses


async def on_interaction(bot: AllianceBot, interaction: discord.Interaction) -> None:
    interaction.extras.setdefault("t0", time.perf_counter())
    bot.in_flight.track(interaction)
    try:
        await _on_press(bot, interaction, str(field(interaction.data, "custom_id", "")))
    except Exception as exc:  # one path for errors, also for these buttons
        if not interaction.response.is_done() or not interaction.extras.get("recorded"):
            await handle_error(bot, interaction, exc)


async def _on_press(bot: AllianceBot, interaction: discord.Interaction, raw: str) -> None:
    guild = interaction.guild_id or 0
    parsed = parse_confirm(bot.hash_key, raw, guild)
    if parsed is None:
        bot.record(interaction, "invalid_input", command="content confirm", options={"custom_id": raw[:100]})
        await bot.reply_message(
            interaction, "Unknown button", "This button is not one the bot made here, so nothing was done."
        )
        return
    action, proposal_id, user_id, expires = parsed
    options: dict[str, object] = {"action": "apply" if action == "a" else "cancel", "id": proposal_id}
    if interaction.user.id != user_id:
        bot.record(interaction, "refused", command="content confirm", options=options)
        await bot.reply_message(
            interaction, "Not your button", "Only the moderator who asked can press it; run the command yourself."
        )
        return
    if not await bot.is_moderator(interaction):
        bot.record(interaction, "refused", command="content confirm", options=options)
        await bot.reply_message(interaction, "Moderators only", "You are no longer a moderator here; nothing done.")
        return
    if time.time() > expires:
        bot.record(interaction, "invalid_input", command="content confirm", options=options)
        await interaction.response.edit_message(
            embeds=to_embeds(
                render_message(
                    "Confirmation expired", f"Nothing was applied. Run /content apply {proposal_id} again."
                ).pages[0]
            ),
            view=None,
            attachments=[],
        )
        return
    if bot.updates is None:
        bot.record(interaction, "refused", command="content confirm", options=options)
        await bot.reply_message(interaction, "Not available", NOT_AVAILABLE)
        return
    if action == "c":
        bot.record(interaction, "answered", command="content confirm", options=options)
        await interaction.response.edit_message(
            embeds=to_embeds(
                render_message("Not applied", f"Proposal #{proposal_id} stays open; nothing was changed.").pages[0]
            ),
            view=None,
            attachments=[],
        )
        return
    await interaction.response.defer()  # writing and reloading may take a few seconds
    settings = await records.settings(bot.updates.db, guild)
    try:
        applied = await bot.updates.apply(
            proposal_id,
            guild_id=guild,
            by_id=interaction.user.id,
            by_name=_who(interaction.user),
            require_other=settings.require_other,
        )
    except Refused as exc:
        bot.record(interaction, "invalid_input", command="content confirm", options=options)
        files = _problems_file(list(exc.problems))
        rendered = render_refusal(exc.title, exc.message, exc.problems, attached=files is not None)
        await _edit(interaction, rendered, files)
        return
    announced = await _announce(bot, settings.announce_channel, applied.change_id, applied)
    bot.record(interaction, "answered", command="content confirm", options={**options, "change": applied.change_id})
    await _edit(
        interaction,
        render_applied(
            applied.change_id,
            proposal_id,
            applied.diff,
            git_commit=applied.git_commit,
            git_error=applied.git_error,
            announced=announced,
        ),
        None,
    )


async def _edit(interaction: discord.Interaction, rendered: Rendered, files: list[discord.File] | None) -> None:
    await interaction.edit_original_response(embeds=to_embeds(rendered.pages[0]), view=None, attachments=files or [])


async def _announce(bot: AllianceBot, channel_id: int | None, change_id: int, applied: object) -> str | None:
    """The one-line change note in the server's chosen channel; what the moderator is told about it."""
    if channel_id is None:
        return None
    from alliance_bot.updates.service import Applied

    assert isinstance(applied, Applied)
    text = change_note(change_id, applied.proposal.author_name, applied.proposal.note, applied.review.summary())
    try:
        await bot.get_partial_messageable(channel_id).send(text, allowed_mentions=discord.AllowedMentions.none())
    except discord.HTTPException as exc:
        log.warning("content change #%d: the change note could not be posted: %s", change_id, exc)
        return f"Could not be posted in <#{channel_id}> ({exc.status}); check the bot's permissions there."
    return f"Posted in <#{channel_id}>."
