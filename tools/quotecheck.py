"""Stand-alone quote check for content authors: python tools/quotecheck.py content/FILE.yaml

Finds every {source, quote} pair in the file and reports quotes not found in the
source text (whitespace and straight/curly quote differences ignored)."""
import re, sys, yaml, pathlib
root = pathlib.Path(__file__).resolve().parent.parent / "content"
srcs = {s["id"]: s for s in yaml.safe_load((root / "sources.yaml").read_text())["sources"]}
def norm(t):
    t = t.replace("\u2018", "'").replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", t).strip()
texts = {k: norm((root / v["text"]).read_text(encoding="utf-8")) for k, v in srcs.items()}
bad = 0
def walk(x, where):
    global bad
    if isinstance(x, dict):
        if "source" in x and "quote" in x:
            if x["source"] not in texts:
                print(f"{where}: unknown source {x['source']}"); bad += 1
            elif norm(str(x["quote"])) not in texts[x["source"]]:
                print(f"{where}: quote not in {x['source']}: {x['quote']!r}"); bad += 1
        for k, v in x.items(): walk(v, f"{where}.{k}")
    elif isinstance(x, list):
        for i, v in enumerate(x): walk(v, f"{where}[{i}]")
for f in sys.argv[1:]:
    walk(yaml.safe_load(open(f, encoding="utf-8")), f)
print("bad quotes:", bad)
