"""Written by mlmodel-inspector for `eval --engine spark`: the model applied to a table on Spark
with MLflow's own spark_udf, each row's line (or a Parquet row's file and row), label and
prediction written as CSV.

Its settings are in job.json beside it. To run it again (the Python with pyspark and mlflow):

    PYSPARK_PYTHON=PY PYSPARK_DRIVER_PYTHON=PY PY job.py job.json
"""

import json
import os
import sys
import threading

import mlflow.pyfunc
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import LongType, StructField, StructType


def watch(sc, path, stop):
    """Writes the active stages and their tasks to `path` twice a second (Spark's status
    tracker), for the progress line of `eval`."""
    tracker = sc.statusTracker()
    while not stop.wait(0.5):
        stages = []
        for sid in sorted(tracker.getActiveStageIds()):
            info = tracker.getStageInfo(sid)
            if info is not None:
                stages.append(
                    {
                        "stage": sid,
                        "name": info.name,
                        "done": info.numCompletedTasks,
                        "tasks": info.numTasks,
                    }
                )
        tmp = path + ".tmp"
        with open(tmp, "w") as fh:
            json.dump({"stages": stages}, fh)
        os.replace(tmp, path)


def main(settings_path):
    with open(settings_path) as fh:
        c = json.load(fh)
    spark = (
        SparkSession.builder.master(c["master"])
        .appName("mlmodel-inspector eval")
        # eval shows the progress (from the status tracker below); the log stays readable.
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    stop = threading.Event()
    threading.Thread(
        target=watch, args=(spark.sparkContext, c["status"], stop), daemon=True
    ).start()
    summary = {
        "application_id": spark.sparkContext.applicationId,
        "spark_version": spark.version,
        "master": spark.sparkContext.master,
    }
    # Every cell as text, as the file has it; the signature's columns are cast below.
    if c["format"] == "csv":
        df = (
            spark.read.option("header", True)
            .option("inferSchema", False)
            .option("escape", '"')
            .option("multiLine", True)
            .csv(c["dataset"])
        )
    elif c["format"] == "json":
        df = spark.read.json(c["dataset"])
    else:
        df = spark.read.parquet(c["dataset"])
    wanted = [name for name, _ in c["columns"]] + ([c["label"]] if c["label"] else [])
    missing = [name for name in wanted if name not in df.columns]
    if missing:
        raise SystemExit("error: columns missing from the dataset: " + ", ".join(missing))
    if c["format"] == "parquet":
        # A Parquet row is named by its file (its path under the dataset's folder) and its
        # row in that file, from Spark's own file metadata: `part-0.parquet row 12`.
        path = F.url_decode(F.regexp_replace(F.col("_metadata.file_path"), "\\+", "%2B"))
        prefix = "file:" + c["root"].rstrip("/") + "/"
        relative = F.when(
            F.col("__path").startswith(prefix), F.expr("substring(__path, %d)" % (len(prefix) + 1))
        ).otherwise(F.col("__path"))
        numbered = df.select("*", path.alias("__path"), F.col("_metadata.row_index").alias("__row"))
        numbered = numbered.withColumn("__file", relative).drop("__path")
        first = F.concat(F.col("__file"), F.lit(" row "), F.col("__row").cast("string")).alias("id")
        order = ["__file", "__row"]
    else:
        # Rows numbered in file order, as eval names its items (line N).
        numbered = spark.createDataFrame(
            df.rdd.zipWithIndex().map(lambda pair: tuple(pair[0]) + (pair[1],)),
            StructType(df.schema.fields + [StructField("__index", LongType(), False)]),
        )
        first = (F.col("__index") + c["first_line"]).alias("line")
        order = ["line"]
    # Spread over every core or executor (a small file is one partition); written back in
    # line order below.
    numbered = numbered.repartition(
        max(spark.sparkContext.defaultParallelism, df.rdd.getNumPartitions())
    )
    columns = [
        F.col(name).cast(cast).alias(name) if cast else F.col(name)
        for name, cast in c["columns"]
    ]
    predict = mlflow.pyfunc.spark_udf(
        spark,
        c["model"],
        env_manager=c["env_manager"],
        result_type=c["result_type"],
    )
    # Columns the signature names by integers go one by one: spark_udf then names them from
    # the signature (0, 1, ...), as a struct's field names cannot be.
    prediction = predict(*columns) if c.get("positional") else predict(F.struct(*columns))
    if c["result_type"].startswith("array"):
        prediction = F.to_json(prediction)
    label = (
        F.col(c["label"]).cast("string")
        if c["label"]
        else F.lit(None).cast("string")
    )
    out = numbered.select(
        first,
        label.alias("label"),
        prediction.alias("prediction"),
        *[name for name in order if name != "line"],
    )
    out = out.orderBy(*order).drop(*[name for name in order if name != "line"])
    out.write.mode("overwrite").option("header", True).option("escape", '"').csv(
        c["predictions"]
    )
    # Spark's own count of what it wrote: the cross-check of eval's.
    summary["rows"] = spark.read.option("header", True).csv(c["predictions"]).count()
    with open(c["summary"], "w") as fh:
        json.dump(summary, fh)
    stop.set()
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1])
