"""The same pipeline on Apache Spark, for corpora that outgrow one machine (``jdsearch spark``).

Nothing here re-implements a stage: executors run jdsearch's own code.

- ``ingest``: files are read and segmented by :class:`jdsearch.ingest.Parser` inside
  ``mapPartitions`` (one parser per partition); table rows are spread over the partitions
  first, so one big JSON-lines export is parsed by every core. Clause ids, texts and kinds are
  those of a local ingest of the same paths. Parquet postings are read by Spark itself.
- ``dupes``: statements (:func:`jdsearch.dupes.statement_of`) and MinHash signatures
  (:func:`jdsearch.dupes.minhash_signatures`) per partition; LSH buckets of
  :func:`jdsearch.dupes.band_keys` formed in Spark SQL (buckets of one template dropped
  there), each bucket's pairs verified in its own task with the local rapidfuzz rule (a pair
  once per scheme, in the first band the two share); connected components by alternating
  large-star / small-star rounds. Every local step is pair-local, so the components are then
  grouped by :class:`jdsearch.dupes.DuplicateFinder` itself (canonical choice and the chaining
  guard), giving the local groups.
- ``themes``: :func:`jdsearch.themes.build_themes` on the driver over a sample of documents
  (all of them when they fit), then every other clause assigned in parallel to the nearest
  theme centroid in the sample's TF-IDF space. Why not Spark ML k-means: the local stage
  chooses k by silhouette and labels themes by class TF-IDF over the shared analyser's tokens;
  fitting on a sample keeps those rules (and their quality) unchanged, and the costly part at
  scale, tokenising and assigning every clause, is what runs on the cluster.
- ``load``: the Parquet results into a local index (clause table, search index, groups, themes).

Only ``jdsearch spark …`` and ``jdsearch load`` import this module; the core never imports
pyspark.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from jdsearch.store import CLAUSE_COLUMNS, DOC_FIELDS, Clause, Document, JdsearchError

CLAUSES, DOCUMENTS, TOKENS, FILES, SKIPS = "clauses", "documents", "tokens", "files", "skips"
GROUPS, EDGES, THEMES, ASSIGNMENT = "groups", "dupe_edges", "themes.json", "theme_assignment"
SAMPLE = "theme_sample"  # doc_id of every document the theme model was fitted on
SAMPLE_DOCS = 50_000  # documents the theme model is fitted on (all when there are fewer)
_MAX_CC_ROUNDS = 100


# --------------------------------------------------------------------------- session
JAVA_HINT = "needs a Java 17+ runtime (e.g. apt-get install openjdk-17-jre-headless)"
PYSPARK_HINT = "needs pyspark: pip install 'jdsearch[spark]'"


def java_problem() -> str | None:
    """Why Spark cannot start a JVM here (no java, JAVA_HOME pointing nowhere, Java < 17), or
    None. Checked before Spark is asked, which would otherwise print its launcher's shell
    errors and a Py4J traceback."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home, "bin", "java")) if home else shutil.which("java")
    if not java or not os.access(java, os.X_OK):
        where = f"JAVA_HOME={home} has no bin/java" if home else "no java on PATH"
        return f"jdsearch spark {JAVA_HINT}: {where}"
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"jdsearch spark {JAVA_HINT}: {java} does not run ({exc})"
    found = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not found:
        return f"jdsearch spark {JAVA_HINT}: {java} -version says no version"
    major = int(found.group(1)) if found.group(1) != "1" else int(found.group(2) or 0)
    return None if major >= 17 else f"jdsearch spark {JAVA_HINT}: {java} is Java {major}"


def session(
    master: str | None = None, app: str = "jdsearch", conf: dict[str, str] | None = None
) -> Any:
    """A Spark session: the one spark-submit configured, else ``master`` (default local[*]),
    with ``conf`` set before the JVM starts (e.g. ``spark.driver.memory``: in local mode the
    executors live in the driver's JVM, 1 GiB by default). A missing pyspark or Java is a
    one-line error with the install hint."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise JdsearchError(f"jdsearch spark {PYSPARK_HINT}") from None
    active = SparkSession.getActiveSession()
    if active is not None:  # in-process callers (tests, notebooks) share one session
        return active
    submitted = os.environ.get("PYSPARK_GATEWAY_PORT") or os.environ.get("SPARK_ENV_LOADED")
    problem = None if submitted else java_problem()
    if problem:
        raise JdsearchError(problem)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app)
    if master or not submitted:  # under spark-submit, the master it was given
        builder = builder.master(master or "local[*]")
    builder = builder.config("spark.sql.shuffle.partitions", "16").config(
        "spark.ui.showConsoleProgress", "false"
    )
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


@contextlib.contextmanager
def errors() -> Iterator[None]:
    """Spark's errors (a missing path, a failed job) as one-line user errors."""
    try:
        yield
    except JdsearchError:
        raise
    except Exception as exc:
        if type(exc).__module__.split(".")[0] not in ("pyspark", "py4j"):
            raise
        lines = [ln for ln in str(exc).strip().splitlines() if ln.strip()]
        raise JdsearchError(f"spark: {lines[0][:300] if lines else type(exc).__name__}") from None


def require_tables(out: str, what: str = CLAUSES) -> None:
    """A clear error before Spark starts when a local results folder lacks a table."""
    if not _remote(out) and not Path(_local(out), what).is_dir():
        raise JdsearchError(
            f"no Spark {what} table in {out} (run: jdsearch spark ingest INPUT... --out {out})"
        )


def _local(uri: str) -> str:
    """A Spark file URI as the local path a local ingest keys the file by."""
    return uri[len("file:") :] if uri.startswith("file:") else uri


def _remote(path: str) -> bool:
    return "://" in path and not path.startswith("file://")


# --------------------------------------------------------------------------- ingest
def _jobs(inputs: Sequence[str]) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """Local files to read (the walk a local ingest does: same keys, same sources) and skips."""
    from jdsearch.ingest import entries_of
    from jdsearch.readers import SUPPORTED_SUFFIXES

    jobs, skips = [], []
    for entry in entries_of([p for p in inputs if not _remote(p) and not _parquet(p)]):
        if entry.path is None:
            skips.append((entry.shown, entry.reason or "unreadable"))
        elif entry.path.suffix.lower() not in SUPPORTED_SUFFIXES:
            skips.append((entry.shown, f"unsupported extension {entry.path.suffix or '(none)'}"))
        else:
            jobs.append(
                {"path": str(entry.path), "source": entry.source, "key": str(entry.path),
                 "root": entry.root}
            )
    return jobs, skips


def _parquet(path: str) -> bool:
    return path.rstrip("/").lower().endswith(".parquet")


def _read_partition(jobs: Iterable[dict[str, Any]], text_column: str | None) -> Iterator[tuple]:
    """("raw", source, key, RawDocument) per document of each file, ("file", row) and
    ("skip", source, reason) rows: files read with the local reader, one parser per partition."""
    from jdsearch.ingest import Parser, _guard, _sha256
    from jdsearch.readers import ReadResult

    parser = Parser(text_column=text_column)
    for job in jobs:
        path = Path(job["path"])
        result = _guard(lambda p=path: parser.read(p))  # type: ignore[misc]
        if not isinstance(result, ReadResult):
            yield ("skip", job["shown"] if "shown" in job else job["source"], str(result))
            continue
        st = path.stat()
        enc = result.documents[0].encoding if result.documents else None
        sha = _sha256(path) if not job.get("tmp") else hashlib.sha256(path.read_bytes()).hexdigest()
        stat = (st.st_size, st.st_mtime_ns, sha, enc)
        yield ("file", (job["key"], job["source"], job["root"], *stat))
        for row, reason in result.skipped:
            yield ("skip", f"{job['source']}#{row}", reason)
        for raw in result.documents:
            yield ("raw", job["source"], job["key"], raw)
        if job.get("tmp"):
            path.unlink(missing_ok=True)


def _remote_partition(rows: Iterable[Any], text_column: str | None) -> Iterator[tuple]:
    """Files Spark fetched (any Spark-readable location) through a temporary local copy."""
    for r in rows:
        uri = r["path"]
        fd, tmp = tempfile.mkstemp(suffix=Path(uri).suffix.lower())
        with os.fdopen(fd, "wb") as fh:
            fh.write(bytes(r["content"]))
        job = {"path": tmp, "source": uri, "key": uri, "root": str(Path(uri).parent), "tmp": 1}
        yield from _read_partition([job], text_column)


def _parquet_row(row: Any, text_column: str | None) -> tuple:
    """A Parquet posting as the RawDocument a table row of a local file becomes."""
    from jdsearch.readers import RawDocument, _cell_text, _text_column

    record = row.asDict(recursive=True)
    uri, index = record.pop("_jds_file"), record.pop("_jds_row")
    column = _text_column(list(record), text_column)
    body = _cell_text(record.get(column))
    metadata = {k: _cell_text(v) for k, v in record.items() if k != column}
    key = _local(uri)
    return ("raw", key, key, RawDocument(body, None, row=int(index), metadata=metadata))


def _parse_partition(items: Iterable[tuple]) -> Iterator[tuple]:
    """Segment and tokenise documents with one Parser and analyser per partition."""
    from jdsearch.analysis import default_analyzer
    from jdsearch.index import token_row
    from jdsearch.ingest import Parser, _failure
    from jdsearch.readers import UnreadableFile

    parser, an = Parser(), default_analyzer()
    seen: set[str] = set()
    for _, source, key, raw in items:
        if not raw.text.strip():
            continue
        try:
            parsed = parser.parse_documents([raw], source, key)
        except UnreadableFile as exc:
            name = source if raw.row is None else f"{source}#{raw.row}"
            yield ("skip", name, str(exc) or "unreadable")
            continue
        except Exception as exc:  # one posting's failure must not cost the others
            yield ("skip", f"{source}#{raw.row}", _failure("cannot segment", exc))
            continue
        for name, reason in parsed.skipped:
            yield ("skip", name, reason)
        for doc in parsed.documents:
            yield ("doc", _doc_row(doc))
            fields = tuple(doc.field(f) for f in DOC_FIELDS)
            for c in (c for c in parsed.clauses if c.doc_id == doc.doc_id):
                yield ("clause", (*(getattr(c, k) for k in CLAUSE_COLUMNS), *fields, key))
                if c.norm not in seen:
                    seen.add(c.norm)
                    yield ("token", token_row(an, c.norm))


def _doc_row(d: Document) -> tuple:
    return (
        d.doc_id, d.path, d.source, d.row, d.encoding, d.lang,
        json.dumps(list(d.sections), ensure_ascii=False),
        json.dumps(d.metadata, ensure_ascii=False),
    )


def _schemas() -> dict[str, Any]:
    from pyspark.sql.types import (
        BooleanType,
        IntegerType,
        LongType,
        StringType,
        StructField,
        StructType,
    )

    def struct(*cols: tuple[str, Any]) -> StructType:
        return StructType([StructField(n, t, True) for n, t in cols])

    types = {"position": IntegerType(), "start": IntegerType(), "end": IntegerType(),
             "fragment": BooleanType()}
    s = StringType()
    return {
        CLAUSES: struct(
            *((k, types.get(k, s)) for k in CLAUSE_COLUMNS), *((f, s) for f in DOC_FIELDS),
            ("path", s),
        ),
        DOCUMENTS: struct(("doc_id", s), ("path", s), ("source", s), ("row", LongType()),
                          ("encoding", s), ("lang", s), ("sections", s), ("metadata", s)),
        TOKENS: struct(("norm", s), ("body", s), ("grams", s), ("enwords", s)),
        FILES: struct(("path", s), ("source", s), ("root", s), ("size", LongType()),
                      ("mtime_ns", LongType()), ("sha256", s), ("encoding", s)),
        SKIPS: struct(("source", s), ("reason", s)),
    }


def ingest(
    spark: Any,
    inputs: Sequence[str],
    out: str,
    *,
    text_column: str | None = None,
    partitions: int | None = None,
) -> dict[str, int]:
    """Parse ``inputs`` (local files/folders, Spark-readable URIs, Parquet postings) into
    Parquet tables under ``out``: clauses, documents, tokens, files, skips."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    sc = spark.sparkContext
    parts = partitions or max(2, sc.defaultParallelism * 2)
    local = [p for p in inputs if not _remote(p)]
    if local and not any(os.path.lexists(p) for p in local):
        raise JdsearchError(f"nothing to ingest: no such file or directory: {', '.join(local)}")
    jobs, skips = _jobs(inputs)
    read = sc.parallelize(jobs, max(1, len(jobs))).mapPartitions(
        lambda it: _read_partition(it, text_column)
    )
    for uri in (p for p in inputs if _remote(p) and not _parquet(p)):
        files = (
            spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(uri)
            .select("path", "content").rdd
        )
        read = read.union(files.mapPartitions(lambda it: _remote_partition(it, text_column)))
    parquet = [p for p in inputs if _parquet(p)]
    if parquet:
        df = spark.read.parquet(*map(_abs, parquet)).select(
            "*", F.col("_metadata.file_path").alias("_jds_file"),
            F.col("_metadata.row_index").alias("_jds_row"),
        )
        read = read.union(df.rdd.map(lambda r: _parquet_row(r, text_column)))
    read = read.persist(StorageLevel.MEMORY_AND_DISK)
    raws = read.filter(lambda t: t[0] == "raw").repartition(parts)
    parsed = raws.mapPartitions(_parse_partition).persist(StorageLevel.MEMORY_AND_DISK)
    schemas = _schemas()
    tables = {
        CLAUSES: parsed.filter(lambda t: t[0] == "clause").map(lambda t: t[1]),
        DOCUMENTS: parsed.filter(lambda t: t[0] == "doc").map(lambda t: t[1]),
        TOKENS: parsed.filter(lambda t: t[0] == "token").map(lambda t: t[1]).distinct(),
        FILES: read.filter(lambda t: t[0] == "file").map(lambda t: t[1]),
        SKIPS: read.union(parsed).filter(lambda t: t[0] == "skip").map(lambda t: t[1:])
        .union(sc.parallelize(skips, 1)),
    }
    counts = {}
    for name, rdd in tables.items():
        df = spark.createDataFrame(rdd, schemas[name])
        df.write.mode("overwrite").parquet(_join(out, name))
        counts[name] = spark.read.parquet(_join(out, name)).count()
    parsed.unpersist()
    read.unpersist()
    return counts


def _join(base: str, name: str) -> str:
    return _abs(base).rstrip("/") + "/" + name


def _abs(path: str) -> str:
    """A local path made absolute: Spark resolves relative ones against the JVM's working
    folder, which is not the caller's once it has changed folder (and means nothing on a
    cluster)."""
    return path if "://" in path or path.startswith("file:") else str(Path(path).absolute())


# --------------------------------------------------------------------------- dupes
def _clause_of(row: Any) -> Clause:
    return Clause(**{k: row[k] for k in CLAUSE_COLUMNS})


def _template_id(template: str, english: bool) -> int:
    """A 63-bit id of a (template, language) pair: the nodes of the candidate graph."""
    digest = hashlib.sha1(f"{int(english)}\x1f{template}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def _templates(rows: Iterable[Any]) -> Iterator[tuple[str, int, str, bool]]:
    """(clause_id, template id, template, english) of each clause: the local statements."""
    from jdsearch.dupes import statement_of
    from jdsearch.normalize import EN, normalize

    cache: dict[tuple[str, bool], str] = {}
    for r in rows:
        english = r["lang"] == EN
        norm = r["norm"] or normalize(r["text"])
        tpl = cache.get((norm, english))
        if tpl is None:
            tpl = cache[(norm, english)] = statement_of(norm, english).template
        yield r["clause_id"], _template_id(tpl, english), tpl, english


def _signature_rows(rows: Iterable[tuple[int, str, bool]], finder: Any) -> Iterator[tuple]:
    """(template id, template, english, band keys, short band keys) of each template:
    the same MinHash signatures and band keys as the local LSH (a signature depends on its
    text alone, so a partition computes its own), the 2-gram scheme's keys only for short
    templates (else None). One row per template: Spark explodes the bands itself, so no
    Python row per band crosses into the JVM."""
    import numpy as np

    from jdsearch.dupes import SHORT, band_keys, minhash_signatures

    items = list(rows)
    if not items:
        return
    templates = [t for _, t, _ in items]
    keys: list[list[list[int] | None]] = [[None, None] for _ in items]
    schemes = [(list(range(len(items))), finder.ngram)]
    schemes.append(([i for i, t in enumerate(templates) if len(t) < SHORT + 4], 2))
    for scheme, (idx, n) in enumerate(schemes):
        if not idx:
            continue
        sig = minhash_signatures([templates[i] for i in idx], finder.num_perm, n,
                                 finder.random_state)
        # uint64 keys as Spark longs: the same bits, so equal keys stay equal
        cols = np.stack(band_keys(sig, finder.bands), axis=1).view(np.int64).tolist()
        for i, row in zip(idx, cols, strict=True):
            keys[i][scheme] = row
    for (tid, tpl, english), (k0, k1) in zip(items, keys, strict=True):
        yield tid, tpl, english, k0, k1


def _buckets(signatures: Any) -> Any:
    """DataFrame(scheme, band, key, members): every LSH bucket holding two or more templates,
    with each member's (tid, template, english, band keys of the bucket's scheme). Exploding
    the bands, counting buckets and dropping the singletons (most of them) run in Spark SQL;
    a template's text then travels once per shared bucket (not once per candidate pair: big
    buckets make pairs grow with the square of their size)."""
    from pyspark.sql import functions as F

    exploded = [
        signatures.where(F.col(col).isNotNull()).select(
            "tid", F.lit(scheme).alias("scheme"), F.posexplode(col).alias("band", "key")
        )
        for scheme, col in enumerate(("k0", "k1"))
    ]
    bucket = ["scheme", "band", "key"]
    rows = exploded[0].unionByName(exploded[1])
    shared = rows.groupBy(*bucket).count().where("count > 1").select(*bucket)
    rows = rows.join(shared, bucket, "left_semi").join(
        signatures.select("tid", "template", "english", "k0", "k1"), "tid"
    )
    keys = F.when(F.col("scheme") == 0, F.col("k0")).otherwise(F.col("k1"))
    member = F.struct("tid", "template", "english", keys.alias("keys")).alias("m")
    return rows.select(*bucket, member).groupBy(*bucket).agg(F.collect_list("m").alias("members"))


def _bucket_pairs(band: int, members: Iterable[Any]) -> Iterator[tuple[int, int, str, str, bool]]:
    """Template pairs (a < b, texts, english) of one bucket that the local LSH would score:
    one language, lengths within a factor two, and this bucket's band the first band the two
    share (so each pair is verified once per scheme; numpy per row: a bucket can hold
    thousands)."""
    import numpy as np

    ms = sorted({m[0]: m for m in members}.values(), key=lambda m: m[0])
    if len(ms) < 2:
        return
    tid = np.array([m[0] for m in ms], dtype=np.int64)
    ln = np.array([len(m[1]) for m in ms], dtype=np.int64)
    en = np.array([bool(m[2]) for m in ms], dtype=bool)
    keys = np.array([m[3] for m in ms], dtype=np.int64)
    for i in range(len(ms) - 1):
        rest = slice(i + 1, None)
        ok = (en[rest] == en[i]) & (np.minimum(ln[rest], ln[i]) * 2 >= np.maximum(ln[rest], ln[i]))
        ok &= np.argmax(keys[rest] == keys[i], axis=1) == band
        for j in (np.flatnonzero(ok) + i + 1).tolist():
            yield int(tid[i]), int(tid[j]), ms[i][1], ms[j][1], bool(en[i])


def _verify_partition(rows: Iterable[tuple], threshold: float) -> Iterator[tuple[int, int]]:
    """Candidate pairs (a, b, template a, template b, english) that pass the local rapidfuzz
    rule; as locally, a C ratio of at least threshold - 15 is checked first (necessary for the
    Chinese rule to pass) so that big buckets cost seconds."""
    import numpy as np
    from rapidfuzz import fuzz, process

    from jdsearch.dupes import required_score, text_similarity

    batch = list(rows)
    for start in range(0, len(batch), 200_000):
        part = batch[start : start + 200_000]
        quick = process.cpdist([r[2] for r in part], [r[3] for r in part], scorer=fuzz.ratio,
                               dtype=np.uint8, workers=1)
        for (a, b, ta, tb, english), q in zip(part, quick.tolist(), strict=True):
            if (english or q >= threshold - 15) and text_similarity(ta, tb, english) >= \
                    required_score(threshold, ta, tb):
                yield a, b


def components(spark: Any, nodes: Any, edges: Any) -> Any:
    """Connected components (node -> smallest node id in its component) by the alternating
    large-star / small-star algorithm (Kiveris et al., "Connected Components in MapReduce and
    Beyond", 2014): each round re-links every node's larger neighbours to the smallest node it
    sees, then its smaller ones; the graph contracts into stars around each component's
    smallest id in O(log^2 n) rounds (plain min-label propagation needs as many rounds as a
    component's diameter: a long chain of variants took a Spark job per link). ``nodes``:
    DataFrame(id); ``edges``: DataFrame(a, b); each round is checkpointed (a round must not
    recompute the Python stage that produced the edges)."""
    from pyspark.sql import functions as F

    def neighbours(e: Any) -> Any:
        return e.union(e.select(F.col("b").alias("a"), F.col("a").alias("b")))

    def relink(e: Any, larger: bool) -> Any:
        both = neighbours(e)
        if not larger:  # small-star: a node and its smaller neighbours, to the smallest
            both = both.where(F.col("b") < F.col("a"))
        low = both.groupBy("a").agg(F.least(F.min("b"), F.col("a")).alias("m"))
        side = both.where(F.col("b") > F.col("a")) if larger else both
        out = side.join(low, "a").select(F.col("b").alias("a"), F.col("m").alias("b"))
        if not larger:  # the node itself joins its smallest neighbour too
            out = out.union(low.select("a", F.col("m").alias("b")))
        return out.where(F.col("a") != F.col("b")).distinct()

    e = edges.select("a", "b").where(F.col("a") != F.col("b")).distinct().localCheckpoint()
    for _ in range(_MAX_CC_ROUNDS):
        new = relink(relink(e, larger=True), larger=False).localCheckpoint()
        same = new.exceptAll(e).limit(1).count() == 0 and e.exceptAll(new).limit(1).count() == 0
        e = new
        if same:
            break
    else:
        raise JdsearchError("connected components did not converge")
    star = neighbours(e).groupBy("a").agg(F.least(F.min("b"), F.col("a")).alias("label"))
    return (
        nodes.select("id")
        .join(star, nodes.id == star.a, "left")
        .select("id", F.coalesce("label", "id").alias("label"))
    )


def _group_components(rows: Iterable[Any], finder_args: dict[str, Any]) -> Iterator[str]:
    """The groups of the whole components in one partition, by the local DuplicateFinder, as
    ``dupes --json`` objects with the finder's verified edges. One fit per partition, not per
    component (thousands of tiny fits cost more than the work): every step of the finder is
    pair-local, and a pair across two components would have joined them, so a fit on a union
    of components gives each component's groups — what a whole-corpus run gives."""
    from jdsearch.dupes import DuplicateFinder
    from jdsearch.serialize import group_json

    clauses = [_clause_of(r) for r in rows]
    if not clauses:
        return
    finder = DuplicateFinder(**finder_args).fit(clauses)
    by_id = {c.clause_id: c for c in clauses}
    for g in finder.groups_:
        yield json.dumps({"g": group_json(g, by_id)}, ensure_ascii=False)
    for e in finder.edges_:
        yield json.dumps({"e": list(e)})


def dupes(spark: Any, out: str, *, threshold: float = 85.0) -> dict[str, int]:
    """Duplicate groups of the clause table under ``out`` (written as ``groups`` Parquet, one
    row per group in the ``dupes --json`` shape, and ``dupe_edges``)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    from jdsearch.dupes import DuplicateFinder

    finder = DuplicateFinder(threshold)
    clauses = spark.read.parquet(_join(out, CLAUSES))
    tpl_schema = StructType([StructField("clause_id", StringType()), StructField("tid", LongType()),
                             StructField("template", StringType()),
                             StructField("english", StringType())])
    of_clause = spark.createDataFrame(
        clauses.select("clause_id", "lang", "norm", "text").rdd.mapPartitions(_templates)
        .map(lambda t: (t[0], t[1], t[2], "1" if t[3] else "")),
        tpl_schema,
    ).persist()
    sig_schema = "tid long, template string, english boolean, k0 array<long>, k1 array<long>"
    signatures = spark.createDataFrame(
        of_clause.select("tid", "template", "english").distinct().rdd.map(
            lambda r: (r["tid"], r["template"], bool(r["english"]))
        ).mapPartitions(lambda it: _signature_rows(it, finder)),
        sig_schema,
    ).persist()
    pairs = _buckets(signatures).rdd.mapPartitions(
        lambda it: _verify_partition(
            (p for r in it for p in _bucket_pairs(r["band"], r["members"])), threshold
        )
    ).distinct()  # a short template's pair can meet in both schemes
    edges = spark.createDataFrame(pairs, "a long, b long")
    nodes = of_clause.select(F.col("tid").alias("id")).distinct()
    labels = components(spark, nodes, edges)
    comp = of_clause.join(labels, of_clause.tid == labels.id).select("clause_id", "label")
    sizes = comp.groupBy("label").count().filter("count > 1")
    grouped = clauses.join(comp, "clause_id").join(sizes.select("label"), "label")
    args = {"threshold": threshold}
    results = grouped.repartition("label").rdd.mapPartitions(
        lambda rows: _group_components(rows, args)
    ).persist()
    groups = results.filter(lambda s: s.startswith('{"g"')).map(
        lambda s: json.dumps(json.loads(s)["g"], ensure_ascii=False)
    )
    edge_rows = results.filter(lambda s: s.startswith('{"e"')).map(lambda s: json.loads(s)["e"])
    spark.createDataFrame(groups.map(lambda s: (s,)), "group string").write.mode(
        "overwrite"
    ).parquet(_join(out, GROUPS))
    spark.createDataFrame(edge_rows.map(tuple), "a string, b string, score long, kind string")\
        .write.mode("overwrite").parquet(_join(out, EDGES))
    spark.createDataFrame(  # what `load` stores as the stage's parameters
        [(json.dumps({"threshold": threshold, "finder": finder.params}),)], "params string"
    ).write.mode("overwrite").parquet(_join(out, GROUPS + "_params"))
    results.unpersist()
    signatures.unpersist()
    of_clause.unpersist()
    return {"groups": spark.read.parquet(_join(out, GROUPS)).count()}


def read_groups(spark: Any, out: str) -> list[dict[str, Any]]:
    """The ``dupes --json`` group objects written by :func:`dupes`, largest first."""
    rows = [json.loads(r["group"]) for r in spark.read.parquet(_join(out, GROUPS)).collect()]
    return sorted(rows, key=lambda g: (-len(g["members"]), g["group_id"]))


# --------------------------------------------------------------------------- themes
class _TokenTable:
    """The token cache a local index keeps, over rows read from Parquet: lets the local
    feature functions (``jdsearch.stages``) run unchanged."""

    def __init__(self, rows: dict[str, tuple[str, str, str]]) -> None:
        self.rows = rows

    def missing_tokens(self, norms: Iterable[str]) -> list[str]:
        return [n for n in dict.fromkeys(norms) if n not in self.rows]

    def tokens(self, norms: Iterable[str]) -> dict[str, tuple[str, str, str]]:
        return {n: self.rows[n] for n in norms if n in self.rows}

    def put_tokens(self, rows: Iterable[tuple[str, str, str, str]]) -> None:
        self.rows.update({n: (b, g, w) for n, b, g, w in rows})

    def transaction(self) -> Any:
        return contextlib.nullcontext()


def _member_rows(groups: Sequence[dict[str, Any]]) -> list[tuple]:
    """(clause, group, canonical, similarity, relation, rank, value) rows, as stored locally."""
    return [
        (m["clause_id"], g["group_id"], g["canonical_id"], m["similarity"], m["relation"], rank,
         m["value"])
        for g in groups
        for rank, m in enumerate(g["members"])
    ]


def _coarse(table: _TokenTable, clauses: Sequence[Clause]) -> list[list[str]]:
    """The analyser's coarse terms of each clause, by the local ``stages.coarse_terms`` over the
    token rows ingest wrote (the cache a local index keeps)."""
    from jdsearch.stages import coarse_terms

    return coarse_terms(table, clauses)  # type: ignore[arg-type]


def _assign(rows: Iterable[Any], model: Any) -> Iterator[tuple[str, str]]:
    """(clause_id, theme_id) of clauses outside the sample: the nearest theme centre of their
    kind over the fit's own words (as ``jdsearch.stable`` places new clauses), unthemed when
    less similar than the fit's own pruning rule allows (``themes.MIN_SIMILARITY``)."""
    import numpy as np

    from jdsearch.themes import MIN_SIMILARITY, is_fragment, own_words

    rows = list(rows)
    if not rows:
        return
    table = _TokenTable({r["norm"]: (r["body"] or "", "", "") for r in rows})
    clauses = [c for c in (_clause_of(r) for r in rows) if not is_fragment(c)]
    docs = [own_words(t) for t in _coarse(table, clauses)]
    for kind, (vec, centroids, ids) in model.value.items():
        idx = [i for i, c in enumerate(clauses) if c.kind == kind]
        if not idx:
            continue
        sims = vec.transform([docs[i] for i in idx]) @ centroids.T
        best = np.asarray(sims.argmax(axis=1)).ravel()
        top = np.asarray(sims.max(axis=1)).ravel()
        for i, b, s in zip(idx, best.tolist(), top.tolist(), strict=True):
            if s >= MIN_SIMILARITY:
                yield clauses[i].clause_id, ids[b]


def _as_is(doc: list[str]) -> list[str]:
    """Tokens are given (a module function: the vectoriser is broadcast, so it is pickled)."""
    return doc


def _centroids(docs: list[list[str]], labels: list[str]) -> tuple[Any, Any, list[str]]:
    """A TF-IDF space fitted on the sample and each theme's L2-normalised mean vector."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize as l2

    vec = TfidfVectorizer(analyzer=_as_is, sublinear_tf=True).fit(docs)
    x = vec.transform(docs)
    ids = sorted(set(labels))
    lab = np.array(labels)
    rows = [np.asarray(x[lab == t].mean(axis=0)).ravel() for t in ids]
    return vec, l2(np.vstack(rows)), ids


def themes(
    spark: Any, out: str, *, k: int | None = None, sample_docs: int = SAMPLE_DOCS, seed: int = 0
) -> dict[str, Any]:
    """Themes of the clause table under ``out``: fitted on a sample of documents by the local
    rules, every other clause assigned in parallel; writes ``themes.json``, the assignment and
    the taxonomy exports (taxonomy.json / .csv / .ttl, built from the sample's clauses)."""
    from pyspark.sql import functions as F

    from jdsearch import taxonomy
    from jdsearch.themes import build_themes, group_map, own_words

    clauses = spark.read.parquet(_join(out, CLAUSES))
    tokens = spark.read.parquet(_join(out, TOKENS))
    groups = read_groups(spark, out) if _exists(spark, _join(out, GROUPS)) else []
    docs = clauses.select("doc_id").distinct()
    n_docs = docs.count()
    sampled = n_docs > sample_docs
    if sampled:
        # a seeded hash order: the same sample every run, exactly sample_docs documents
        keep = docs.orderBy(F.xxhash64("doc_id", F.lit(seed)), "doc_id").limit(sample_docs)
    else:
        keep = docs
    # which documents the fit saw: a user (or a test) can tell fitted from assigned clauses even
    # where a fitted document's clauses all ended unthemed; read back, so the sort and limit
    # run once
    keep.write.mode("overwrite").parquet(_join(out, SAMPLE))
    part = clauses.join(spark.read.parquet(_join(out, SAMPLE)), "doc_id") if sampled else clauses
    rows = part.join(tokens, "norm", "left").collect()
    # the local stage's order (store.clauses(), stored group rows): k-means depends on it
    sample = sorted((_clause_of(r) for r in rows), key=lambda c: (c.source, c.doc_id, c.position))
    table = _TokenTable({r["norm"]: (r["body"] or "", r["grams"] or "", r["enwords"] or "")
                         for r in rows})
    ids = {c.clause_id for c in sample}
    member_rows = sorted(
        (r for r in _member_rows(groups) if r[0] in ids and r[2] in ids), key=lambda r: (r[1], r[5])
    )
    result = build_themes(sample, group_map(member_rows), lambda cs: _coarse(table, cs), k=k)
    assignment = dict(result.assignment)
    extra = spark.sparkContext.emptyRDD()
    if sampled:
        by_id = {c.clause_id: c for c in sample}
        model = {}
        for kind in {t.kind for t in result.themes}:
            members = [(cid, tid) for cid, tid in assignment.items() if by_id[cid].kind == kind]
            if not members:  # the sample's themes of this kind kept no clause: none to join
                continue
            docs_k = [own_words(t) for t in _coarse(table, [by_id[c] for c, _ in members])]
            model[kind] = _centroids(docs_k, [t for _, t in members])
        bc = spark.sparkContext.broadcast(model)
        seen = spark.createDataFrame([(i,) for i in ids], "clause_id string")
        rest = clauses.join(F.broadcast(seen), "clause_id", "left_anti")
        rest = rest.filter(F.col("kind").isin(list(model))).join(tokens, "norm", "left")
        extra = rest.rdd.mapPartitions(lambda it: _assign(it, bc))
    # always written (empty when nothing was sampled): load reads both tables
    spark.createDataFrame(extra, "clause_id string, theme_id string").write.mode(
        "overwrite"
    ).parquet(_join(out, ASSIGNMENT) + "_rest")
    assigned = spark.read.parquet(_join(out, ASSIGNMENT) + "_rest").count()
    spark.createDataFrame(sorted(assignment.items()), "clause_id string, theme_id string")\
        .write.mode("overwrite").parquet(_join(out, ASSIGNMENT))
    model_json = {  # the model a local ``themes`` run stores (stages.compute_themes)
        "themes": [{**asdict(t), "members": []} for t in result.themes],
        "areas": [asdict(a) for a in result.areas],
        "params": {**result.params, "k": k, "sampled_documents": sample_docs if sampled else None},
        "unthemed": {kind: len(ids) for kind, ids in result.unthemed.items()},
        "unthemed_ids": {kind: sorted(ids) for kind, ids in result.unthemed.items()},
    }
    templates = {g["group_id"]: g["template"] for g in groups if g["template"]}
    tax = taxonomy.build_taxonomy(sample, result.themes, result.areas, member_rows, templates)
    _write_text(out, THEMES, json.dumps(model_json, ensure_ascii=False, default=str))
    for fmt, name in (("json", "taxonomy.json"), ("csv", "taxonomy.csv"), ("skos", "taxonomy.ttl")):
        _write_text(out, name, taxonomy.export(tax, fmt))
    return {"themes": len(result.themes), "sample_clauses": len(sample),
            "assigned_in_parallel": assigned, "sampled": sampled}


def _exists(spark: Any, path: str) -> bool:
    try:
        spark.read.parquet(path).limit(0).collect()
        return True
    except Exception:  # AnalysisException: no such path
        return False


def _write_text(out: str, name: str, text: str) -> None:
    """A small result file next to the tables (local paths; on object storage, via Spark)."""
    if _remote(out):
        from pyspark.sql import SparkSession

        spark = SparkSession.getActiveSession()
        spark.createDataFrame([(text,)], "value string").coalesce(1).write.mode("overwrite").text(
            _join(out, name)
        )
        return
    Path(_local(out)).mkdir(parents=True, exist_ok=True)
    Path(_local(out), name).write_text(text, "utf-8")


# --------------------------------------------------------------------------- load
def load(spark: Any, out: str, index_dir: Path) -> dict[str, object]:
    """Spark results (Parquet under ``out``) into a local index: clause table and token cache,
    the search index, and the duplicate groups and themes when they were computed."""
    from jdsearch import index as search_index
    from jdsearch.ingest import Parser, parser_version
    from jdsearch.lock import WriteLock
    from jdsearch.store import ClauseStore

    index_dir.mkdir(parents=True, exist_ok=True)
    lock = WriteLock(index_dir, "load")
    lock.require()
    try:
        store = ClauseStore(index_dir, create=True)
        try:
            if store.get_meta("engine") is None:
                with store.transaction():
                    store.set_meta("engine", "whoosh")
            files = {r["path"]: r for r in spark.read.parquet(_join(out, FILES)).collect()}
            docs: dict[str, list[Document]] = defaultdict(list)
            for r in spark.read.parquet(_join(out, DOCUMENTS)).toLocalIterator():
                docs[r["path"]].append(_document(r))
            by_path: dict[str, list[Clause]] = defaultdict(list)
            for r in spark.read.parquet(_join(out, CLAUSES)).toLocalIterator():
                by_path[r["path"]].append(_clause_of(r))
            with store.transaction():
                store.put_tokens(
                    tuple(r) for r in spark.read.parquet(_join(out, TOKENS)).toLocalIterator()
                )
                for path, f in sorted(files.items()):
                    clauses = sorted(by_path.get(path, []), key=lambda c: (c.doc_id, c.position))
                    store.put_file(path, f["source"], f["root"],
                                   (f["size"], f["mtime_ns"], f["sha256"]), f["encoding"],
                                   docs.get(path, []), clauses)
                gen = store.bump_generation()
                store.set_meta("parser_version", parser_version(Parser()))
            search_state = search_index.sync(store)
            loaded: dict[str, object] = {"search": search_state, **store.counts()}
            if _exists(spark, _join(out, GROUPS)):
                loaded["groups"] = _load_groups(spark, out, store, gen)
                if not _remote(out) and Path(_local(out), THEMES).is_file():
                    loaded["themes"] = _load_themes(spark, out, store, gen)
            return loaded
        finally:
            store.close()
    finally:
        lock.release()


def _load_groups(spark: Any, out: str, store: Any, gen: int) -> int:
    """The Spark groups stored as a local ``dupes`` run stores its finder's: through
    ``curate.finish_groups`` (ids kept from groups already in the index, then the person's
    group decisions), with the verified edges a later incremental update reuses."""
    from jdsearch import stages
    from jdsearch.curate import finish_groups
    from jdsearch.dupes import CROSS_LINGUAL_DEFAULT, CROSS_LINGUAL_THRESHOLD, Group, Member

    groups = [
        Group(g["group_id"], g["canonical_id"],
              [Member(m["clause_id"], m["similarity"], m["relation"], m["value"])
               for m in g["members"]],
              g["template"])
        for g in read_groups(spark, out)
    ]
    groups = finish_groups(store, groups)
    rows = [(m.clause_id, g.group_id, g.canonical_id, m.similarity, m.relation, rank, m.value)
            for g in groups for rank, m in enumerate(g.members)]
    edges = sorted(tuple(r) for r in spark.read.parquet(_join(out, EDGES)).collect())
    info = {"threshold": 85.0, "finder": ""}  # results of an older `spark dupes`: recomputed
    if _exists(spark, _join(out, GROUPS + "_params")):  # by a later local `dupes`, as stale
        info = json.loads(spark.read.parquet(_join(out, GROUPS + "_params")).first()["params"])
    params = stages.dupes_params(info["threshold"], CROSS_LINGUAL_DEFAULT,
                                 CROSS_LINGUAL_THRESHOLD, info["finder"])
    store.save_groups(rows, gen, params, edges=edges,
                      templates=[(g.group_id, g.template) for g in groups])
    return len(groups)


def _load_themes(spark: Any, out: str, store: Any, gen: int) -> int:
    """The Spark themes stored as a local ``themes`` run stores them: through
    ``curate.finish_themes`` (stable ids, then the person's theme decisions)."""
    from types import SimpleNamespace

    from jdsearch import stages
    from jdsearch.curate import finish_themes
    from jdsearch.themes import Area, Theme

    model = json.loads(Path(_local(out), THEMES).read_text("utf-8"))
    assignment = dict(tuple(r) for r in spark.read.parquet(_join(out, ASSIGNMENT)).collect())
    rest = spark.read.parquet(_join(out, ASSIGNMENT) + "_rest")
    assignment.update(tuple(r) for r in rest.toLocalIterator())
    members: dict[str, list[str]] = defaultdict(list)
    for cid, tid in sorted(assignment.items()):
        members[tid].append(cid)
    themes = [Theme(**{**t, "members": members.get(t["theme_id"], [])}) for t in model["themes"]]
    result = SimpleNamespace(themes=themes, areas=[Area(**a) for a in model["areas"]],
                             assignment=assignment)
    finish_themes(store, result)
    model["themes"] = [{**asdict(t), "members": []} for t in result.themes]
    model["areas"] = [asdict(a) for a in result.areas]
    dupes = store.stage("dupes")
    k = model["params"].get("k")
    store.save_themes(result.assignment, json.dumps(model, ensure_ascii=False), gen,
                      stages.themes_params(k, dupes.generation if dupes else gen))
    return len(result.themes)


def _document(r: Any) -> Document:
    return Document(
        doc_id=r["doc_id"], path=r["path"], source=r["source"], row=r["row"],
        encoding=r["encoding"], lang=r["lang"], sections=tuple(json.loads(r["sections"])),
        metadata=json.loads(r["metadata"]),
    )


def clause_rows(spark: Any, out: str) -> list[dict[str, Any]]:
    """The clause table as ``clauses --json`` objects (for comparisons and small corpora)."""
    from jdsearch.serialize import CLAUSE_FIELDS

    cols = [*CLAUSE_FIELDS, "fragment", *DOC_FIELDS]
    return [r.asDict() for r in spark.read.parquet(_join(out, CLAUSES)).select(*cols).collect()]


def summary(counts: dict[str, Any]) -> str:
    """One line for the terminal."""
    return ", ".join(f"{k}: {v}" for k, v in counts.items())


__all__ = [
    "clause_rows", "components", "dupes", "errors", "ingest", "java_problem", "load",
    "read_groups", "require_tables", "session", "summary", "themes",
]
