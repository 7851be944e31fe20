"""``jdsearch`` command line: a thin shell over :class:`jdsearch.Corpus`.

Contract relied on by scripts: exit 0 on success, 1 on a user error with a one-line message on
stderr (never a traceback); ``--json`` prints one JSON document on stdout. User text (paths,
clauses, queries) is never read as Rich markup. Imports are lazy: ``--help`` loads click and
little else; each command loads only the stages it uses.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from jdsearch.corpus import Corpus
    from jdsearch.ingest import ProgressFn

KINDS = ("duty", "requirement", "other")
LANGS = ("en", "zh-Hans", "zh-Hant")
ENGINES = ("whoosh", "tantivy")
CROSS_LINGUAL_THRESHOLD = 60.0  # mirrors jdsearch.dupes (a test checks): imported lazily
INDEX_HELP = "Index directory (default: $JDSEARCH_INDEX or ./index)."


# --------------------------------------------------------------------------- output
def safe(text: object) -> str:
    """Text that can always be printed: undecodable bytes from argv/paths become U+FFFD."""
    s = str(text)
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        return s.encode("utf-8", "replace").decode("utf-8")


_consoles: dict[str, Console] = {}


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    key = "err" if stderr else "out"
    if key not in _consoles:
        _consoles[key] = Console(stderr=stderr, highlight=False, soft_wrap=True, markup=False)
    return _consoles[key]


def plain(*parts: object, style: str | None = None) -> Text:
    """A Rich Text of user data: shown as is, never parsed as markup."""
    from rich.text import Text

    return Text("".join(safe(p) for p in parts), style=style or "")


def say(*parts: object) -> None:
    console().print(plain(*parts))


def warn(message: str) -> None:
    from rich.text import Text

    t = Text("warning: ", style="yellow")
    t.append(safe(message))
    console(stderr=True).print(t)


def _emit_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _corpus(index_dir: Path) -> Corpus:
    from jdsearch.corpus import Corpus

    return Corpus(index_dir)


@contextmanager
def _progress(enabled: bool, label: str = "ingesting") -> Iterator[ProgressFn | None]:
    """A progress bar on stderr for long work, only when stderr is a terminal."""
    err = console(stderr=True)
    if not enabled or not err.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int, source: str) -> None:
            bar.update(task, completed=done, total=total, description=safe(Path(source).name[:40]))

        yield update


# --------------------------------------------------------------------------- errors
class JdsearchGroup(click.Group):
    """Maps user errors (ours and click's usage errors) to one line + exit code 1."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        from jdsearch.store import JdsearchError

        kwargs["standalone_mode"] = False
        try:
            rv = super().main(*args, **kwargs)
        except JdsearchError as exc:
            _fail(str(exc))
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help() if exc.ctx else str(exc), err=True)
            sys.exit(0)
        except click.UsageError as exc:
            hint = f" (try '{exc.ctx.command_path} --help')" if exc.ctx else ""
            _fail(exc.format_message() + hint)
        except click.Abort:
            _fail("aborted")
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted; the index keeps its previous state")
        except BrokenPipeError:
            _quiet_exit(0)  # `jdsearch … | head`: the reader has what it wanted
        except OSError as exc:
            if exc.filename is None and exc.errno is not None:  # writing our own output failed
                _fail(f"cannot write output: {exc.strerror}")
            raise
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _quiet_exit(0)
        except OSError as exc:
            _fail(f"cannot write output: {exc.strerror}")
        sys.exit(rv if isinstance(rv, int) else 0)


def _quiet_exit(code: int) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(code)


def _fail(message: str) -> None:
    from rich.text import Text

    t = Text("error: ", style="bold red")
    t.append(" ".join(safe(message).split()))
    with contextlib.suppress(OSError):  # stderr itself may be gone
        console(stderr=True).print(t, soft_wrap=True)
    sys.exit(1)


def _index_option(f: Any) -> Any:
    return click.option(
        "--index",
        "index_dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="JDSEARCH_INDEX",
        default="index",
        show_default=False,
        help=INDEX_HELP,
    )(f)


def _stale(flag: bool, what: str) -> None:
    if flag:
        warn(
            f"{what} are behind the clause table (a writer is at work or stopped); "
            "results may be out of date"
        )


# --------------------------------------------------------------------------- commands
@click.group(cls=JdsearchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="jdsearch")
def main() -> None:
    """Search, de-duplicate and organise job-description (JD) duties in simplified Chinese,
    traditional Chinese and English.

    \b
    Examples:
      jdsearch ingest corpus/
      jdsearch clauses --kind duty --lang zh-Hant
      jdsearch search 客戶檔案
      jdsearch dupes
      jdsearch themes
      jdsearch export --format skos -o taxonomy.ttl
    """


@main.command()
@click.argument("paths", nargs=-1, required=True)
@_index_option
@click.option("--text-column", help="Column holding the JD text in .csv/.tsv/.jsonl files.")
@click.option(
    "--boilerplate",
    "boilerplate_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File of extra boilerplate regular expressions (one per line) to strip.",
)
@click.option(
    "--variants",
    "variants_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TSV of extra wording pairs (variant<TAB>mainland, e.g. 蒐集<TAB>收集) to match as one; "
    "recorded in the index.",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    help="Search engine, chosen when the index is created (default whoosh; tantivy needs "
    "pip install 'jdsearch[tantivy]').",
)
@click.option(
    "--max-file-mb",
    type=click.FloatRange(min=0, min_open=True),
    default=50.0,
    show_default=True,
    help="Skip files bigger than this.",
)
@click.option(
    "--max-doc-chars",
    type=click.IntRange(min=1),
    default=500_000,
    show_default=True,
    help="Skip a posting (a file, or a table row) with more characters of text.",
)
@click.option(
    "--max-seconds",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Skip a file whose reading takes longer.",
)
@click.option(
    "--follow-links",
    is_flag=True,
    help="Follow symbolic links that lead out of a folder (by default they are skipped).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def ingest(
    paths: tuple[str, ...],
    index_dir: Path,
    text_column: str | None,
    boilerplate_file: Path | None,
    variants_file: Path | None,
    engine: str | None,
    max_file_mb: float,
    max_doc_chars: int,
    max_seconds: float,
    follow_links: bool,
    as_json: bool,
) -> None:
    """Read JD files (txt, md, html, docx, pdf, csv, tsv, jsonl; folders recursively) into
    clean, typed duty clauses stored in the index, and bring the search index, duplicate
    groups and themes up to date.

    Unchanged files are not re-parsed; changed files replace their clauses; unreadable files are
    skipped with a warning naming them and why.

    \b
    Examples:
      jdsearch ingest corpus/
      jdsearch ingest corpus/ --engine tantivy --index index-fast
    """
    from jdsearch.readers import ReadBudget

    extra = _read_patterns(boilerplate_file) if boilerplate_file else None
    variants = _read_variants(variants_file) if variants_file else None
    with _progress(not as_json) as progress:
        report = _corpus(index_dir).ingest(
            paths,
            text_column=text_column,
            boilerplate=extra,
            variants=variants,
            progress=progress,
            engine=engine,
            budget=ReadBudget(
                max_file_mb=max_file_mb, max_doc_chars=max_doc_chars, max_seconds=max_seconds
            ),
            follow_links=follow_links,
        )
    for source, reason in report.skipped:
        warn(f"skipped {source}: {reason}")
    if as_json:
        _emit_json(report.to_json())
        return
    t = report.totals
    say(
        f"files: {report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.removed} removed, {len(report.skipped)} skipped"
    )
    say(
        f"index {index_dir}: {t['documents']} documents, {t['sections']} sections, "
        f"{t['clauses']} clauses"
    )
    say("  by kind: " + ", ".join(f"{k} {v}" for k, v in t["by_kind"].items()))  # type: ignore[union-attr]
    say("  by lang: " + ", ".join(f"{k} {v}" for k, v in t["by_lang"].items()))  # type: ignore[union-attr]
    done = {k: v for k, v in report.stages.items() if v not in ("not computed",)}
    if done:
        say("  stages: " + ", ".join(f"{k} {v}" for k, v in done.items()))


def _read_variants(path: Path) -> dict[str, str]:
    """variant<TAB>mainland lines (# comments); both sides in the matching form."""
    from jdsearch.normalize import default_normalizer
    from jdsearch.store import JdsearchError

    fold = default_normalizer().fold
    out: dict[str, str] = {}
    for n, line in enumerate(_read_patterns(path), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 2 or not parts[0].strip() or not parts[1].strip():
            raise JdsearchError(f"{path}:{n}: expected variant<TAB>mainland")
        variant, mainland = (fold(p.strip()) or p.strip() for p in parts[:2])
        out[variant] = mainland
    return out


def _read_patterns(path: Path) -> list[str]:
    from jdsearch.store import JdsearchError

    try:
        return path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise JdsearchError(f"cannot read boilerplate file {path}: {exc}") from None


@main.command()
@_index_option
@click.option("--kind", type=click.Choice(KINDS), help="Only clauses of this kind.")
@click.option("--lang", type=click.Choice(LANGS), help="Only clauses in this language/script.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array of clause objects.")
def clauses(index_dir: Path, kind: str | None, lang: str | None, as_json: bool) -> None:
    """List the clauses in the index, in document order.

    \b
    Examples:
      jdsearch clauses --kind duty --lang zh-Hant
      jdsearch clauses --kind requirement --json
    """
    from jdsearch.serialize import clause_json

    corpus = _corpus(index_dir)
    rows = corpus.clauses(kind=kind, lang=lang)
    if as_json:
        docs = {d.doc_id: d for d in corpus.documents()}
        _emit_json([clause_json(c, docs.get(c.doc_id)) for c in rows])
        return
    from rich.table import Table

    table = Table(show_lines=False, expand=False)
    for col in ("clause_id", "source", "section", "#", "kind", "lang", "text"):
        table.add_column(col, overflow="fold", no_wrap=col in ("clause_id", "#", "kind", "lang"))
    for c in rows:
        table.add_row(
            plain(c.clause_id),
            plain(Path(c.source).name),
            plain(c.section[:30]),
            plain(c.position),
            plain(c.kind),
            plain(c.lang),
            plain(c.text),
        )
    console().print(table)
    say(f"{len(rows)} clauses")


@main.command()
@_index_option
@click.option("--engine", type=click.Choice(ENGINES), help="Rebuild with this engine instead.")
def reindex(index_dir: Path, engine: str | None) -> None:
    """Rebuild the search index from the clause table (after an upgrade, to switch engines, or
    to repair a damaged index).

    \b
    Examples:
      jdsearch reindex
      jdsearch reindex --engine tantivy
    """
    with _progress(True, "indexing") as progress:
        n = _corpus(index_dir).reindex(progress, engine=engine)
    say(f"indexed {n} clauses in {index_dir}")


@main.command()
@_index_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status(index_dir: Path, as_json: bool) -> None:
    """Show each stage of the index (search, dupes, themes): current or behind, and who writes.

    \b
    Examples:
      jdsearch status
    """
    info = _corpus(index_dir).status()
    if as_json:
        _emit_json(info)
        return
    say(f"index {index_dir}: generation {info['generation']}, engine {info['engine']}")
    for name in ("search", "dupes", "themes"):
        st: dict[str, object] = info[name]  # type: ignore[assignment]
        if st.get("computed") is False:
            say(f"  {name}: not computed")
        else:
            state = "current" if st["current"] else "behind"
            say(f"  {name}: {state}" + (f" ({st['reason']})" if st.get("reason") else ""))
    if info["writer"]:
        say(f"  writer at work: {info['writer']}")


@main.command()
@click.argument("query")
@_index_option
@click.option(
    "--limit", type=click.IntRange(1, 1000), default=10, show_default=True, help="Number of hits."
)
@click.option("--offset", type=click.IntRange(0), default=0, help="Skip this many hits (paging).")
@click.option("--lang", type=click.Choice(LANGS), help="Only clauses in this language/script.")
@click.option("--kind", type=click.Choice(KINDS), help="Only clauses of this kind.")
@click.option(
    "--collapse",
    is_flag=True,
    help="Fold equivalent clauses into one hit with variant and document counts.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array of hits.")
def search(
    query: str,
    index_dir: Path,
    limit: int,
    offset: int,
    lang: str | None,
    kind: str | None,
    collapse: bool,
    as_json: bool,
) -> None:
    """Search duties by keyword, in any script or language.

    \b
    QUERY syntax:
      客户档案 回款        all words required (any word if nothing has all)
      "客户 档案"          a phrase (Chinese: the characters in a row)
      -培训                exclude a word
      lang:zh-Hant kind:duty section:城市經理 doc:ID theme:ID group:ID   filters
      source:corpus/x.txt title:经理 company:NAME city:上海 date:2018   filters
    Traditional and simplified Chinese match each other (客戶檔案 finds 客户档案), so do
    Taiwan and mainland wording (資料分析 finds 数据分析); a word is found inside longer
    words (看板 finds 数据看板); English is stemmed and tolerates typos.
    Put -- before a query that starts with "-".

    \b
    Examples:
      jdsearch search 客戶檔案
      jdsearch search '"客户 档案"'
      jdsearch search '客户 -档案' --kind duty
      jdsearch search 'competiter lang:en' --json
      jdsearch search 窜货 --collapse
    """
    result = _corpus(index_dir).search(
        query, limit=limit, offset=offset, lang=lang, kind=kind, collapse=collapse
    )
    if result.stale:
        warn(result.warning)
    if as_json:
        from jdsearch.serialize import hit_json

        _emit_json([hit_json(h) for h in result.hits])
        return
    from rich.table import Table

    table = Table(show_lines=False)
    for col in ("#", "score", "lang", "kind", "source", "text"):
        table.add_column(col, overflow="fold", no_wrap=col != "text")
    for i, h in enumerate(result.hits, offset + 1):
        text = _marked(h.text, h.spans)
        if collapse and h.variants > 1:
            text.append(f"  (+{h.variants - 1} variants in {h.documents} documents)", style="dim")
        source = h.source + (f" · {h.title}" if h.title else "")
        table.add_row(
            plain(i), plain(f"{h.score:.2f}"), plain(h.lang), plain(h.kind), plain(source), text
        )
    console().print(table)
    note = " (no clause had every word: showing clauses with any)" if result.mode == "any" else ""
    say(f"{result.total} matching clauses{note}")


def _marked(text: str, spans: list[tuple[int, int]]) -> Text:
    t = plain(text)
    for s, e in spans:
        t.stylize("bold yellow", s, e)
    return t


@main.command()
@_index_option
@click.option(
    "--threshold",
    type=click.FloatRange(1, 100),
    default=85.0,
    show_default=True,
    help="Minimum similarity (0-100) for two clauses to be duplicates.",
)
@click.option(
    "--cross-lingual/--no-cross-lingual",
    default=False,
    show_default=True,
    help="Also link English and Chinese translations of a duty (off by default: translations "
    "need dictionary evidence on both sides, and their judged precision is not yet 0.90).",
)
@click.option(
    "--cross-lingual-threshold",
    type=click.FloatRange(1, 100),
    default=CROSS_LINGUAL_THRESHOLD,
    show_default=True,
    help="Dictionary coverage (%) both sides of an English/Chinese pair need to be linked as "
    "translations (lower finds more, falsely too).",
)
@click.option(
    "--of",
    "of",
    metavar="CLAUSE_ID_OR_TEXT",
    help="Only the near-duplicates of this clause id or pasted text.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (an array of groups).")
def dupes(
    index_dir: Path,
    threshold: float,
    cross_lingual: bool,
    cross_lingual_threshold: float,
    of: str | None,
    as_json: bool,
) -> None:
    """Near-duplicate clauses: the same duty reworded, re-scripted or translated.

    Relations: exact, near (reworded), cross-script (traditional/simplified), variant (the same
    requirement with another value: 2年/3年, 本科/硕士 — numbers, degrees, certificates and
    negation must agree for anything else), cross-lingual (English/Chinese, with
    --cross-lingual). Each group has a canonical member (the most central, most complete
    wording). --of takes a clause id (16 hex digits; an unknown one is an error) or any other
    text to paste.

    \b
    Examples:
      jdsearch dupes
      jdsearch dupes --of 负责公司产品的销售和推广 --json
    """
    corpus = _corpus(index_dir)
    if of is not None:
        _dupes_of(corpus, of, threshold, cross_lingual, cross_lingual_threshold, as_json)
        return
    from jdsearch.serialize import group_json

    groups = corpus.dupes(
        threshold=threshold,
        cross_lingual=cross_lingual,
        cross_lingual_threshold=cross_lingual_threshold,
    )
    by_id = corpus.clauses_by_id(m.clause_id for g in groups for m in g.members)
    data = [group_json(g, by_id) for g in groups]
    if as_json:
        _emit_json(data)
        return
    out = console()
    for g in data:
        canon = by_id[g["canonical_id"]]  # type: ignore[index]
        head = plain(g["group_id"], style="bold")
        head.append(safe(f" {len(g['members'])} clauses — {canon.text}"))  # type: ignore[arg-type]
        out.print(head)
        for m in g["members"][1:]:  # type: ignore[index]
            say(
                f"   {m['relation']:<13} {m['similarity']:5.1f}  {m['lang']:<7} "
                f"{Path(m['source']).name}  {m['text']}"
            )
    say(f"{len(data)} groups, {sum(len(g['members']) for g in data)} clauses")  # type: ignore[arg-type]


def _dupes_of(
    corpus: Corpus,
    of: str,
    threshold: float,
    cross_lingual: bool,
    cross_lingual_threshold: float,
    as_json: bool,
) -> None:
    from jdsearch.serialize import member_json

    clause, matches = corpus.dupes_of(
        of,
        threshold=threshold,
        cross_lingual=cross_lingual,
        cross_lingual_threshold=cross_lingual_threshold,
    )
    rows = [member_json(c, s, r) for c, s, r in matches]
    if as_json:
        _emit_json(rows)
        return
    say(f"near-duplicates of: {clause.text if clause else of}")
    for r in rows:
        say(
            f"   {r['relation']:<13} {r['similarity']:5.1f}  {r['lang']:<7} "
            f"{Path(str(r['source'])).name}  {r['text']}"
        )
    say(f"{len(rows)} matches")


@main.command()
@_index_option
@click.option(
    "--k",
    type=click.IntRange(2, 5000),
    help="Number of themes per kind (default: chosen from the data, or as last computed).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array of themes.")
def themes(index_dir: Path, k: int | None, as_json: bool) -> None:
    """Themes of responsibility: duties and requirements clustered apart, English and Chinese
    clauses of the same duty together; each with labels, top terms and a canonical clause.

    \b
    Examples:
      jdsearch themes
      jdsearch themes --k 12 --json
    """
    corpus = _corpus(index_dir)
    found = corpus.themes(k=k)
    if as_json:
        from jdsearch.serialize import theme_json

        _emit_json([theme_json(t) for t in found])
        return
    from rich.table import Table

    areas = {a.area_id: a for a in corpus.areas()}
    table = Table(show_lines=False)
    for col in ("theme", "area", "size", "langs", "label", "top terms", "canonical duty"):
        table.add_column(col, overflow="fold", no_wrap=col in ("theme", "size"))
    for t in found:
        a = areas.get(t.area_id)
        table.add_row(
            plain(t.theme_id),
            plain(f"{t.area_id} {a.label_en if a else ''}"),
            plain(t.size),
            plain(" ".join(f"{k}:{v}" for k, v in t.langs.items())),
            plain(f"{t.label_en}\n{t.label_zh}"),
            plain(", ".join(t.terms[:6])),
            plain(t.canonical_text),
        )
    console().print(table)
    say(f"{len(found)} themes in {len(areas)} areas")


@main.command()
@_index_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv", "md", "skos"]),
    default="json",
    show_default=True,
    help="Export format (skos is Turtle).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output (csv files get a UTF-8 BOM).",
)
@click.option("--k", type=click.IntRange(2, 5000), help="Number of themes per kind.")
@click.option(
    "--base-iri",
    metavar="IRI",
    help="skos: prefix of every concept IRI, e.g. https://example.org/jd/ (default urn:jdsearch:).",
)
def export(
    index_dir: Path, fmt: str, output: Path | None, k: int | None, base_iri: str | None
) -> None:
    """Export the duty taxonomy (areas -> themes -> canonical duties -> variants).

    Everything is UTF-8. A csv written with -o starts with a byte-order mark, so Excel opens the
    Chinese text correctly; on standard output it stays plain UTF-8 for pipes and scripts.

    \b
    Examples:
      jdsearch export --format md
      jdsearch export --format csv -o taxonomy.csv
      jdsearch export --format skos --base-iri https://example.org/jd/ -o taxonomy.ttl
    """
    from jdsearch.store import JdsearchError

    text = _corpus(index_dir).export(fmt, k=k, base_iri=base_iri)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        tmp = output.with_name(output.name + ".tmp")
        tmp.write_text(text, "utf-8-sig" if fmt == "csv" else "utf-8")
        tmp.replace(output)
    except OSError as exc:
        raise JdsearchError(f"cannot write {safe(output)}: {exc.strerror}") from None
    console(stderr=True).print(plain("wrote ", output))


@main.command()
@_index_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on (loopback by default; others are warned about).",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
def serve(index_dir: Path, host: str, port: int) -> None:
    """Serve the web app and HTTP API (search, duplicate viewer, theme map, downloads).

    \b
    Examples:
      jdsearch serve --port 8000
    """
    from jdsearch.web.app import serve as run_server

    _corpus(index_dir).stats()  # a clear error now rather than a broken page later
    run_server(str(index_dir), host=host, port=port)


# --------------------------------------------------------------------------- curation
REASON = click.option("--reason", default="", help="Why (kept with the decision).")


@main.group(cls=JdsearchGroup)
def curate() -> None:
    """Human decisions that every later ingest, dupes and themes run keeps.

    Decisions are written to decisions.json in the index folder (sorted JSON, one entry per
    decision, with when, who — $JDSEARCH_USER or $USER — and --reason): readable, diffable and
    safe to share. Clauses are named by id or by their wording (a part only one clause has);
    groups and themes by id or a member's wording. A decision that no longer applies (its
    clause vanished) stays in the file and `curate log` says why.

    \b
    Examples:
      jdsearch curate kind 'Number of personnel: 5.' requirement --reason 'a form field'
      jdsearch curate group reject 任用原則:由區域 --reason 'different rules'
      jdsearch curate theme rename 推广信息档案 --en 'market files' --zh-hans 市场信息档案
      jdsearch curate log
    """


def _decided(decision: dict[str, Any]) -> None:
    say(f"decision {decision['id']}: {decision['type']} — {decision['status']}")


@curate.command("kind")
@click.argument("clause")
@click.argument("kind", type=click.Choice(KINDS))
@REASON
@_index_option
def curate_kind(clause: str, kind: str, reason: str, index_dir: Path) -> None:
    """Set a clause's kind (duty, requirement, other); search filters and themes follow.

    \b
    Examples:
      jdsearch curate kind 'Number of personnel: 5.' other
    """
    _decided(_corpus(index_dir).decide("kind", reason, clause=clause, kind=kind))


GROUP_ACTIONS = ("accept", "reject", "split", "move", "canonical")


@curate.command("group")
@click.argument("action", type=click.Choice(GROUP_ACTIONS))
@click.argument("target")
@click.argument("clauses", nargs=-1)
@click.option("--to", "to", metavar="GROUP", help="move: the group (id or a member's wording).")
@REASON
@_index_option
def curate_group(
    action: str, target: str, clauses: tuple[str, ...], to: str | None, reason: str, index_dir: Path
) -> None:
    """Decide on a duplicate group: accept (keep these together), reject (not duplicates),
    split GROUP CLAUSE... (these leave as a group of their own), move CLAUSE --to GROUP,
    canonical CLAUSE (the wording that stands for the group).

    \b
    Examples:
      jdsearch curate group accept 制定終端開發
      jdsearch curate group split 部門經理分派 部門經理或分公司分派
      jdsearch curate group canonical 辦事處的日常管理工作以及主管部門經理的其他工作
    """
    corpus = _corpus(index_dir)
    if action in ("move", "canonical"):
        if action == "move" and not to:
            raise click.UsageError("move needs --to GROUP")
        args: dict[str, Any] = {"clause": target, "to": to}
    else:
        args = {"group": target, "members": list(clauses)}
        if action == "split" and not clauses:
            raise click.UsageError("split needs the clauses that leave the group")
    _decided(corpus.decide(f"group-{action}", reason, **args))


THEME_ACTIONS = ("rename", "merge", "split", "canonical", "drop")


@curate.command("theme")
@click.argument("action", type=click.Choice(THEME_ACTIONS))
@click.argument("target")
@click.argument("clauses", nargs=-1)
@click.option("--into", metavar="THEME", help="merge: the theme that takes the clauses.")
@click.option("--en", help="rename: English label.")
@click.option("--zh-hans", "zh_hans", help="rename: simplified Chinese label.")
@click.option("--zh-hant", "zh_hant", help="rename: traditional Chinese label.")
@REASON
@_index_option
def curate_theme(
    action: str,
    target: str,
    clauses: tuple[str, ...],
    into: str | None,
    en: str | None,
    zh_hans: str | None,
    zh_hant: str | None,
    reason: str,
    index_dir: Path,
) -> None:
    """Decide on a theme: rename THEME --en/--zh-hans/--zh-hant, merge THEME --into THEME,
    split THEME CLAUSE... (a new theme), canonical CLAUSE (pin the duty that stands for its
    theme), drop THEME (not a theme: its clauses stay unthemed).

    \b
    Examples:
      jdsearch curate theme rename 推广信息档案 --en 'Market information files'
      jdsearch curate theme merge 宏观规划能力 --into 拥有成熟营销团队 --reason 'one profile'
      jdsearch curate theme drop 制定終端開發
    """
    corpus = _corpus(index_dir)
    if action == "merge" and not into:
        raise click.UsageError("merge needs --into THEME")
    if action == "split" and not clauses:
        raise click.UsageError("split needs the clauses of the new theme")
    args: dict[str, Any] = {
        "theme": target,
        "into": into,
        "members": list(clauses),
        "en": en,
        "zh-Hans": zh_hans,
        "zh-Hant": zh_hant,
    }
    if action == "canonical":
        args = {"clause": target}
    _decided(corpus.decide(f"theme-{action}", reason, **args))


@curate.command("boilerplate")
@click.argument("pattern")
@REASON
@_index_option
def curate_boilerplate(pattern: str, reason: str, index_dir: Path) -> None:
    """Add a regular expression stripped from every posting (applies at the next ingest, which
    re-parses every file).

    \b
    Examples:
      jdsearch curate boilerplate '^本职位长期有效.*$'
    """
    _decided(_corpus(index_dir).decide("boilerplate", reason, pattern=pattern))


@curate.command("log")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array of decisions.")
@_index_option
def curate_log(as_json: bool, index_dir: Path) -> None:
    """Every decision, oldest first, and whether it is in force (or why it no longer applies).

    \b
    Examples:
      jdsearch curate log --json
    """
    decisions = _corpus(index_dir).decisions()
    if as_json:
        _emit_json(decisions)
        return
    for d in decisions:
        what = d.get("clause", {}).get("text") or d.get("theme") or d.get("group") or ""
        what = what or d.get("pattern", "")
        labels = " ".join(f"{k}={v}" for k, v in d.get("labels", {}).items())
        extra = " ".join(x for x in (labels, d.get("kind", ""), d.get("into", "")) if x)
        say(f"{d['id']} {d['when']} {d['who']} {d['type']} {what[:60]} {extra}".rstrip())
        if d.get("reason"):
            say(f"     reason: {d['reason']}")
        say(f"     {d['status']}")
    say(f"{len(decisions)} decisions")


# ---------------------------------------------------------- Spark
_MASTER_HELP = "Spark master URL (default: the one spark-submit configured, else local[*])."


def _spark_conf(_ctx: Any, _param: Any, pairs: tuple[str, ...]) -> dict[str, str]:
    """``--conf key=value`` pairs as spark-submit takes them."""
    conf = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or not key.strip():
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE (e.g. spark.driver.memory=8g)")
        conf[key.strip()] = value.strip()
    return conf


def _session_options(f: Any) -> Any:
    f = click.option(
        "--conf", "conf", multiple=True, callback=_spark_conf, metavar="KEY=VALUE",
        help="Spark setting before the session starts, as spark-submit's --conf; in local "
        "mode give big corpora memory: --conf spark.driver.memory=8g.",
    )(f)
    return click.option("--master", help=_MASTER_HELP)(f)


@main.group(cls=JdsearchGroup)
def spark() -> None:
    """The pipeline on Apache Spark, for corpora one machine cannot handle (needs
    pip install 'jdsearch[spark]' and Java 17+). Results are Parquet tables in one folder;
    `jdsearch load` brings them into a local index.

    \b
    Examples:
      jdsearch spark ingest corpus/ --out spark-out
      jdsearch spark dupes spark-out
      jdsearch spark themes spark-out
    """


@spark.command("ingest")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--out", required=True, help="Folder or URI (s3a://…, hdfs://…) for the tables.")
@click.option("--text-column", help="Column holding the JD text in table files and Parquet.")
@click.option("--partitions", type=click.IntRange(1), help="Parsing partitions (default 2x cores).")
@_session_options
def spark_ingest(
    inputs: tuple[str, ...], out: str, text_column: str | None, partitions: int | None,
    master: str | None, conf: dict[str, str],
) -> None:
    """Parse files, folders, Spark-readable URIs or Parquet postings into the clause table.

    \b
    Examples:
      jdsearch spark ingest corpus/ --out spark-out
    """
    from jdsearch import spark as sp

    with sp.errors():
        session = sp.session(master, conf=conf)
        counts = sp.ingest(session, list(inputs), out, text_column=text_column,
                           partitions=partitions)
    say(sp.summary(counts))


@spark.command("dupes")
@click.argument("out")
@click.option("--threshold", type=click.FloatRange(0, 100), default=85.0, show_default=True)
@_session_options
def spark_dupes(out: str, threshold: float, master: str | None, conf: dict[str, str]) -> None:
    """Duplicate groups of a Spark clause table (written as OUT/groups, `dupes --json` shape).

    \b
    Examples:
      jdsearch spark dupes spark-out
    """
    from jdsearch import spark as sp

    with sp.errors():
        sp.require_tables(out)
        say(sp.summary(sp.dupes(sp.session(master, conf=conf), out, threshold=threshold)))


@spark.command("themes")
@click.argument("out")
@click.option("--k", type=click.IntRange(2, 5000), help="Number of themes per kind.")
@click.option("--sample-docs", type=click.IntRange(100), default=50_000, show_default=True,
              help="Documents the theme model is fitted on; the rest are assigned in parallel.")
@_session_options
def spark_themes(
    out: str, k: int | None, sample_docs: int, master: str | None, conf: dict[str, str]
) -> None:
    """Themes of a Spark clause table, and the taxonomy as OUT/taxonomy.{json,csv,ttl}.

    \b
    Examples:
      jdsearch spark themes spark-out
    """
    from jdsearch import spark as sp

    with sp.errors():
        sp.require_tables(out)
        session = sp.session(master, conf=conf)
        say(sp.summary(sp.themes(session, out, k=k, sample_docs=sample_docs)))


@main.command()
@click.argument("out")
@_index_option
@_session_options
def load(out: str, index_dir: Path, master: str | None, conf: dict[str, str]) -> None:
    """Load results of `jdsearch spark` into a local index (search, web app, exports).

    \b
    Examples:
      jdsearch load spark-out --index spark-index
    """
    from jdsearch import spark as sp

    with sp.errors():
        sp.require_tables(out)
        say(sp.summary(sp.load(sp.session(master, conf=conf), out, index_dir)))


if __name__ == "__main__":  # pragma: no cover
    main()
