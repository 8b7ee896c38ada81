"""The moderators' pages: the outcome of a content reload, the content being served, and the usage statistics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from alliance_bot.digest.result import Diff, Digest, Problem
from alliance_bot.present.limits import COLOUR_ANSWER, COLOUR_ERROR, FOOTER, Rendered, _Builder, escape_md
from alliance_bot.present.markup import Mentions, code, command
from alliance_bot.present.text import Usage


class Reload(Protocol):
    """What is shown of a content reload (a `library.ReloadResult`: this layer does not import the library)."""

    @property
    def ok(self) -> bool: ...
    @property
    def problems(self) -> Sequence[Problem]: ...
    @property
    def diff(self) -> Diff | None: ...
    @property
    def seconds(self) -> float: ...


def render_reload(result: Reload, *, attached: bool = False, mentions: Mentions | None = None) -> Rendered:
    """A `library.ReloadResult` for the moderator who asked."""
    if result.ok:
        d = result.diff
        b = _Builder("Content reloaded", COLOUR_ANSWER, FOOTER)
        if d is None or d.empty:
            b.describe(f"The files are valid and unchanged ({result.seconds:.2f} s).")
        else:
            b.describe(f"Now serving the new content ({result.seconds:.2f} s).")
            for label, ids in (("Added", d.added), ("Changed", d.changed), ("Removed", d.removed)):
                if ids:
                    b.add(f"{label} ({len(ids)})", ", ".join(f"`{i}`" for i in ids))
        return Rendered(b.build(), ephemeral=True)
    b = _Builder("Content not reloaded", COLOUR_ERROR, FOOTER)
    n = len(result.problems)
    b.describe(
        f"The files have {n} problem{'s' if n != 1 else ''}, so the bot keeps serving the last good content. "
        f"Fix them and run {command(mentions, 'content reload')} again; `alliance-bot content check` shows the "
        "same list."
    )
    if attached:
        b.add(
            "Problems",
            "The full list is in the attached file. First ones:\n"
            + "\n".join(code(str(p)[:300]) for p in result.problems[:3]),
        )
    else:
        b.add("Problems", "\n".join(code(str(p)[:300]) for p in result.problems))
    return Rendered(b.build(), ephemeral=True)


def render_status(digest: Digest, loaded_at: float, last_failure: tuple[float, Sequence[Problem]] | None) -> Rendered:
    b = _Builder("Content status", COLOUR_ANSWER, FOOTER)
    b.describe(
        f"Serving content version {code(digest.version)} from {code(str(digest.root))}, loaded <t:{int(loaded_at)}:R>."
    )
    b.add("Entries", "\n".join(f"{k}: {n}" for k, n in digest.counts().items()))
    if last_failure:
        when, problems = last_failure
        b.add(
            "Last reload failed",
            f"<t:{int(when)}:R> with {len(problems)} problem(s); the content above is still "
            f"served. First: {code(str(problems[0])[:300])}"
            if problems
            else "",
        )
    return Rendered(b.build(), ephemeral=True)


def _asked(mentions: Mentions | None, name: str, query: str | None) -> str:
    """A question as asked: the command (clickable when its id is known) and the words typed, inert; a
    question with no option says so (`/today` with no date), not empty quotes."""
    if query is None:
        return f"{command(mentions, name)} (the question is no longer in the usage log)"
    if not query.strip():
        return f"{command(mentions, name)} with no {'date' if name == 'today' else 'option'}"
    return f"{command(mentions, name)} “{escape_md(query)}”"


def render_stats(s: Usage, mentions: Mentions | None = None) -> Rendered:
    """A `storage.usage.UsageSummary`: the numbers, then the moderators' to-do list (the answers people marked
    not useful, next to the questions that found nothing)."""

    def ms(v: float | None) -> str:
        return "–" if v is None else f"{v:.1f} ms"

    b = _Builder(f"Usage, last {s.days} day{'s' if s.days != 1 else ''}", COLOUR_ANSWER, FOOTER)
    b.describe(
        f"{s.total} interactions · error rate {s.error_rate:.1%} · median {ms(s.median_ms)} · "
        f"95th percentile {ms(s.p95_ms)} · nothing found {s.nothing_found} · invalid input {s.invalid} · "
        f"refused {s.refused}"
    )
    if s.per_command:
        b.add(
            "Per command",
            "\n".join(
                f"{code('/' + c.command)} {c.count} · errors {c.errors} · nothing found {c.nothing_found} · "
                f"median {ms(c.median_ms)} · p95 {ms(c.p95_ms)}"
                for c in s.per_command
            ),
        )
    if s.components:
        b.add("Clicks (pages, menus, votes)", " · ".join(f"{escape_md(name)} {n}" for name, n in s.components))
    if s.per_day:
        b.add("Per day", "\n".join(f"{d}: {n}" for d, n in s.per_day))
    if s.unhelpful:
        b.add(
            "To do: answers marked not useful",
            "\n".join(
                f"{u.down}× 👎 {u.up}× 👍 {escape_md(u.entry_kind)} {code(u.entry_id)}, the answer to "
                + _asked(mentions, u.command, u.question)
                for u in s.unhelpful
            ),
        )
    if s.missing:
        b.add(
            "To do: asked, but nothing found (what the digest lacks)",
            "\n".join(f"{n}× {_asked(mentions, c, q)}" for c, q, n in s.missing),
        )
    return Rendered(b.build(), ephemeral=True)
