"""A Spark session for musicrec's jobs: ``--master`` (default ``local[*]``) or the
usual ``SPARK_*`` settings; in local mode on loopback, without the web UI."""

from __future__ import annotations

import logging
import os
import shutil
from typing import Any

from musicrec.errors import MusicrecError

DEFAULT_MASTER = "local[*]"


class SparkUnavailableError(MusicrecError):
    """pyspark or Java is missing."""


def spark_session(master: str | None = None, app_name: str = "musicrec",
                  conf: dict[str, Any] | None = None):
    """The active session, or a new one for ``master`` (``MUSICREC_SPARK_MASTER``, then
    ``SPARK_MASTER``, then ``local[*]``)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise SparkUnavailableError(
            "Spark is not installed: pip install 'musicrec[spark]' (pyspark 4) and Java 17 "
            "(Debian: apt-get install openjdk-17-jre-headless)") from exc
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise SparkUnavailableError("Spark needs Java 17: apt-get install "
                                    "openjdk-17-jre-headless, or set JAVA_HOME")
    master = master or os.environ.get("MUSICREC_SPARK_MASTER") or os.environ.get(
        "SPARK_MASTER") or DEFAULT_MASTER
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # never listen beyond loopback
    builder = (SparkSession.builder.master(master).appName(app_name)
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.ui.showConsoleProgress", "false"))  # musicrec says the steps
    if master.startswith("local"):
        builder = (builder.config("spark.ui.enabled", "false")
                   .config("spark.driver.host", "127.0.0.1")
                   .config("spark.driver.bindAddress", "127.0.0.1")
                   .config("spark.sql.shuffle.partitions", "8"))
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    logging.getLogger().addFilter(_interrupt_noise)  # (once: a filter is added once)
    return session


def _interrupt_noise(record: logging.LogRecord) -> bool:
    """False for py4j's logs of a call cut short (a traceback on the root logger): at
    Ctrl-C the interrupt itself, or PySpark's job cancelling run inside it ("reentrant
    call"); the command says it stopped, in one line, and a real failure of the call
    still raises and is reported as an error."""
    return not ("while sending command" in str(record.msg)
                and f"{os.sep}py4j{os.sep}" in record.pathname)
