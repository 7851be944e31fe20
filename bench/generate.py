"""Deterministic synthetic JD corpora built from the sample corpus, for the benchmarks.

    python bench/generate.py --clauses 100000 --out bench/out/corpus-100k [--seed 0]

Duty lines are taken from corpus/*.txt (numbering stripped) and perturbed (a word dropped or
doubled, phrases swapped around a comma, a short phrase appended, script converted with OpenCC),
then written as many files of 20-300 items: mixed scripts (~45% simplified, ~30% traditional,
~25% English), a dozen numbering styles, the corrupted bullet 某, run-on files with inline
numbering, bundled JDs (篇一 …), headings and site boilerplate; a few % in GB18030 and Big5.
Independent of the code under test: it does not import jdsearch.
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

import opencc

ROOT = Path(__file__).resolve().parent.parent
_NUM = re.compile(
    r"^\s*(?:\d{1,3}\s*[.、。,，:：)）]|[（(]\s*\d{1,2}\s*[)）]|[一二三四五六七八九十]{1,3}[、.]"
    r"|[①-⑳]|[•·\-某]|\d\s\d[,.])\s*"
)
_HAN = re.compile(r"[\u4e00-\u9fff]")
CN = "一二三四五六七八九十"
STYLES = [
    "dot",
    "dun",
    "stop",
    "comma",
    "paren",
    "fwparen",
    "circled",
    "cn",
    "cnparen",
    "roman",
    "bullet",
    "middot",
    "dash",
]
ROMAN = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"]
BOILERPLATE = [
    "当前位置:首页 > 办公文档 > 岗位职责",
    "才智咖 人氣:1.74W",
    "上一篇:销售经理职责下一篇:店长职责",
    "2024-05-23",
    "您好,欢迎访问三七文档",
    "本文档由站牛网zhann.net收集整理",
]
HEADINGS = {
    "zh": ["岗位职责", "工作内容", "主要职责"],
    "tw": ["崗位職責", "工作內容"],
    "en": ["Responsibilities:", "Job Duties", "Main responsibilities"],
}
TAILS = {
    "zh": ["，并及时汇报", "，确保按时完成", "，提高工作效率"],
    "en": [", and report in time", ", ensuring timely completion", " as required"],
}


def source_lines() -> tuple[list[str], list[str]]:
    """(Chinese, English) duty-like lines of the sample corpus, numbering stripped."""
    zh, en = [], []
    for path in sorted((ROOT / "corpus").glob("*.txt")):
        for raw in path.read_text("utf-8").splitlines():
            line = _NUM.sub("", raw.strip())
            if not 8 <= len(line) <= 160:
                continue
            if _HAN.search(line):
                zh.append(line)
            elif re.match(r"[A-Za-z]", line) and len(line.split()) >= 4:
                en.append(line)
    return zh, en


def perturb(text: str, rng: random.Random, english: bool) -> str:
    """One or two small edits, the kind that make near-duplicates in real libraries."""
    parts = re.split(r"([,，;；])", text)
    for _ in range(rng.randint(1, 2)):
        op = rng.random()
        if op < 0.3 and len(parts) >= 3:
            i = rng.randrange(0, len(parts) - 2, 2)
            parts[i], parts[i + 2] = parts[i + 2], parts[i]
        elif op < 0.55:
            parts.append(rng.choice(TAILS["en" if english else "zh"]))
        elif op < 0.8:
            words = "".join(parts).split(" ") if english else list("".join(parts))
            if len(words) > 6:
                i = rng.randrange(len(words))
                words.insert(i, words[i]) if rng.random() < 0.5 else words.pop(i)
            parts = [(" " if english else "").join(words)]
    return "".join(parts).strip()


def marker(style: str, n: int) -> str:
    k = (n - 1) % 10
    return {
        "dot": f"{n}.",
        "dun": f"{n}、",
        "stop": f"{n}。",
        "comma": f"{n}，",
        "paren": f"({n})",
        "fwparen": f"（{n}）",
        "circled": chr(0x2460 + min(n, 20) - 1),
        "cn": f"{CN[k]}、",
        "cnparen": f"（{CN[k]}）",
        "roman": f"{ROMAN[k]}. ",
        "bullet": "• ",
        "middot": "· ",
        "dash": "- ",
    }[style]


def make_file(
    rng: random.Random,
    zh: list[str],
    en: list[str],
    conv: dict[str, opencc.OpenCC],
) -> tuple[str, int, str]:
    """(text, clauses written, encoding) of one synthetic JD file."""
    roll = rng.random()
    script = "zh" if roll < 0.45 else "tw" if roll < 0.75 else "en"
    pool = en if script == "en" else zh
    blocks, total = [], 0
    if rng.random() < 0.3:
        blocks.append(rng.choice(BOILERPLATE))
    bundles = rng.choice([1, 1, 1, 2, 3, 5])
    for b in range(bundles):
        if bundles > 1:
            blocks.append(
                f"篇{CN[b]}:区域经理岗位职责"
                if script != "en"
                else f"Responsibilities of Regional Manager {b + 1}"
            )
        n = rng.randint(20, 300) // bundles + 1
        items = [perturb(rng.choice(pool), rng, script == "en") for _ in range(n)]
        if script == "tw":
            items = [conv["tw"].convert(t) for t in items]
        blocks.append(rng.choice(HEADINGS[script]))
        blocks.append(_list(items, rng, script))
        total += len(items)
    text = "\n".join(blocks) + "\n"
    enc = "utf-8"
    if rng.random() < 0.04:
        enc = "big5" if script == "tw" else "gb18030" if script == "zh" else "utf-8"
    return text, total, enc


def _list(items: list[str], rng: random.Random, script: str) -> str:
    if script != "en" and rng.random() < 0.1:  # run-on text from a PDF
        return "".join(
            f"{i}、{t}{'' if t.endswith(('。', ';')) else '。'}" for i, t in enumerate(items, 1)
        )
    if script != "en" and rng.random() < 0.05:
        return "\n".join(f"某{t}" for t in items)
    style = rng.choice(STYLES if script != "en" else ["dot", "paren", "roman", "bullet", "dash"])
    end = "" if script == "en" else "。"
    return "\n".join(
        f"{marker(style, i)}{t}{end if not t.endswith(('。', '.', ';')) else ''}"
        for i, t in enumerate(items, 1)
    )


def generate(clauses: int, out: Path, seed: int = 0, per_dir: int = 1000) -> tuple[int, int, int]:
    rng = random.Random(seed)
    zh, en = source_lines()
    conv = {"tw": opencc.OpenCC("s2tw")}
    written = files = size = 0
    while written < clauses:
        text, n, enc = make_file(rng, zh, en, conv)
        folder = out / f"d{files // per_dir:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        try:
            data = text.encode(enc)
        except UnicodeEncodeError:
            data = text.encode("utf-8")
        (folder / f"jd{files:06d}.txt").write_bytes(data)
        written, files, size = written + n, files + 1, size + len(data)
    return files, written, size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--clauses", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    files, written, size = generate(args.clauses, args.out, args.seed)
    print(f"{files} files, {written} clauses, {size / 1e6:.1f} MB in {args.out}")


if __name__ == "__main__":
    main()
