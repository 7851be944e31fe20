"""`jdsearch spark …` and `jdsearch load` without Spark's prerequisites: a missing pyspark, no
Java, a Java older than 17 — one line naming the install step, exit 1, never a traceback.
Runs with or without pyspark and Java installed (no Spark session is started)."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS
from tests.test_cli_contract import JDSEARCH, one_line_error

NO_PYSPARK = "import sys; sys.modules['pyspark'] = None; from jdsearch.cli import main; main()"


def _env_without_java(tmp_path: Path, java_script: str | None = None) -> dict[str, str]:
    """PATH holding only a folder with (optionally) a stand-in `java`, and no JAVA_HOME."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if java_script is not None:
        java = bin_dir / "java"
        java.write_text(java_script, "utf-8")
        java.chmod(java.stat().st_mode | stat.S_IEXEC)
    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "PYSPARK_GATEWAY_PORT",
                                                              "SPARK_ENV_LOADED")}
    env["PATH"] = str(bin_dir) + (":/bin" if java_script is not None else "")
    return env


def test_missing_pyspark_is_one_line_with_the_install_hint(tmp_path: Path) -> None:
    (tmp_path / "clauses").mkdir()  # a results folder as `spark ingest` leaves it
    for args in (["spark", "ingest", str(CORPUS), "--out", str(tmp_path / "o")],
                 ["spark", "themes", str(tmp_path)],
                 ["load", str(tmp_path), "--index", str(tmp_path / "i")]):
        err = one_line_error(_run_python(NO_PYSPARK, *args))
        assert "pip install 'jdsearch[spark]'" in err, err


def test_missing_java_is_one_line_with_the_install_hint(tmp_path: Path) -> None:
    pytest.importorskip("pyspark", reason="the Java check runs after pyspark is imported")
    r = _run_python(None, "spark", "ingest", str(CORPUS), "--out", str(tmp_path / "o"),
                    env=_env_without_java(tmp_path))
    err = one_line_error(r)
    assert "openjdk-17-jre-headless" in err and "no java on PATH" in err, err


def test_old_java_and_bad_java_home_are_one_line(tmp_path: Path) -> None:
    pytest.importorskip("pyspark", reason="the Java check runs after pyspark is imported")
    old = "#!/bin/sh\necho 'openjdk version \"1.8.0_372\"' >&2\n"
    env = _env_without_java(tmp_path, old)
    (tmp_path / "clauses").mkdir()
    err = one_line_error(_run_python(None, "spark", "dupes", str(tmp_path), env=env))
    assert "is Java 8" in err and "openjdk-17-jre-headless" in err, err
    env["JAVA_HOME"] = str(tmp_path / "nowhere")
    err = one_line_error(_run_python(None, "spark", "dupes", str(tmp_path), env=env))
    assert "has no bin/java" in err, err


def _run_python(code: str | None, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    import subprocess

    cmd = [sys.executable, "-c", code, *args] if code else [*JDSEARCH, *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300,
                          cwd=Path(__file__).resolve().parents[1])


def test_a_conf_that_is_not_key_value_is_one_line(tmp_path: Path) -> None:
    from tests.test_cli_contract import run

    err = one_line_error(run("spark", "ingest", str(CORPUS), "--out", str(tmp_path / "o"),
                             "--conf", "spark.driver.memory"))
    assert "KEY=VALUE" in err


def test_conf_reaches_the_session_builder(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--conf` values are set on the builder before the JVM starts (a stand-in pyspark: no
    JVM is started here)."""
    import types

    from jdsearch import spark as S

    seen: dict[str, str] = {}

    class Builder:
        def appName(self, _name: str) -> Builder:
            return self

        def master(self, _url: str) -> Builder:
            return self

        def config(self, key: str, value: str) -> Builder:
            seen[key] = value
            return self

        def getOrCreate(self) -> object:
            return types.SimpleNamespace(sparkContext=types.SimpleNamespace(
                setLogLevel=lambda _level: None))

    session_cls = types.SimpleNamespace(builder=Builder(), getActiveSession=lambda: None)
    fake = types.ModuleType("pyspark.sql")
    fake.SparkSession = session_cls  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pyspark", types.ModuleType("pyspark"))
    monkeypatch.setitem(sys.modules, "pyspark.sql", fake)
    monkeypatch.setattr(S, "java_problem", lambda: None)
    S.session("local[2]", conf={"spark.driver.memory": "8g"})
    assert seen["spark.driver.memory"] == "8g"
