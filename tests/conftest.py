import pytest
from django.test import Client

from tests.factories import log_in_operator, make_partner, make_tenant

# The generated bad-input cases of tests/hardening, counted across workers: each test records its count as
# a user property, which pytest-xdist carries back to the controller (only this conftest is loaded there).
_bad_input = {"cases": 0, "tests": 0}
_access = {"cases": 0, "tests": 0}
_fault_counts: list[str] = []


def pytest_runtest_logreport(report):
    if report.when == "call":
        for name, value in report.user_properties:
            if name == "bad_input_cases":
                _bad_input["cases"] += value
                _bad_input["tests"] += 1
            elif name == "access_cases":  # tests/hardening/test_access.py
                _access["cases"] += value
                _access["tests"] += 1
            elif name == "fault_counts":  # tests/e2e/test_faults.py: what arrived in each scenario
                _fault_counts.append(value)


def pytest_terminal_summary(terminalreporter):
    if _bad_input["tests"]:
        terminalreporter.write_line(
            f"hardening: {_bad_input['cases']} generated bad-input cases over {_bad_input['tests']} tests"
        )
    if _access["tests"]:
        terminalreporter.write_line(
            f"hardening: {_access['cases']} generated access cases (tenants, tokens, parties) over "
            f"{_access['tests']} tests"
        )
    for line in _fault_counts:
        terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    """Tests call as fast as they can; tests/hardening/test_limits.py turns the limit on."""
    settings.OCPI_RATE_LIMIT = ""


@pytest.fixture(scope="session", autouse=True)
def close_connections_after_each_request():
    """The live servers' handler threads outlive a request while the client keeps the HTTP connection alive;
    with no connection age they hold no database session between requests, so the test database can be
    dropped at the end."""
    from django.db import connections

    connections.settings["default"]["CONN_MAX_AGE"] = 0
    for connection in connections.all(initialized_only=True):
        connection.settings_dict["CONN_MAX_AGE"] = 0


@pytest.fixture(scope="session", autouse=True)
def flush_retries_a_deadlock():
    """A transactional test's flush TRUNCATEs table by table while the Celery worker's beat (a separate process)
    may lock rows of two of them: PostgreSQL then aborts one side of the deadlock, and it is the flush's turn
    to try again."""
    from django.db import OperationalError
    from django.test import TransactionTestCase

    flush = TransactionTestCase._fixture_teardown

    def flush_with_retries(self):
        for attempt in range(3):
            try:
                return flush(self)
            except Exception as exc:  # CommandError wraps the OperationalError
                deadlock = isinstance(exc.__cause__, OperationalError) and "deadlock" in str(exc.__cause__)
                if not deadlock or attempt == 2:
                    raise

    TransactionTestCase._fixture_teardown = flush_with_retries
    yield
    TransactionTestCase._fixture_teardown = flush


@pytest.fixture(scope="session", autouse=True)
def _no_breaker_of_an_earlier_run(django_db_setup):
    """Partner ids start again with each test database: a breaker an earlier run left open in Redis would
    stand for a partner of this one (roaming.services.outbox.breaker)."""
    from roaming.services import outbox
    from roaming.services.outbox.drains import shared_redis

    store = shared_redis()
    if store is not None:
        for key in store.scan_iter(outbox.breaker_keys_pattern()):
            store.delete(key)


@pytest.fixture
def eager():
    """Celery tasks run at once in the calling process, as `.delay()` is called; the setting is put back after."""
    from config.celery import app as celery_app

    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def client() -> Client:
    return Client()


@pytest.fixture
def cpo_tenant(db):
    return make_tenant("cpo", "NL:CPO:CPO")


@pytest.fixture
def emsp_tenant(db):
    return make_tenant("emsp", "DE:EMS:EMSP")


@pytest.fixture
def emsp_partner(cpo_tenant):
    """A registered 2.2.1 eMSP partner of the CPO tenant, and its raw token C."""
    return make_partner(
        cpo_tenant, "DE:EMS:EMSP", name="emsp-partner", versions_url="https://emsp.example.com/ocpi/versions"
    )


@pytest.fixture
def world(db):
    """The hardening suite's world (tests/hardening, tests/hardening/calls.py): a tenant with a CPO and an eMSP
    party, one partner per version holding both roles too, and a hub."""
    tenant = make_tenant("hard", "NL:CPO:CPO", "NL:EMS:EMSP")
    partners = {
        "2.3.0": make_partner(tenant, "DE:CPZ:CPO", "DE:EMZ:EMSP", name="p230", version="2.3.0"),
        "2.2.1": make_partner(tenant, "DE:CPX:CPO", "DE:EMX:EMSP", name="p221", version="2.2.1"),
        "2.1.1": make_partner(tenant, "DE:CPY:CPO", "DE:EMY:EMSP", name="p211", version="2.1.1"),
        "hub": make_partner(tenant, "DE:HUB:HUB", name="hub", version="2.2.1"),
    }
    return tenant, partners


@pytest.fixture
def cpo_partner(emsp_tenant):
    """A registered 2.2.1 CPO partner (NL*CPO) of the eMSP tenant, and its raw token C."""
    return make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo-partner")


@pytest.fixture
def emsp_operator(client, emsp_tenant) -> Client:
    """The client, logged in to the admin as an operator of the eMSP tenant."""
    log_in_operator(client, emsp_tenant)
    return client


@pytest.fixture
def cpo_operator(client, cpo_tenant) -> Client:
    """The client, logged in to the admin as an operator of the CPO tenant."""
    log_in_operator(client, cpo_tenant)
    return client


@pytest.fixture
def peer():
    """A scripted partner server on loopback."""
    from tests.peer import Peer

    server = Peer()
    yield server
    server.stop()
