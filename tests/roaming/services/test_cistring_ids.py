"""CiString ids (types: "Case Insensitive String") are unique per owner whatever their case, in the database, and
every lookup of one, the status PATCH hot path's plain SQL among them, is answered by the upper() index.

Plans are asked for with sequential scans off: the tables of a test are tiny, and the question is whether the
index can answer the statement at all, as it must for a network of 300,000 EVSEs.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from roaming.models import Cdr, Connector, Evse, Location, Session, Token
from roaming.ocpi.dialects import get_dialect
from roaming.services import cdrs, locations, sessions, tokens
from tariffs import services as tariffs
from tariffs.models import Tariff
from tests.bodies import LOCATION_221

V221 = get_dialect("2.2.1")


def plan(sql: str, params) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def searched(text: str) -> set[tuple[str, str]]:
    """(index, column) of every upper(column) an index scan of the plan `text` searches by."""
    found, index = set(), None
    for line in text.splitlines():
        if " using " in line:
            index = line.split(" using ")[1].split()[0]
        elif "Index Cond:" in line and index:
            found.update((index, part.split(")")[0]) for part in line.split("upper((")[1:])
    return found


@pytest.fixture
def upper_indexes_only():
    """Drop (for the test's transaction) the plain indexes of the location tables, foreign keys' among them:
    on tables this small the planner may as well take the EVSE's location_id index and filter, which says
    nothing of whether the upper() index can answer."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT index.indexrelid::regclass::text FROM pg_index index"
            " WHERE index.indrelid IN ('roaming_location'::regclass, 'roaming_evse'::regclass,"
            " 'roaming_connector'::regclass) AND NOT index.indisunique"
            " AND pg_get_indexdef(index.indexrelid) NOT LIKE '%%upper(%%'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP INDEX {name}")


def own_location(tenant) -> Location:
    body = {**LOCATION_221, "id": "Loc-A1"}
    body["evses"] = [{**body["evses"][0], "uid": "Evse-A1"}]
    body["evses"][0]["connectors"] = [{**body["evses"][0]["connectors"][0], "id": "Con-A1"}]
    data = V221.module("locations").from_wire(body)
    locations.put_location(
        tenant=tenant, partner=None, country_code="NL", party_id="CPO", location_id="Loc-A1", data=data
    )
    return Location.objects.get()


@pytest.mark.parametrize(
    "evse_uid, connector_id, fields, indexes",
    [
        (
            "eVSE-a1",
            None,
            {"status": "CHARGING"},
            {("location_unique_per_owner", "location_id"), ("evse_unique_per_location", "uid")},
        ),
        (
            "evse-A1",
            "CON-a1",
            {"max_amperage": 10},
            {
                ("location_unique_per_owner", "location_id"),
                ("evse_unique_per_location", "uid"),
                ("connector_unique_per_evse", "connector_id"),
            },
        ),
    ],
)
def test_the_status_patch_statements_find_ids_in_any_case_through_the_upper_indexes(
    cpo_tenant, upper_indexes_only, evse_uid, connector_id, fields, indexes
):
    own_location(cpo_tenant)
    executed = []

    def record(execute, sql, params, many, context):
        executed.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        change = locations.patch(
            tenant=cpo_tenant,
            partner=None,
            country_code="nl",
            party_id="cpo",
            location_id="LOC-a1",
            evse_uid=evse_uid,
            connector_id=connector_id,
            fields=fields,
        )
    assert change.object_path == "NL/CPO/Loc-A1/Evse-A1" + ("/Con-A1" if connector_id else "")
    evse = Evse.objects.get()
    assert (evse.status, evse.connectors.get().max_amperage) == (
        fields.get("status", "AVAILABLE"),
        fields.get("max_amperage", 16),
    )
    updates = [(sql, params) for sql, params in executed if sql.startswith("UPDATE")]
    assert set().union(*(searched(plan(sql, params)) for sql, params in updates)) == indexes


def test_every_finder_of_a_received_object_uses_its_upper_index(cpo_tenant):
    t = cpo_tenant
    lookups = {
        ("location_unique_per_owner", "location_id"): locations.owned_by(
            tenant=t, country_code="nl", party_id="cpo"
        ).filter(location_id__iexact="loc-a1"),
        ("evse_unique_per_location", "uid"): Evse.objects.filter(location_id=1, uid__iexact="evse-a1"),
        ("connector_unique_per_evse", "connector_id"): Connector.objects.filter(
            evse_id=1, connector_id__iexact="con-a1"
        ),
        ("token_uid_lookup", "uid"): tokens.owned_by(tenant=t, country_code="de", party_id="ems").filter(
            uid__iexact="tok-a1"
        ),
        ("session_unique_per_owner", "session_id"): sessions.owned_by(
            tenant=t, country_code="nl", party_id="cpo"
        ).filter(session_id__iexact="ses-1"),
        ("cdr_unique_per_owner", "cdr_id"): cdrs.owned_by(tenant=t, country_code="nl", party_id="cpo").filter(
            cdr_id__iexact="cdr-1"
        ),
        ("tariff_unique_per_owner", "tariff_id"): tariffs.owned_by(tenant=t, country_code="nl", party_id="cpo").filter(
            tariff_id__iexact="tar-1"
        ),
    }
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            # The plan follows the tables' statistics, which autovacuum may have taken while an earlier test
            # (a live server's, committed) filled a table: taken now, of what is there, they are the same each
            # run, and rolled back with the test.
            tables = [model._meta.db_table for model in (Location, Evse, Connector, Token, Session, Cdr, Tariff)]
            cursor.execute(f"ANALYZE {', '.join(tables)}")
        plans = {key: queryset.explain() for key, queryset in lookups.items()}
    # A token's uid is in two upper() indexes; the planner takes either, by the table's statistics of the moment.
    either = {("token_uid_lookup", "uid"): {("token_unique_per_owner", "uid")}}
    found = {key: bool(({key} | either.get(key, set())) & searched(text)) for key, text in plans.items()}
    assert found == {key: True for key in lookups}


@pytest.mark.parametrize(
    "model, fields, key",
    [
        (Tariff, {"currency": "EUR", "elements": [], "last_updated": "2030-01-01T00:00:00Z"}, "tariff_id"),
        (
            Token,
            {
                "type": "RFID",
                "contract_id": "C",
                "issuer": "I",
                "valid": True,
                "whitelist": "ALWAYS",
                "last_updated": "2030-01-01T00:00:00Z",
            },
            "uid",
        ),
        (
            Session,
            {
                "start_date_time": "2030-01-01T00:00:00Z",
                "kwh": 0,
                "cdr_token": {},
                "auth_method": "WHITELIST",
                "location_id": "L",
                "evse_uid": "E",
                "connector_id": "C",
                "currency": "EUR",
                "status": "ACTIVE",
                "last_updated": "2030-01-01T00:00:00Z",
            },
            "session_id",
        ),
        (
            Cdr,
            {
                "start_date_time": "2030-01-01T00:00:00Z",
                "end_date_time": "2030-01-01T01:00:00Z",
                "cdr_token": {},
                "auth_method": "WHITELIST",
                "cdr_location": {},
                "currency": "EUR",
                "total_cost": {"excl_vat": 0},
                "total_energy": 0,
                "total_time": 0,
                "last_updated": "2030-01-01T00:00:00Z",
            },
            "cdr_id",
        ),
    ],
)
def test_the_database_refuses_a_second_object_whose_id_differs_only_in_case(cpo_tenant, model, fields, key):
    model.objects.create(tenant=cpo_tenant, country_code="NL", party_id="CPO", **{key: "Id-1"}, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(tenant=cpo_tenant, country_code="NL", party_id="CPO", **{key: "ID-1"}, **fields)
    assert list(model.objects.values_list(key, flat=True)) == ["Id-1"]


def test_the_database_refuses_a_second_evse_or_connector_whose_id_differs_only_in_case(cpo_tenant):
    location = own_location(cpo_tenant)
    evse = Evse.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Evse.objects.create(tenant=cpo_tenant, location=location, uid="EVSE-A1", last_updated=evse.last_updated)
    connector = evse.connectors.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Connector.objects.create(
            tenant=cpo_tenant,
            evse=evse,
            connector_id="con-a1",
            standard="IEC_62196_T2",
            format="SOCKET",
            power_type="AC_3_PHASE",
            max_voltage=230,
            max_amperage=16,
            last_updated=connector.last_updated,
        )
    assert (Evse.objects.count(), Connector.objects.count()) == (1, 1)
