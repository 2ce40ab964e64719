"""The one error table: each domain error a service raises leaves with its OCPI status code and HTTP status, in
the vocabulary of the caller's version, and with the service's message."""

from types import SimpleNamespace

import pytest

from roaming import errors
from roaming.ocpi.dialects import get_dialect
from roaming.ocpi.errors import DOMAIN_ANSWERS, InvalidParameters, ocpi_exception_handler


def answer(error: Exception, version: str | None = "2.2.1") -> tuple[int, int, str]:
    request = SimpleNamespace(dialect=get_dialect(version) if version else None)
    response = ocpi_exception_handler(error, {"request": request})
    return response.status_code, response.data["status_code"], response.data["status_message"]


@pytest.mark.parametrize(
    ("error", "in_221", "in_211"),
    [
        (errors.UnknownLocation("Unknown location 'L1'"), (404, 2003), (404, 2003)),
        (errors.UnknownToken("Unknown token RFID 'U1'"), (404, 2004), (404, 2000)),
        (errors.UnknownObject("Unknown session 'S1'"), (404, 2000), (404, 2000)),
        (errors.NotYours("Party FR*XYZ is not one of this partner's parties"), (403, 2000), (403, 2000)),
        (errors.Invalid("uid: 'a' in the body differs from 'b' in the URL", field="uid"), (200, 2001), (200, 2001)),
        (errors.NotEnoughInformation("LocationReferences are required"), (200, 2002), (200, 2002)),
        (errors.NotOffered("The EVSE of this session does not take charging preferences"), (404, 2001), (404, 2001)),
        (errors.UnknownReceiver("Party SE*XYZ in OCPI-to is not served"), (200, 4001), (200, 3000)),
        (errors.ReceiverNotConnected("Party SE*XYZ in OCPI-to is SUSPENDED"), (200, 4003), (200, 3000)),
        (errors.StaleWrite("Not applied: token X is stored with a newer last_updated"), (200, 1000), (200, 1000)),
    ],
)
def test_each_domain_error_is_answered_with_its_code_and_http_status_per_version(error, in_221, in_211):
    assert answer(error, "2.2.1") == (*in_221, error.message)
    assert answer(error, "2.1.1") == (*in_211, error.message)


def test_every_domain_error_has_a_row_in_the_table():
    raised = {cls for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.DomainError)}
    assert raised - {errors.DomainError} == set(DOMAIN_ANSWERS)


def test_a_translators_invalid_parameters_is_a_domain_invalid_answered_with_its_own_http_status():
    error = InvalidParameters("Body is not valid JSON", http_status=400)

    assert isinstance(error, errors.Invalid)
    assert answer(error) == (400, 2001, "Body is not valid JSON")
