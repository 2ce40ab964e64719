import json
import logging

from ops.logging import JsonFormatter
from roaming.ocpi.headers import RequestIdLogFilter, correlation_id_var, request_id_var


def test_json_line_carries_message_level_and_request_ids():
    record = logging.LogRecord("roaming.access", logging.INFO, __file__, 1, "GET %s", ("/ocpi/x",), None)
    tokens = request_id_var.set("req-1"), correlation_id_var.set("corr-1")
    try:
        RequestIdLogFilter().filter(record)
    finally:
        request_id_var.reset(tokens[0])
        correlation_id_var.reset(tokens[1])
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "GET /ocpi/x"
    assert line["level"] == "INFO" and line["logger"] == "roaming.access"
    assert (line["request_id"], line["correlation_id"]) == ("req-1", "corr-1")
    assert line["time"].endswith("Z")
