"""``jdsearch`` command line: a thin shell over :class:`jdsearch.Corpus`.

Contract relied on by scripts: exit 0 on success, 1 on a user error with a one-line message on
stderr (never a traceback); ``--json`` prints one JSON document on stdout.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from jdsearch.corpus import Corpus
from jdsearch.dupes import CROSS_LINGUAL_THRESHOLD
from jdsearch.ingest import ProgressFn
from jdsearch.normalize import LANGS
from jdsearch.readers import DEFAULT_BUDGET
from jdsearch.segment import KINDS
from jdsearch.serialize import clause_json, group_json, hit_json, member_json, theme_json
from jdsearch.store import JdsearchError

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)

INDEX_HELP = "Index directory (default: $JDSEARCH_INDEX or ./index)."


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


def _emit_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@contextmanager
def _progress(enabled: bool) -> Iterator[ProgressFn | None]:
    """A progress bar on stderr for long work, only when stderr is a terminal."""
    if not enabled or not err.is_terminal:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("ingesting", total=None)

        def update(done: int, total: int, source: str) -> None:
            bar.update(
                task, completed=done, total=total, description=escape(Path(source).name[:40])
            )

        yield update


class JdsearchGroup(click.Group):
    """Maps user errors (ours and click's usage errors) to one line + exit code 1."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
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
            _fail("interrupted; the index is unchanged")
        sys.exit(rv if isinstance(rv, int) else 0)


def _fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    sys.exit(1)


@click.group(cls=JdsearchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="jdsearch")
def main() -> None:
    """Search, de-duplicate and organise job-description (JD) duties in simplified Chinese,
    traditional Chinese and English.

    Typical use: `jdsearch ingest corpus/` then `jdsearch clauses --kind duty`.
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
    "--max-file-mb",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_BUDGET.max_file_mb,
    show_default=True,
    help="Skip files bigger than this.",
)
@click.option(
    "--max-doc-chars",
    type=click.IntRange(min=1),
    default=DEFAULT_BUDGET.max_doc_chars,
    show_default=True,
    help="Skip a posting (a file, or a table row) with more characters of text.",
)
@click.option(
    "--max-seconds",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_BUDGET.max_seconds,
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
    max_file_mb: float,
    max_doc_chars: int,
    max_seconds: float,
    follow_links: bool,
    as_json: bool,
) -> None:
    """Read JD files (txt, md, html, docx, pdf, csv, tsv, jsonl; folders recursively) into
    clean, typed duty clauses stored in the index.

    Unchanged files are not re-parsed; changed files replace their clauses; unreadable files are
    skipped with a warning naming them.
    """
    extra = _read_patterns(boilerplate_file) if boilerplate_file else []
    with _progress(not as_json) as progress:
        budget = replace(
            DEFAULT_BUDGET,
            max_file_mb=max_file_mb,
            max_doc_chars=max_doc_chars,
            max_seconds=max_seconds,
        )
        report = Corpus(index_dir).ingest(
            paths,
            text_column=text_column,
            boilerplate=extra,
            progress=progress,
            budget=budget,
            follow_links=follow_links,
        )
    for source, reason in report.skipped:  # names are data, not Rich markup
        warning = f"[yellow]warning:[/] skipped {escape(source)}: {escape(reason)}"
        err.print(warning, markup=True, soft_wrap=True)
    if as_json:
        _emit_json(report.to_json())
        return
    t = report.totals
    out.print(
        f"files: {report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.removed} removed, {len(report.skipped)} skipped"
    )
    out.print(
        f"index {index_dir}: {t['documents']} documents, {t['sections']} sections, "
        f"{t['clauses']} clauses"
    )
    out.print("  by kind: " + ", ".join(f"{k} {v}" for k, v in t["by_kind"].items()))  # type: ignore[union-attr]
    out.print("  by lang: " + ", ".join(f"{k} {v}" for k, v in t["by_lang"].items()))  # type: ignore[union-attr]


def _read_patterns(path: Path) -> list[str]:
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
    """List the clauses in the index, in document order."""
    rows = Corpus(index_dir).clauses(kind=kind, lang=lang)
    if as_json:
        _emit_json([clause_json(c) for c in rows])
        return
    table = Table(show_lines=False, expand=False)
    for col in ("clause_id", "source", "section", "#", "kind", "lang", "text"):
        table.add_column(col, overflow="fold", no_wrap=col in ("clause_id", "#", "kind", "lang"))
    for c in rows:
        table.add_row(
            c.clause_id,
            Path(c.source).name,
            c.section[:30],
            str(c.position),
            c.kind,
            c.lang,
            c.text,
        )
    out.print(table)
    out.print(f"{len(rows)} clauses")


@main.command()
@_index_option
def reindex(index_dir: Path) -> None:
    """Rebuild the search index from the clause table (after changing the analyser, say)."""
    n = Corpus(index_dir).reindex()
    out.print(f"indexed {n} clauses in {index_dir}")


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
      "客户 档案"          a phrase
      -培训                exclude a word
      lang:zh-Hant kind:duty section:城市經理 doc:ID theme:ID   filters
    Traditional and simplified Chinese match each other (客戶檔案 finds 客户档案); English is
    stemmed and tolerates typos.
    """
    result = Corpus(index_dir).search(
        query, limit=limit, offset=offset, lang=lang, kind=kind, collapse=collapse
    )
    if as_json:
        _emit_json([hit_json(h) for h in result.hits])
        return
    table = Table(show_lines=False)
    for col in ("#", "score", "lang", "kind", "source", "text"):
        table.add_column(col, overflow="fold", no_wrap=col != "text")
    for i, h in enumerate(result.hits, offset + 1):
        text = _marked(h.text, h.spans)
        if collapse and h.variants > 1:
            text.append(f"  (+{h.variants - 1} variants in {h.documents} documents)", style="dim")
        table.add_row(str(i), f"{h.score:.2f}", h.lang, h.kind, Path(h.source).name, text)
    out.print(table)
    note = " (no clause had every word: showing clauses with any)" if result.mode == "any" else ""
    out.print(f"{result.total} matching clauses{note}")


def _marked(text: str, spans: list[tuple[int, int]]) -> Text:
    t = Text(text)
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
    default=True,
    show_default=True,
    help="Also match English and Chinese translations of a duty.",
)
@click.option(
    "--cross-lingual-threshold",
    type=click.FloatRange(1, 100),
    default=CROSS_LINGUAL_THRESHOLD,
    show_default=True,
    help="Minimum concept-bag similarity (0-100) for an English and a Chinese clause to be "
    "translations; chosen on labelled pairs of the sample corpus (lower finds more, falsely too).",
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

    Relations: exact, near, cross-script (traditional/simplified), cross-lingual (English/Chinese).
    Each group has a canonical member (the most central, most complete wording). --of takes a
    clause id (16 hex digits; an unknown one is an error) or any other text to paste.
    """
    corpus = Corpus(index_dir)
    if of is not None:
        _dupes_of(corpus, of, threshold, cross_lingual, cross_lingual_threshold, as_json)
        return
    groups = corpus.dupes(
        threshold=threshold,
        cross_lingual=cross_lingual,
        cross_lingual_threshold=cross_lingual_threshold,
    )
    by_id = {c.clause_id: c for c in corpus.clauses()}
    data = [group_json(g, by_id) for g in groups]
    if as_json:
        _emit_json(data)
        return
    for g in data:
        canon = by_id[g["canonical_id"]]
        out.print(
            f"[bold]{g['group_id']}[/] {len(g['members'])} clauses — {canon.text}",
            markup=True,
            soft_wrap=True,
        )
        for m in g["members"][1:]:
            out.print(
                f"   {m['relation']:<13} {m['similarity']:5.1f}  {m['lang']:<7} "
                f"{Path(m['source']).name}  {m['text']}",
                markup=False,
                soft_wrap=True,
            )
    out.print(f"{len(data)} groups, {sum(len(g['members']) for g in data)} clauses")


def _dupes_of(
    corpus: Corpus,
    of: str,
    threshold: float,
    cross_lingual: bool,
    cross_lingual_threshold: float,
    as_json: bool,
) -> None:
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
    out.print(f"near-duplicates of: {clause.text if clause else of}", markup=False, soft_wrap=True)
    for r in rows:
        out.print(
            f"   {r['relation']:<13} {r['similarity']:5.1f}  {r['lang']:<7} "
            f"{Path(str(r['source'])).name}  {r['text']}",
            markup=False,
            soft_wrap=True,
        )
    out.print(f"{len(rows)} matches")


@main.command()
@_index_option
@click.option(
    "--k",
    type=click.IntRange(2, 5000),
    help="Number of themes per kind (default: chosen by silhouette).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array of themes.")
def themes(index_dir: Path, k: int | None, as_json: bool) -> None:
    """Themes of responsibility: duties and requirements clustered apart, English and Chinese
    clauses of the same duty together; each with labels, top terms and a canonical clause."""
    corpus = Corpus(index_dir)
    found = corpus.themes(k=k)
    if as_json:
        _emit_json([theme_json(t) for t in found])
        return
    areas = {a.area_id: a for a in corpus.areas()}
    table = Table(show_lines=False)
    for col in ("theme", "area", "size", "langs", "label", "top terms", "canonical duty"):
        table.add_column(col, overflow="fold", no_wrap=col in ("theme", "size"))
    for t in found:
        a = areas.get(t.area_id)
        table.add_row(
            t.theme_id,
            f"{t.area_id} {a.label_en if a else ''}",
            str(t.size),
            " ".join(f"{k}:{v}" for k, v in t.langs.items()),
            f"{t.label_en}\n{t.label_zh}",
            ", ".join(t.terms[:6]),
            t.canonical_text,
        )
    out.print(table)
    out.print(f"{len(found)} themes in {len(areas)} areas")


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
def export(index_dir: Path, fmt: str, output: Path | None, k: int | None) -> None:
    """Export the duty taxonomy (areas -> themes -> canonical duties -> variants).

    Everything is UTF-8. A csv written with -o starts with a byte-order mark, so Excel opens the
    Chinese text correctly; on standard output it stays plain UTF-8 for pipes and scripts.
    """
    text = Corpus(index_dir).export(fmt, k=k)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, "utf-8-sig" if fmt == "csv" else "utf-8")
    except OSError as exc:
        raise JdsearchError(f"cannot write {output}: {exc.strerror}") from None
    err.print(f"wrote {output}")


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
    """Serve the web app and HTTP API (search, duplicate viewer, theme map, downloads)."""
    from jdsearch.web.app import serve as run_server

    Corpus(index_dir).stats()  # a clear error now rather than a broken page later
    run_server(str(index_dir), host=host, port=port)


if __name__ == "__main__":  # pragma: no cover
    main()
