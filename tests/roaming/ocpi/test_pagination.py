from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from partners.models import Partner
from roaming.ocpi.errors import InvalidParameters
from roaming.ocpi.pagination import paginate
from tests.factories import make_partner

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def partners(cpo_tenant):
    """Five partners created one hour apart, standing in for any list with a timestamp."""
    made = []
    for hour in range(5):
        partner, _ = make_partner(cpo_tenant, name=f"p{hour}")
        Partner.objects.filter(pk=partner.pk).update(created=T0 + timedelta(hours=hour))
        made.append(partner)
    return made


def page_of(query: str, settings_limit: int = 1000):
    request = RequestFactory().get(f"/ocpi/cpo/2.2.1/sender/things?{query}")
    return paginate(request, Partner.objects.all(), date_field="created")


def test_first_page_links_to_the_next_with_the_same_filters(partners, settings):
    page = page_of("limit=2&date_from=2026-01-01T00:00:00Z")
    assert [p.name for p in page.items] == ["p0", "p1"]
    assert page.headers["X-Total-Count"] == "5"
    assert page.headers["X-Limit"] == "2"  # the limit of this request, not our maximum
    link = page.headers["Link"]
    assert link.startswith(f"<{settings.OCPI_BASE_URL}/ocpi/cpo/2.2.1/sender/things?")
    assert link.endswith('>; rel="next"')
    assert "offset=2" in link and "limit=2" in link and "date_from=2026-01-01T00%3A00%3A00Z" in link


def test_x_limit_is_the_default_page_size_when_no_limit_is_asked(partners, settings):
    assert page_of("").headers["X-Limit"] == str(settings.OCPI_DEFAULT_PAGE_SIZE)


def test_a_client_advancing_offset_by_x_limit_sees_every_object(partners):
    seen, offset = [], 0
    while True:
        page = page_of(f"offset={offset}&limit=2")
        seen += [p.name for p in page.items]
        if "Link" not in page.headers:
            break
        offset += int(page.headers["X-Limit"])
    assert seen == ["p0", "p1", "p2", "p3", "p4"]


def test_the_link_is_on_the_platforms_public_base_url_whatever_host_the_request_named(partners, settings):
    settings.OCPI_BASE_URL = "https://ocpi.example.com/"
    request = RequestFactory().get("/ocpi/cpo/2.2.1/sender/things?limit=2", HTTP_HOST="10.0.0.7:8000")
    link = paginate(request, Partner.objects.all(), date_field="created").headers["Link"]
    assert link.startswith("<https://ocpi.example.com/ocpi/cpo/2.2.1/sender/things?")


def test_last_page_has_no_link(partners):
    page = page_of("offset=4&limit=2")
    assert [p.name for p in page.items] == ["p4"]
    assert "Link" not in page.headers


def test_date_from_is_inclusive_and_date_to_exclusive(partners):
    page = page_of("date_from=2026-01-01T01:00:00Z&date_to=2026-01-01T03:00:00Z")
    assert [p.name for p in page.items] == ["p1", "p2"]
    assert page.headers["X-Total-Count"] == "2"


def test_limit_is_capped_by_the_server_maximum(partners, settings):
    settings.OCPI_MAX_PAGE_SIZE = 3
    page = page_of("limit=100")
    assert len(page.items) == 3
    assert page.headers["X-Limit"] == "3"
    assert "limit=3" in page.headers["Link"]


def test_default_limit_applies_without_limit(partners, settings):
    settings.OCPI_DEFAULT_PAGE_SIZE = 2
    assert len(page_of("").items) == 2


@pytest.mark.parametrize(
    "query, name",
    [
        ("offset=-1", "offset"),
        ("limit=abc", "limit"),
        ("limit=1.5", "limit"),
        ("date_from=yesterday", "date_from"),
        ("date_to=2026-13-01T00:00:00Z", "date_to"),
    ],
)
def test_malformed_parameter_is_2001_naming_it(db, query, name):
    with pytest.raises(InvalidParameters) as caught:
        page_of(query)
    assert f"'{name}'" in caught.value.message


def test_our_link_carries_the_last_key_and_the_next_page_is_found_by_it_not_by_offset(partners):
    first = page_of("limit=2")
    link = first.headers["Link"]
    assert f"after={first.items[-1].pk}" in link and "offset=2" in link
    query = link[link.index("?") + 1 : link.index(">")]
    with CaptureQueriesContext(connection) as queries:
        second = page_of(query)
    assert [p.name for p in second.items] == ["p2", "p3"]
    assert [p.name for p in second.items] == [p.name for p in page_of("offset=2&limit=2").items]
    assert not any("OFFSET" in q["sql"] for q in queries.captured_queries)


def test_a_malformed_after_is_2001_naming_it(partners):
    with pytest.raises(InvalidParameters, match="after"):
        page_of("after=x")


def _rows_query(queries) -> str:
    """The SQL that read the page's rows (not the count)."""
    (sql,) = [q["sql"] for q in queries.captured_queries if "ORDER BY" in q["sql"]]
    return sql


def test_a_client_walking_by_offset_alone_gets_each_next_page_by_key_not_by_skipping_rows(partners):
    first = page_of("offset=0&limit=2")
    with CaptureQueriesContext(connection) as queries:
        second = page_of("offset=2&limit=2")  # no `after`: the offset the client counted itself
    sql = _rows_query(queries)
    assert "OFFSET" not in sql
    assert f'"partners_partner"."id" > {first.items[-1].pk}' in sql
    assert [p.name for p in second.items] == ["p2", "p3"]
    with CaptureQueriesContext(connection) as queries:
        third = page_of("offset=4&limit=2")
    assert "OFFSET" not in _rows_query(queries)
    assert [p.name for p in third.items] == ["p4"]


def test_a_jump_to_an_offset_no_page_led_to_is_served_by_offset(partners):
    with CaptureQueriesContext(connection) as queries:
        page = page_of("offset=3&limit=2")
    assert "OFFSET 3" in _rows_query(queries)
    assert [p.name for p in page.items] == ["p3", "p4"]


def test_a_remembered_boundary_is_not_used_once_the_list_changed_before_it(partners):
    page_of("offset=0&limit=2")
    partners[0].delete()  # every later object moves one place up: offset 2 is now p3
    with CaptureQueriesContext(connection) as queries:
        page = page_of("offset=2&limit=2")
    assert "OFFSET 2" in _rows_query(queries)
    assert [p.name for p in page.items] == ["p3", "p4"]


def test_a_remembered_boundary_is_not_used_once_one_object_left_and_another_came(partners, cpo_tenant):
    page_of("offset=0&limit=2")
    partners[1].delete()
    make_partner(cpo_tenant, name="p5")  # as many as before, but offset 2 is now p3
    page = page_of("offset=2&limit=2")
    assert [p.name for p in page.items] == ["p3", "p4"]


def test_boundaries_are_remembered_per_list(partners, cpo_tenant):
    page_of("offset=0&limit=2")
    with CaptureQueriesContext(connection) as queries:
        page = page_of("offset=2&limit=2&date_from=2026-01-01T01:00:00Z")  # another list: p1 onwards
    assert "OFFSET 2" in _rows_query(queries)
    assert [p.name for p in page.items] == ["p3", "p4"]
