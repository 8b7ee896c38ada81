"""The moderators' pages: the outcome of a content reload, the content being served, and the usage statistics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from alliance_bot.digest.result import Diff, Digest, Problem
from alliance_bot.present.limits import (
    COLOUR_ANSWER,
    COLOUR_ERROR,
    FIELD_VALUE_MAX,
    FOOTER,
    Rendered,
    _Builder,
    _one_line,
    escape_md,
)
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


# ---------------------------------------------------------------- content changes (updates/): upload, apply, history


class ReviewLike(Protocol):
    """What a change does (an `updates.workspace.Review`)."""

    @property
    def added(self) -> list[str]: ...
    @property
    def changed(self) -> dict[str, list[str]]: ...
    @property
    def removed(self) -> list[str]: ...
    @property
    def files(self) -> list[str]: ...
    @property
    def counts(self) -> dict[str, int]: ...
    @property
    def skipped(self) -> list[str]: ...


class ProposalLike(Protocol):
    """A stored proposal (`storage.content_changes.Proposal`)."""

    @property
    def id(self) -> int: ...
    @property
    def author_name(self) -> str: ...
    @property
    def note(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def created_at(self) -> float: ...
    @property
    def review(self) -> dict[str, object]: ...


class ChangeLike(Protocol):
    """An applied change (`storage.content_changes.Change`)."""

    @property
    def id(self) -> int: ...
    @property
    def proposal_id(self) -> int: ...
    @property
    def applied_by(self) -> str: ...
    @property
    def note(self) -> str: ...
    @property
    def applied_at(self) -> float: ...
    @property
    def summary(self) -> str: ...
    @property
    def files_after(self) -> dict[str, str | None]: ...
    @property
    def rollback_of(self) -> int | None: ...
    @property
    def git_commit(self) -> str | None: ...


REVIEW_IDS_SHOWN = 15  # ids per list in the embed; the attached file has them all
REVIEW_CHANGED_SHOWN = 6  # changed entries whose field diffs are shown in the embed
REVIEW_FIELDS_SHOWN = 4  # field diffs per changed entry in the embed


def review_text(review: ReviewLike) -> str:
    """The whole review as plain text (the attached file, the command line)."""
    lines = ["Files:", *(f"  {f}" for f in review.files)]
    for label, ids in (("Added", review.added), ("Removed", review.removed)):
        if ids:
            lines += [f"{label} ({len(ids)}):", *(f"  {i}" for i in ids)]
    if review.changed:
        lines.append(f"Changed ({len(review.changed)}):")
        for ident, diffs in review.changed.items():
            lines.append(f"  {ident}")
            lines += [f"    {d}" for d in diffs]
    if review.skipped:
        lines += ["Skipped in the zip:", *(f"  {s}" for s in review.skipped)]
    lines.append("After the change: " + ", ".join(f"{n} {k}" for k, n in review.counts.items()))
    return "\n".join(lines) + "\n"


def review_is_long(review: ReviewLike) -> bool:
    """Whether the embed shows only part of the review (the whole of it then goes in an attached file): lists cut
    at their limits, or more than the one page a confirmation has."""
    if (
        max(len(review.added), len(review.removed), len(review.files)) > REVIEW_IDS_SHOWN
        or len(review.changed) > REVIEW_CHANGED_SHOWN
        or any(len(d) > REVIEW_FIELDS_SHOWN for d in review.changed.values())
    ):
        return True
    b = _Builder("", COLOUR_ANSWER, FOOTER)
    b.describe("x" * 600)  # the head: author, note (up to 300 characters), next steps
    _add_review(b, review)
    return len(b.build()) > 1


def _ids(ids: Sequence[str]) -> str:
    shown = ", ".join(code(i) for i in ids[:REVIEW_IDS_SHOWN])
    return shown + (f" and {len(ids) - REVIEW_IDS_SHOWN} more" if len(ids) > REVIEW_IDS_SHOWN else "")


def _add_review(b: _Builder, review: ReviewLike) -> None:
    b.add("Files", "\n".join(code(f) for f in review.files[:REVIEW_IDS_SHOWN]) or "–")
    if review.added:
        b.add(f"Added ({len(review.added)})", _ids(review.added))
    if review.changed:
        lines: list[str] = []
        used = shown = 0
        for ident, diffs in list(review.changed.items())[:REVIEW_CHANGED_SHOWN]:
            block = [code(ident), *(f"• {escape_md(_one_line(d, 200))}" for d in diffs[:REVIEW_FIELDS_SHOWN])]
            size = sum(len(line) + 1 for line in block)
            if lines and used + size > FIELD_VALUE_MAX - 40:  # one field: the rest is in the attached file
                break
            lines += block
            used += size
            shown += 1
        if len(review.changed) > shown:
            lines.append(f"…and {len(review.changed) - shown} more entries")
        b.add(f"Changed ({len(review.changed)})", "\n".join(lines))
    if review.removed:
        b.add(f"Removed ({len(review.removed)})", _ids(review.removed))
    if review.skipped:
        b.add("Skipped in the zip", _ids(review.skipped))
    b.add("After the change", " · ".join(f"{n} {k}" for k, n in review.counts.items()))


def render_review(
    proposal_id: int,
    review: ReviewLike,
    *,
    author: str,
    note: str,
    attached: bool = False,
    mentions: Mentions | None = None,
    asking: bool = False,
) -> Rendered:
    """A valid upload (or rollback) stored as a proposal, or (`asking`) the confirmation before applying it."""
    title = f"Apply proposal #{proposal_id}?" if asking else f"Proposal #{proposal_id} is ready for review"
    b = _Builder(title, COLOUR_ANSWER, FOOTER)
    head = f"By {escape_md(author)}: “{escape_md(note)}”. The whole content set as it would be after it is valid."
    if asking:
        head += (
            "\nPress **Apply** to write the files and reload, or **Cancel**. The buttons are yours only and "
            "expire in 5 minutes."
        )
    else:
        head += (
            f"\nNothing has changed yet. To make it live: {command(mentions, 'content apply')} with id "
            f"{code(str(proposal_id))}; the open ones: {command(mentions, 'content proposals')}."
        )
    if attached:
        head += "\nThe full review is in the attached file."
    b.describe(head)
    _add_review(b, review)
    return Rendered(b.build()[:1], ephemeral=True)


def render_refusal(title: str, message: str, problems: Sequence[Problem] = (), *, attached: bool = False) -> Rendered:
    """A step refused (a bad file, problems, a conflict): what went wrong, every problem (first ones when the
    list is attached), and that nothing changed."""
    b = _Builder(title, COLOUR_ERROR, FOOTER)
    b.describe(message)
    if problems:
        n = len(problems)
        shown = problems[:3] if attached else problems
        b.add(
            f"{n} problem{'s' if n != 1 else ''}" + (" (the full list is in the attached file)" if attached else ""),
            "\n".join(code(str(p)[:300]) for p in shown),
        )
    return Rendered(b.build(), ephemeral=True)


def render_proposals(proposals: Sequence[ProposalLike], mentions: Mentions | None = None) -> Rendered:
    b = _Builder("Open proposals", COLOUR_ANSWER, FOOTER)
    if not proposals:
        b.describe(
            f"No open proposal. {command(mentions, 'content upload')} checks a file and makes one; "
            f"{command(mentions, 'content export')} gives the current files to edit."
        )
        return Rendered(b.build(), ephemeral=True)
    b.describe(f"Apply one with {command(mentions, 'content apply')} and its id (newest first).")
    for p in proposals:
        files = p.review.get("files", [])
        summary = ", ".join(str(f) for f in files[:5]) if isinstance(files, list) else ""
        b.add(
            f"#{p.id} · {p.kind} by {p.author_name}"[:200],
            f"<t:{int(p.created_at)}:R> · “{escape_md(p.note)}”\n{escape_md(summary)}",
        )
    return Rendered(b.build(), ephemeral=True)


def render_history(changes: Sequence[ChangeLike], elsewhere: int, mentions: Mentions | None = None) -> Rendered:
    b = _Builder("Content history", COLOUR_ANSWER, FOOTER)
    if not changes:
        b.describe("No change has been applied from this server yet.")
    else:
        b.describe(f"Newest first. Undo one with {command(mentions, 'content rollback')} and its id.")
    for c in changes:
        files = ", ".join(list(c.files_after)[:5])
        extra = f" · rolls back #{c.rollback_of}" if c.rollback_of else ""
        git = f" · git {code(c.git_commit[:10])}" if c.git_commit else ""
        b.add(
            f"#{c.id} · {c.applied_by}"[:200],
            f"<t:{int(c.applied_at)}:f> · “{escape_md(c.note)}” · {c.summary}{extra}{git}\n{escape_md(files)}",
        )
    if elsewhere:
        b.add("Elsewhere", f"{elsewhere} change(s) made from other servers or the command line are not listed.")
    return Rendered(b.build(), ephemeral=True)


def render_applied(
    change_id: int,
    proposal_id: int,
    diff: Diff | None,
    *,
    git_commit: str | None,
    git_error: str | None,
    announced: str | None,
) -> Rendered:
    b = _Builder(f"Change #{change_id} applied", COLOUR_ANSWER, FOOTER)
    b.describe(
        f"Proposal #{proposal_id} is written to the content folder and the bot now serves it. The previous files "
        "are kept in the history."
    )
    if diff is not None:
        for label, ids in (("Added", diff.added), ("Changed", diff.changed), ("Removed", diff.removed)):
            if ids:
                b.add(f"{label} ({len(ids)})", _ids(ids))
    if git_commit:
        b.add("Git", f"Committed as {code(git_commit[:12])}.")
    elif git_error:
        b.add("Git", f"The change is applied, but the git commit failed: {code(git_error[:300])}")
    if announced:
        b.add("Change note", announced)
    return Rendered(b.build(), ephemeral=True)


def change_note(change_id: int, by: str, note: str, summary: str) -> str:
    """The one line posted to the server's chosen channel when a change is applied."""
    return _one_line(f"📝 Content change #{change_id} by {escape_md(by)}: {escape_md(note)} ({summary})", 500)
