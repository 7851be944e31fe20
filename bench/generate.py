"""Deterministic synthetic JD corpora built from the sample corpus, for the benchmarks.

    python bench/generate.py --clauses 100000 --out bench/out/corpus-100k [--seed 0]

Numbered duty/requirement items are taken from corpus/*.txt (numbering stripped by a regex of
our own), perturbed (a word dropped or doubled, two phrases swapped around a comma, a short
phrase appended) and written as many files of 20-300 items each: ~45% simplified, ~30%
traditional (script converted with OpenCC), ~25% English; titles, site boilerplate, bundles of
several JDs per file (篇一 …, 篇1:), headings (岗位职责 / 任职要求 / Responsibilities …), a dozen
numbering styles, the corrupted bullet 某, hard-wrapped items, run-on items glued on one line;
a few % of files in GB18030 or Big5. ``--clauses`` is the exact number of items written.

The generator does not import jdsearch: the corpus must not depend on the code it measures.
A hidden ``.manifest.json`` in the output folder records what was written (version, seed,
counts, and the encoding of every non-UTF-8 file, which the I/O floor of bench/ingest.py uses).
A hidden ``.planted.jsonl`` holds one ``[source, file, item]`` line per item written: items
drawn from the same source line are the planted duplicates bench/dupes.py scores against.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import opencc

# Bump whenever the output for a given seed changes: bench/common.py regenerates stale corpora.
VERSION = 3  # 3: + .planted.jsonl (the corpus files themselves are byte-identical to 2)
ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ".manifest.json"
PLANTED = ".planted.jsonl"

CN_DIGITS = "零一二三四五六七八九"
# a leading item marker of the sample corpus: 1. 1、 1。 1, (1) （一） 1) 一、 ① • · - 某 "1 1,"
_LEAD = re.compile(
    r"^\s*(?:\d\s\d\s*[.,，、]|\d{1,3}\s*[.．、。,，:：]|[（(]\s*(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
    r"\s*[)）]|\d{1,2}[)）]|[一二三四五六七八九十]{1,3}\s*[、.．。]|[\u2460-\u2473]|[•·\-某])\s*(?!\d)"
)
# items glued on one line in PDF extracts: "…工作。2、参与…"
_INLINE = re.compile(r"(?<=[。;；])\s*\d{1,3}、")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_HEADING_END = re.compile(r"(?:职责|職責|要求|资格|資格|描述)$")
_REQUIREMENT = re.compile(
    r"学历|學歷|学位|經驗|经验|以上|熟悉|精通|具备|具備|具有|年龄|年齡|专业|專業|性格|素质|素質"
    r"|\b(?:experience|degree|skilled|familiar|proficient|qualifications?|years|gender|age)\b",
    re.I,
)


# --------------------------------------------------------------------------- source lines
@dataclass
class Pools:
    """Candidate items per output script, converted once up front (OpenCC is per call)."""

    duty: dict[str, list[str]] = field(default_factory=dict)
    requirement: dict[str, list[str]] = field(default_factory=dict)
    prose: dict[str, list[str]] = field(default_factory=dict)
    tails: dict[str, list[str]] = field(default_factory=dict)


def _items_of(line: str) -> tuple[list[str], bool]:
    """(items, numbered?) of one source line: inline run-on items are split apart."""
    m = _LEAD.match(line)
    parts = _INLINE.split(line)
    if len(parts) > 2:  # run-on: what precedes the first inline number is not an item
        return [p.strip() for p in parts[1:]], True
    if m:
        return [line[m.end() :].strip()], True
    return [line.strip()], False


def _usable(text: str) -> str | None:
    """'zh' / 'en' if ``text`` reads as a duty or requirement item, None for titles and junk."""
    if text.endswith((":", "：")) or "篇" in text[:3] or text.startswith("Responsibilities of"):
        return None
    if len(text) < 25 and _HEADING_END.search(text):  # "渠道經理 崗位職責"
        return None
    han = len(_HAN.findall(text))
    if han >= 6 and len(text) <= 150:
        return "zh"
    if not han and len(text.split()) >= 5 and len(text) <= 320 and text[0].isalpha():
        return "en"
    return None


def _prose_ok(text: str) -> bool:
    """Unnumbered paragraphs, minus the bundle titles and headings among them."""
    return not (text.startswith("Responsibilities of") or "篇" in text[:3] or text[-1] in ":：")


def source_lines(corpus: Path) -> dict[str, dict[str, list[str]]]:
    """{'zh'|'en': {'duty'|'requirement'|'prose': lines}} from the sample corpus, in file order.

    Numbered lines (after stripping the number) are items; long unnumbered lines are prose
    (intros, essays), written unnumbered and not counted as items.
    """
    out: dict[str, dict[str, list[str]]] = {
        lang: {"duty": [], "requirement": [], "prose": []} for lang in ("zh", "en")
    }
    for path in sorted(corpus.glob("*.txt")):
        for raw in path.read_text("utf-8").splitlines():
            items, numbered = _items_of(raw.strip())
            for item in items:
                if numbered and (lang := _usable(item)):
                    kind = "requirement" if _REQUIREMENT.search(item) else "duty"
                    out[lang][kind].append(item)
                elif not numbered and 60 <= len(item) <= 600 and _prose_ok(item):
                    out["en" if not _HAN.search(item) else "zh"]["prose"].append(item)
    for lang in out.values():  # duplicates of the source would only skew the draw
        for kind, lines in lang.items():
            lang[kind] = list(dict.fromkeys(lines))
    return out


def build_pools(corpus: Path) -> Pools:
    """Chinese lines in each output variant: hans (t2s), hant (s2t), tw (s2tw), mixed (as is)."""
    src = source_lines(corpus)
    conv = {v: opencc.OpenCC(c) for v, c in (("hans", "t2s"), ("hant", "s2t"), ("tw", "s2tw"))}
    pools = Pools()
    for kind in ("duty", "requirement", "prose"):
        target = getattr(pools, kind)
        zh = src["zh"][kind]
        target["mixed"] = zh
        for variant, cc in conv.items():
            target[variant] = [cc.convert(t) for t in zh]
        target["en"] = src["en"][kind]
    pools.tails = {v: [cc.convert(t) for t in TAILS["zh"]] for v, cc in conv.items()}
    pools.tails["mixed"], pools.tails["en"] = TAILS["zh"], TAILS["en"]
    return pools


# --------------------------------------------------------------------------- text pieces
ROLES_ZH = [
    "区域经理",
    "大区经理",
    "城市经理",
    "区域销售经理",
    "区域技术经理",
    "办事处主任",
    "渠道经理",
    "销售主管",
    "店长",
    "市场专员",
]
ROLES_EN = [
    "Regional Manager",
    "Area Sales Manager",
    "City Manager",
    "Channel Manager",
    "Office Director",
    "Sales Supervisor",
    "Store Manager",
]
TITLES_ZH = ["{r}岗位职责", "{r}的岗位职责", "{r}岗位职责(精选{n}篇)", "{r}职位描述", "{r}工作职责"]
TITLES_EN = ["{r} Job Responsibilities", "Responsibilities of the {r}", "Job Description: {r}"]
DUTY_HEADINGS = {
    "zh": ["岗位职责", "岗位职责：", "工作内容", "主要职责", "职责描述:", "一、岗位职责"],
    "en": ["Responsibilities", "Job Responsibilities:", "Main duties", "Duties:"],
}
REQ_HEADINGS = {
    "zh": ["任职要求", "任职要求：", "任职资格", "岗位要求:", "二、任职要求"],
    "en": ["Requirements", "Qualifications:", "Job requirements"],
}
TAILS = {
    "zh": ["并及时汇报", "确保按时完成", "提高工作效率", "完成上级交办的其他工作", "做好记录"],
    "en": ["and report in time", "ensuring timely completion", "as required", "on schedule"],
}
ROMAN = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"]
ROMAN += [f"x{r}" for r in ROMAN] + [f"xx{r}" for r in ROMAN]
STYLES_ZH = [
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
STYLES_EN = ["dot", "encomma", "paren", "roman", "bullet", "dash"]


def cn_numeral(n: int) -> str:
    """1..99 in Chinese numerals (十一, 二十三): the 一、 and （一） styles run past ten."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else "十" if tens == 1 else CN_DIGITS[tens] + "十"
    return head + (CN_DIGITS[ones] if ones else "")


def marker(style: str, n: int) -> str:
    """The numbering of item ``n`` in ``style``."""
    if style == "circled":
        return chr(0x2460 + n - 1)  # callers keep circled lists to <= 20 (10 for Big5)
    if style == "roman":
        return f"{ROMAN[(n - 1) % len(ROMAN)]}. "
    fixed = {"bullet": "• ", "middot": "· ", "dash": "- ", "corrupt": "某"}
    if style in fixed:
        return fixed[style]
    num = cn_numeral(n) if style in ("cn", "cnparen") else str(n)
    return {
        "dot": "{}. ",
        "dun": "{}、",
        "stop": "{}。",
        "comma": "{}，",
        "encomma": "{}, ",
        "paren": "({}) ",
        "fwparen": "（{}）",
        "cn": "{}、",
        "cnparen": "（{}）",
    }[style].format(num)


def perturb(text: str, rng: random.Random, tails: list[str], english: bool) -> str:
    """None, one or two small edits, the kind that make near-duplicates in real libraries."""
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        op = rng.random()
        if op < 0.3:
            text = _swap_phrases(text, rng, english)
        elif op < 0.55:
            text = _append(text, rng.choice(tails), english)
        else:
            text = _edit_word(text, rng, english, drop=op < 0.8)
    return text


def _swap_phrases(text: str, rng: random.Random, english: bool) -> str:
    """Two neighbouring phrases around a comma change places (final punctuation stays put)."""
    end = text[-1] if text[-1] in "。.;；" else ""
    parts = re.split(r"([,，;；])", text[: len(text) - len(end)])
    if len(parts) < 3:
        return text
    i = rng.randrange(0, len(parts) - 2, 2)
    parts[i], parts[i + 2] = parts[i + 2].strip(), parts[i].strip()
    if english:
        parts = [p + " " if p in ",;" else p.strip() for p in parts]
    return "".join(parts) + end


def _append(text: str, tail: str, english: bool) -> str:
    """A short phrase added before the final punctuation."""
    end = text[-1] if text[-1] in "。.;；" else ""
    body = text[: len(text) - len(end)]
    return f"{body}, {tail}{end}" if english else f"{body}，{tail}{end}"


def _edit_word(text: str, rng: random.Random, english: bool, drop: bool) -> str:
    """Drop or double one word (English) or one two-character chunk (Chinese)."""
    if english:
        words = text.split(" ")
        if len(words) < 6:
            return text
        i = rng.randrange(1, len(words))
        words[i : i + 1] = [] if drop else [words[i], words[i]]
        return " ".join(words)
    hans = [m.start() for m in _HAN.finditer(text)]
    if len(hans) < 8:
        return text
    i = rng.choice(hans[1:-2])
    chunk = text[i : i + 2]
    return text[:i] + ("" if drop else chunk * 2) + text[i + 2 :]


# --------------------------------------------------------------------------- one file
@dataclass
class FileSpec:
    """The per-file choices: script variant, encoding, and how lines are laid out."""

    lang: str  # zh / en
    variant: str  # hans / hant / tw / mixed / en
    encoding: str
    blank_lines: bool
    convert: Callable[[str], str]  # structural text (titles, headings) into the file's script


@dataclass
class Built:
    text: str
    items: int
    paragraphs: int
    styles: Counter[str]
    planted: list[tuple[str, str]] = field(default_factory=list)  # (source key, item as written)


def choose_spec(rng: random.Random, conv: dict[str, opencc.OpenCC]) -> FileSpec:
    """~45% simplified, ~30% traditional, ~25% English; a few % GB18030 / Big5."""
    roll = rng.random()
    if roll < 0.45:
        variant = "hans" if rng.random() < 0.9 else "mixed"
        enc = "gb18030" if rng.random() < 0.07 else "utf-8"
    elif roll < 0.75:
        variant = "tw" if rng.random() < 0.6 else "hant"
        enc = "big5" if rng.random() < 0.08 else "utf-8"
    else:
        return FileSpec("en", "en", "utf-8", rng.random() < 0.15, lambda s: s)
    cc = conv["tw" if variant == "tw" else "hant" if variant == "hant" else "hans"]
    return FileSpec("zh", variant, enc, rng.random() < 0.15, cc.convert)


def _fits(text: str, encoding: str) -> bool:
    """Big5 lacks many characters: such items are skipped, not written as '?'."""
    if encoding != "big5":
        return True
    try:
        text.encode("big5")
    except UnicodeEncodeError:
        return False
    return True


def _title(rng: random.Random, spec: FileSpec) -> str:
    if spec.lang == "en":
        return rng.choice(TITLES_EN).format(r=rng.choice(ROLES_EN))
    title = rng.choice(TITLES_ZH).format(r=rng.choice(ROLES_ZH), n=rng.randint(3, 12))
    return spec.convert(title)


def _boilerplate_top(rng: random.Random, spec: FileSpec, title: str) -> list[str]:
    """Breadcrumbs, counters, greetings and dates as template sites print them."""
    date = f"{rng.randint(2015, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if spec.lang == "en":
        return [rng.choice([date, f"Home > Documents > Job descriptions > {title}"])]
    lines = [
        f"当前位置:首页 > 办公文档 > {rng.choice(['岗位职责', '述职报告', '工作总结'])} > {title}",
        f"才智咖 人氣:{rng.randint(1, 99) / 10:.2f}W",
        "您好,欢迎访问三七文档",
        date,
    ]
    return [spec.convert(x) for x in rng.sample(lines, rng.randint(1, 2))]


def _boilerplate_bottom(rng: random.Random, spec: FileSpec) -> str:
    if spec.lang == "en":
        return f"Previous: {rng.choice(ROLES_EN)} duties Next: {rng.choice(ROLES_EN)} duties"
    a, b = rng.sample(ROLES_ZH, 2)
    return spec.convert(
        rng.choice(
            [
                f"上一篇:{a}岗位职责下一篇:{b}工作总结",
                "本文档由站牛网zhann.net收集整理，更多优质范文文档请移步zhann.net站内查找",
            ]
        )
    )


def _bundle_title(rng: random.Random, spec: FileSpec, b: int, title: str) -> str:
    """篇一:… / 篇1:… / …篇二 / 'Responsibilities of regional manager 3'."""
    if spec.lang == "en":
        return rng.choice([f"Responsibilities of {title.lower()} {b}", f"Article {b}: {title}"])
    form = rng.choice(["篇{c}:{t}", "篇{n}:{t}", "{t} {r}的定义篇{c}", "篇{c}：{t}"])
    return spec.convert(form.format(c=cn_numeral(b), n=b, t=title, r=rng.choice(ROLES_ZH)))


def _draw_items(
    rng: random.Random, pools: Pools, spec: FileSpec, kind: str, n: int
) -> tuple[list[str], list[str]]:
    """``n`` perturbed items of ``kind`` that fit the file's encoding (Big5 ones may be fewer),
    and the source line of each (``lang/kind/index``): items of one source line are the planted
    duplicates (across scripts too: the Chinese pools of every script are parallel lists)."""
    if not getattr(pools, kind)[spec.variant]:
        kind = "duty"
    pool = getattr(pools, kind)[spec.variant]
    items, sources = [], []
    for _ in range(n):
        i = rng.randrange(len(pool))  # the same draw as rng.choice(pool)
        text = perturb(pool[i], rng, pools.tails[spec.variant], spec.lang == "en")
        if text and _fits(text, spec.encoding):
            items.append(text)
            sources.append(f"{spec.lang}/{kind}/{i}")
    return items, sources


def _pick_style(rng: random.Random, spec: FileSpec, n: int) -> str:
    """A numbering style that can number ``n`` items in the file's encoding."""
    while True:
        if spec.lang == "zh" and rng.random() < 0.05:
            return "corrupt"  # the whole list lost its bullets: 某 at each line start
        style = rng.choice(STYLES_ZH if spec.lang == "zh" else STYLES_EN)
        limit = 10 if spec.encoding == "big5" else 20
        if style != "circled" or n <= limit:
            return style


def render_list(rng: random.Random, spec: FileSpec, items: list[str]) -> tuple[list[str], str]:
    """Lines of one numbered list, and its style: one per line, hard-wrapped, or run-on."""
    roll = rng.random()
    if roll < (0.08 if spec.lang == "zh" else 0.03):  # PDF extract: all items on one line
        sep, mark = ("", "{}、") if spec.lang == "zh" else (" ", "{}. ")
        glued = sep.join(mark.format(i) + _terminated(t, spec) for i, t in enumerate(items, 1))
        return [glued], "runon"
    style = _pick_style(rng, spec, len(items))
    lines = [marker(style, i) + _terminated(t, spec) for i, t in enumerate(items, 1)]
    if spec.lang == "zh" and roll > 0.96:  # hard-wrapped at a fixed width, as in 001
        width = rng.randint(28, 40)
        lines = [ln[j : j + width] for ln in lines for j in range(0, len(ln), width)]
        style += "+wrapped"
    return lines, style


def _terminated(text: str, spec: FileSpec) -> str:
    if text[-1] in "。.;；!！":
        return text
    return text + ("." if spec.lang == "en" else "。")


def _sections(rng: random.Random, pools: Pools, spec: FileSpec, quota: int) -> Built:
    """Headed lists (duties, then sometimes requirements) holding ``quota`` items in all."""
    lines: list[str] = []
    built = Built("", 0, 0, Counter())
    duty = True
    while quota > 0:
        n = min(quota, rng.randint(4, 25) if duty else rng.randint(3, 12))
        items, sources = _draw_items(rng, pools, spec, "duty" if duty else "requirement", n)
        quota -= n
        if not items:
            continue
        headings = (DUTY_HEADINGS if duty else REQ_HEADINGS)[spec.lang]
        if rng.random() < 0.9:
            lines.append(spec.convert(rng.choice(headings)))
        body, style = render_list(rng, spec, items)
        lines += body
        built.items += len(items)
        built.styles[style] += 1
        built.planted += [(k, _terminated(t, spec)) for k, t in zip(sources, items, strict=True)]
        duty = not duty if rng.random() < 0.6 else duty
    built.text = "\n".join(lines)
    return built


def make_file(rng: random.Random, pools: Pools, spec: FileSpec, quota: int) -> Built:
    """One synthetic JD file with about ``quota`` items (fewer when Big5 skips some)."""
    title = _title(rng, spec)
    blocks = _boilerplate_top(rng, spec, title) if rng.random() < 0.35 else []
    blocks.append(title)
    out = Built("", 0, 0, Counter())
    bundles = rng.choice([1, 1, 1, 1, 2, 3, 4, 5]) if quota >= 40 else 1
    for b in range(1, bundles + 1):
        if bundles > 1:
            blocks.append(_bundle_title(rng, spec, b, title))
        if rng.random() < 0.25:  # an intro or essay paragraph: text, but not a numbered item
            prose = pools.prose[spec.variant]
            if prose and _fits(para := rng.choice(prose), spec.encoding):
                blocks.append(para)
                out.paragraphs += 1
        part = _sections(rng, pools, spec, quota // bundles + (b <= quota % bundles))
        blocks.append(part.text)
        out.items += part.items
        out.planted += part.planted
        out.styles.update(part.styles)
    if rng.random() < 0.2:
        blocks.append(_boilerplate_bottom(rng, spec))
    blocks = [b for b in blocks if b and _fits(b, spec.encoding)]
    out.text = "\n".join(blocks) + "\n"
    if spec.blank_lines:
        out.text = out.text.replace("\n", "\n\n")
    return out


# --------------------------------------------------------------------------- the corpus
def _file_path(out: Path, n: int, per_dir: int, spec: FileSpec, rng: random.Random) -> Path:
    """Nested folders (g00/d0003/…), mostly ASCII names, some Chinese ones."""
    k = n // per_dir
    name = f"jd{n:07d}.txt"
    if spec.lang == "zh" and rng.random() < 0.1:
        name = f"{spec.convert('岗位职责')}_{n:07d}.txt"
    return out / f"g{k // 10:02d}" / f"d{k:04d}" / name


def generate(clauses: int, out: Path, seed: int = 0, per_dir: int = 250) -> dict[str, object]:
    """Write files into ``out`` (which must not exist) until exactly ``clauses`` items."""
    rng = random.Random(seed)
    pools = build_pools(ROOT / "corpus")
    conv = {v: opencc.OpenCC(c) for v, c in (("hans", "t2s"), ("hant", "s2t"), ("tw", "s2tw"))}
    stats: Counter[str] = Counter()
    styles: Counter[str] = Counter()
    encodings: dict[str, str] = {}
    written = files = size = paragraphs = 0
    planted = (out / PLANTED).open("w", encoding="utf-8")
    while written < clauses:
        spec = choose_spec(rng, conv)
        built = make_file(rng, pools, spec, min(rng.randint(20, 300), clauses - written))
        if not built.items:
            continue
        path = _file_path(out, files, per_dir, spec, rng)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = built.text.encode(spec.encoding)
        path.write_bytes(data)
        rel = str(path.relative_to(out))
        for key, item in built.planted:
            planted.write(json.dumps([key, rel, item], ensure_ascii=False) + "\n")
        if spec.encoding != "utf-8":
            encodings[rel] = spec.encoding
        written, files, size = written + built.items, files + 1, size + len(data)
        paragraphs += built.paragraphs
        stats[f"{spec.variant}/{spec.encoding}"] += 1
        styles.update(built.styles)
    planted.close()
    return {
        "version": VERSION,
        "seed": seed,
        "clauses": clauses,
        "files": files,
        "items": written,
        "paragraphs": paragraphs,
        "bytes": size,
        "files_by_script_encoding": dict(sorted(stats.items())),
        "lists_by_style": dict(sorted(styles.items())),
        "encodings": encodings,
    }


def write_corpus(clauses: int, out: Path, seed: int = 0, per_dir: int = 250) -> dict[str, object]:
    """Generate beside ``out`` and swap it in, so readers never see a half-written corpus."""
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    t0 = time.perf_counter()
    manifest = generate(clauses, tmp, seed, per_dir)
    manifest["generate_seconds"] = round(time.perf_counter() - t0, 1)
    (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
    if out.exists():
        old = out.with_name(out.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        out.rename(old)
        shutil.rmtree(old)
    tmp.rename(out)
    return manifest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--clauses", type=int, required=True, help="numbered items to write")
    ap.add_argument("--out", type=Path, required=True, help="output folder (replaced)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-dir", type=int, default=250, help="files per folder")
    args = ap.parse_args()
    m = write_corpus(args.clauses, args.out, args.seed, args.per_dir)
    mb = int(m["bytes"]) / 1e6  # type: ignore[call-overload]
    print(f"{m['files']} files, {m['items']} clauses (numbered items), {mb:.1f} MB in {args.out}")
    print(f"  + {m['paragraphs']} unnumbered paragraphs; {m['generate_seconds']} s")
    print(f"  files: {m['files_by_script_encoding']}")


if __name__ == "__main__":
    main()
