#!/usr/bin/env python3
"""Writes dashboards/gradflow.json, the Grafana dashboard of docker-compose.yml, from the panel
table below: one time series per panel, on Prometheus's names for the metrics that Gradflow's
TrainerOperator (examplesPerSecond, logLoss, auc, driftEvents, rowsLive, cacheHitRate), the decode
functions (deadLetters per reason) and Flink's checkpoint coordinator register.
deploy/compose-test.sh queries every panel's expression against the running stack.
Run: python3 deploy/grafana/make-dashboard.py"""
import json
import pathlib

OP = "flink_taskmanager_job_task_operator_"
# (title, PromQL, unit, legend)
PANELS = [
    ("Examples per second", f"sum by (job_name) ({OP}examplesPerSecond)", "ops", "{{job_name}}"),
    ("Log loss (last window)", f"{OP}logLoss", "none", "{{job_name}} {{subtask_index}}"),
    ("AUC (last window)", f"{OP}auc", "none", "{{job_name}} {{subtask_index}}"),
    ("Drift events", f"sum by (job_name) ({OP}driftEvents)", "none", "{{job_name}}"),
    ("Live rows", f"sum by (job_name) ({OP}rowsLive)", "short", "{{job_name}}"),
    ("Row cache hit rate", f"avg by (job_name) ({OP}cacheHitRate)", "percentunit", "{{job_name}}"),
    ("Dead letters per second by reason",
     f"sum by (reason) (rate({OP}reason_deadLetters[1m]))", "ops", "{{reason}}"),
    ("Checkpoint duration", "flink_jobmanager_job_lastCheckpointDuration", "ms", "{{job_name}}"),
]


def panel(i, title, expr, unit, legend):
    return {
        "id": i + 1,
        "type": "timeseries",
        "title": title,
        "datasource": {"type": "prometheus", "uid": "prometheus"},
        "gridPos": {"h": 8, "w": 12, "x": 12 * (i % 2), "y": 8 * (i // 2)},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
        "targets": [{"refId": "A", "expr": expr, "legendFormat": legend,
                     "datasource": {"type": "prometheus", "uid": "prometheus"}}],
    }


dashboard = {
    "uid": "gradflow",
    "title": "Gradflow",
    "tags": ["gradflow", "flink"],
    "timezone": "browser",
    "schemaVersion": 39,
    "version": 1,
    "refresh": "10s",
    "time": {"from": "now-30m", "to": "now"},
    "panels": [panel(i, *p) for i, p in enumerate(PANELS)],
}
out = pathlib.Path(__file__).parent / "dashboards" / "gradflow.json"
out.write_text(json.dumps(dashboard, indent=2) + "\n")
