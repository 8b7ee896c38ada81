"""Search quality of `fact`: top-1 and top-3 accuracy on the development questions,
beside a plain BM25 ranking over the source documents' sentences (the "just search
the articles" alternative). Prints figures; never fails.

    python bench/search_quality.py [--questions PATH] [--content DIR] [--verbose]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

from alliance_bot.answers.index import SearchDoc, SearchIndex
from alliance_bot.answers.service import Answers
from alliance_bot.digest.loader import load_digest

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_QUESTIONS = ROOT.parent / "shared" / "eval" / "dev_questions.yaml"


def _squash(text: str) -> str:
    return re.sub(r"[,\s]", "", text).casefold()


def passes(texts: list[str], expected: list[str], k: int) -> bool:
    wanted = [_squash(e) for e in expected]
    return any(w in _squash(t) for t in texts[:k] for w in wanted)


def sentence_baseline(digest) -> SearchIndex:
    docs = []
    for sid, text in digest.source_texts.items():
        for i, sentence in enumerate(re.split(r"(?<=[.!?])\s+|\n+", text)):
            if sentence.strip():
                docs.append(SearchDoc(f"{sid}:{i}", "sentence", {"text": sentence.strip()}))
    return SearchIndex(docs, {"text": 1.0}, fuzzy=False, synonyms=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args(argv)
    if not args.questions.is_file():
        print(
            f"search_quality: no question file at {args.questions} (the shared dev questions sit beside the "
            "checkout in ../shared/eval/); pass --questions, e.g. bench/holdout_questions.yaml",
            file=sys.stderr,
        )
        return 2
    result = load_digest(args.content)
    if not result.ok:
        print("content has problems; run alliance-bot content check", file=sys.stderr)
        return 1
    answers = Answers(result.digest)
    baseline = sentence_baseline(result.digest)
    data = yaml.safe_load(args.questions.read_text(encoding="utf-8"))
    questions = data.get("facts", [])
    ours = {1: 0, 3: 0}
    base = {1: 0, 3: 0}
    for q in questions:
        texts = [r.text for r in answers.fact(q["q"]).results]
        btexts = [h.doc.fields["text"] for h in baseline.search(q["q"], limit=3)]
        for k in (1, 3):
            ours[k] += passes(texts, q["any"], k)
            base[k] += passes(btexts, q["any"], k)
        if args.verbose and not passes(texts, q["any"], 1):
            print(f"miss@1: {q['q']!r} -> {texts[:2]}")
    today_ok = 0
    for t in data.get("today", []):
        events = answers.today(t["date"]).events
        today_ok += passes([f"{e.title} {e.summary}" for e in events], t["any"], 3)
    n = len(questions) or 1
    print(f"fact questions: {len(questions)}")
    print(f"{'method':<36}{'top-1':>8}{'top-3':>8}")
    print(f"{'alliance_bot fact (digest, BM25F+)':<36}{ours[1] / n:>8.2f}{ours[3] / n:>8.2f}")
    print(f"{'baseline: BM25 over sentences':<36}{base[1] / n:>8.2f}{base[3] / n:>8.2f}")
    print(f"today questions: {today_ok}/{len(data.get('today', []))} answered with the expected event")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
