"""Every word the pictures draw or say (alt text), in one table per language: the Korean edition (#18) adds
`LABELS["ko"]` and nothing else changes. Event titles are the digest's own text, in the digest's language."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PictureLabels:
    lang: str
    months: tuple[str, ...]  # abbreviated month names, January first
    # the timeline
    timeline_title: str = "Timeline: {span}"
    span: str = "{start} to {end}"
    beginning: str = "the beginning"
    today: str = "today"
    tag: str = " · tag {tag}"
    day_date: str = "{month} {day}, {year}"
    month_date: str = "{month} {year}"
    year_date: str = "{year}"
    legend_day: str = "day known"
    legend_month: str = "month known"
    legend_year: str = "only the year known"
    legend_anniversary: str = "anniversary in the next {days} days"
    anniversary: str = "{nth} anniversary on {date}"
    gap: str = "{years} years"
    other_tags: str = "other"
    more_events: str = "{shown} of {total} events labelled, spread over the range; every event is in the list"
    timeline_alt: str = (
        "Timeline picture of {count} events from {first} to {last}, one line each in time order: {events}."
    )
    timeline_alt_more: str = " …and {more} more, listed in the message."
    timeline_alt_anniversaries: str = " Coming anniversaries: {items}."
    # the usage charts
    usage_title: str = "Usage, last {days} days"
    usage_summary: str = (
        "{total} interactions · error rate {error_rate} · median {median} · 95th percentile {p95} · "
        "found nothing {nothing}"
    )
    per_day: str = "Interactions per day, by command"
    clicks: str = "clicks and other"
    nothing_share: str = "Share of commands that found nothing, per day"
    latency: str = "Latency per command (bar: 95th percentile, dark: median)"
    no_latency: str = "no latency recorded"
    ms: str = "{value} ms"
    found_nothing: str = "{share} found nothing"
    usage_alt: str = (
        "Usage charts of the last {days} days: {total} interactions, {busiest}; per command: {commands}; "
        "found nothing {nothing} of commands overall."
    )
    usage_alt_busiest: str = "busiest day {day} with {count}"
    usage_alt_command: str = "{command} {count}, median {median}, p95 {p95}, found nothing {nothing}"
    empty_usage: str = "No interactions in this period."


LABELS: dict[str, PictureLabels] = {
    "en": PictureLabels("en", ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")),
    # Korean (#18): dates as Koreans write them (1953년 7월 27일), anniversaries as 73주년
    "ko": PictureLabels(
        "ko",
        tuple(f"{m}월" for m in range(1, 13)),
        timeline_title="연표: {span}",
        span="{start}–{end}",
        beginning="처음",
        today="오늘",
        tag=" · 태그 {tag}",
        day_date="{year}년 {month} {day}일",
        month_date="{year}년 {month}",
        year_date="{year}년",
        legend_day="날짜까지 알려짐",
        legend_month="달까지 알려짐",
        legend_year="연도만 알려짐",
        legend_anniversary="앞으로 {days}일 안의 기념일",
        anniversary="{date} {nth}주년",
        gap="{years}년",
        other_tags="기타",
        more_events="전체 {total}개 사건 중 {shown}개에 이름을 붙였습니다. 모든 사건은 목록에 있습니다",
        timeline_alt="{first}부터 {last}까지 사건 {count}개의 연표 그림, 시간 순서대로 한 줄씩: {events}.",
        timeline_alt_more=" …그 밖의 {more}개는 메시지 목록에 있습니다.",
        timeline_alt_anniversaries=" 다가오는 기념일: {items}.",
        usage_title="사용량, 최근 {days}일",
        usage_summary=(
            "상호작용 {total}회 · 오류율 {error_rate} · 중앙값 {median} · 95백분위 {p95} · 찾지 못함 {nothing}"
        ),
        per_day="하루 상호작용, 명령별",
        clicks="클릭 및 기타",
        nothing_share="하루 명령 중 찾지 못한 비율",
        latency="명령별 응답 시간 (막대: 95백분위, 진한 부분: 중앙값)",
        no_latency="기록된 응답 시간 없음",
        ms="{value} ms",
        found_nothing="{share} 찾지 못함",
        usage_alt=(
            "최근 {days}일 사용량 차트: 상호작용 {total}회, {busiest}; 명령별: {commands}; "
            "전체 명령 중 찾지 못함 {nothing}."
        ),
        usage_alt_busiest="가장 많은 날 {day}, {count}회",
        usage_alt_command="{command} {count}회, 중앙값 {median}, p95 {p95}, 찾지 못함 {nothing}",
        empty_usage="이 기간에는 상호작용이 없습니다.",
    ),
}
DEFAULT_LANG = "en"


def labels_for(locale: str | None) -> PictureLabels:
    """The table for a Discord locale (`ko`, `en-US`) or language; English where there is none yet."""
    lang = (locale or DEFAULT_LANG).split("-")[0].lower()
    return LABELS.get(lang, LABELS[DEFAULT_LANG])


def ordinal(n: int, lang: str = DEFAULT_LANG) -> str:
    """`73rd`; in Korean the number alone, since the word that follows carries it (`73주년`)."""
    if lang == "ko":
        return str(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
