"""Make a synthetic digest N times the shipped one (default 100x), for benchmarks.

Every entry is copied N-1 more times with a new id and varied wording (words
drawn from the digest's own vocabulary, so the index grows realistically);
citations stay as they are, so the copy passes the same checks as the original.

    python bench/synth.py OUT_DIR [--times 100] [--content content]
"""

from __future__ import annotations

import argparse
import copy
import random
import re
import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _vocabulary(data: dict) -> list[str]:
    words: set[str] = set()
    for kind in ("events", "facts", "treaties"):
        for entry in data.get(kind, []):
            for field in ("summary", "statement", "title", "name"):
                words.update(w for w in re.findall(r"[A-Za-z]{5,}", str(entry.get(field, ""))))
    return sorted(words)


def _vary(text: str, rng: random.Random, vocab: list[str], n: int, limit: int) -> str:
    extra = " ".join(rng.sample(vocab, 4))
    out = f"{text} (variant {n}: {extra})"
    return out if len(out) <= limit else text[: max(0, limit - len(extra) - 20)] + f" (variant {n}: {extra})"


def make(out: Path, times: int = 100, content: Path = ROOT / "content", seed: int = 7) -> Path:
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(content / "sources", out / "sources")
    shutil.copy(content / "sources.yaml", out / "sources.yaml")
    shutil.copy(content / "anniversaries.yaml", out / "anniversaries.yaml")
    loaded = {}
    for kind in ("events", "treaties", "facts", "viewpoints"):
        loaded[kind] = yaml.safe_load((content / f"{kind}.yaml").read_text(encoding="utf-8"))[kind]
    vocab = _vocabulary(loaded)
    for kind, entries in loaded.items():
        result = list(entries)
        for n in range(1, times):
            for e in entries:
                c = copy.deepcopy(e)
                c["id"] = f"{e['id']}-s{n}"[:64]
                if kind == "events":
                    c["title"] = _vary(e["title"], rng, vocab, n, 200)
                    c["summary"] = _vary(e["summary"], rng, vocab, n, 1000)
                elif kind == "facts":
                    c["statement"] = _vary(e["statement"], rng, vocab, n, 500)
                    if e.get("group"):
                        c["group"] = f"{e['group']}-s{n}"
                    c["related"] = [f"{r}-s{n}"[:64] for r in e.get("related", [])]
                elif kind == "treaties":
                    c["name"] = _vary(e["name"], rng, vocab, n, 200)
                    # varied names are no longer what the documents write: searched, not shown (search_terms)
                    c["aliases"] = []
                    names = [*e.get("aliases", []), *e.get("search_terms", [])]
                    c["search_terms"] = [f"{a} {n}"[:100] for a in names]
                    c["summary"] = _vary(e["summary"], rng, vocab, n, 1000)
                    c["related_events"] = [f"{r}-s{n}"[:64] for r in e.get("related_events", [])]
                else:
                    c["topic"] = _vary(e["topic"], rng, vocab, n, 100)
                    c["related"] = [f"{r}-s{n}"[:64] for r in e.get("related", [])]
                result.append(c)
        # content files are limited to 2 MB each: split every kind into parts, as a moderator would
        part_size = 400
        folder = out / kind
        folder.mkdir()
        for start in range(0, len(result), part_size):
            chunk = copy.deepcopy(result[start : start + part_size])
            (folder / f"part-{start // part_size:03d}.yaml").write_text(
                yaml.safe_dump({kind: chunk}, allow_unicode=True, sort_keys=False, width=200), encoding="utf-8"
            )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--times", type=int, default=100)
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    args = parser.parse_args()
    make(args.out, args.times, args.content)
    print(f"wrote a {args.times}x digest to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
