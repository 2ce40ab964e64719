import orjson

from roaming.ocpi import status
from roaming.ocpi.envelope import OcpiJSONRenderer, envelope


def test_success_envelope_carries_data_code_message_and_timestamp():
    body = envelope([{"version": "2.2.1"}])
    assert body["data"] == [{"version": "2.2.1"}]
    assert body["status_code"] == 1000
    assert body["status_message"] == "Success"
    assert body["timestamp"].endswith("Z") and len(body["timestamp"]) == 20


def test_error_envelope_omits_data_and_uses_the_code_message():
    body = envelope(None, status_code=status.UNKNOWN_LOCATION)
    assert "data" not in body
    assert body["status_message"] == "Unknown Location"


def test_renderer_writes_compact_json():
    assert orjson.loads(OcpiJSONRenderer().render({"a": [1, 2]})) == {"a": [1, 2]}
