"""Scheduled pull: pages followed, cursor moved only by a complete pull, bad objects counted not fatal."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from partners.models import PartnerEndpoint
from roaming.models import SyncState
from roaming.ocpi.errors import InvalidParameters
from roaming.services import sync
from tests.factories import make_partner

MODULE = "testpulls"
INGESTED: list[dict] = []


def ingest(partner, dialect, wire_object):
    if "id" not in wire_object:
        raise InvalidParameters("id: required field is missing")
    INGESTED.append(wire_object)


sync.register_pullable(sync.Pullable(MODULE, ingest=ingest))


@pytest.fixture(autouse=True)
def clean():
    INGESTED.clear()


@pytest.fixture
def state(emsp_tenant, peer):
    partner, _ = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo", token_to_them="t", page_size=2)
    PartnerEndpoint.objects.create(
        tenant=emsp_tenant, partner=partner, identifier=MODULE, role="SENDER", url=f"{peer.url}/list"
    )
    return sync.ensure_sync_states(partner=partner)[0]


def serve_two_pages(peer):
    peer.ok("/list", [{"id": "1"}, {"id": "2"}], headers={"Link": '<{base}/list/p2>; rel="next"'})
    peer.ok("/list/p2", [{"id": "3"}])


def test_sync_state_exists_for_each_sender_module_the_platform_can_ingest(state):
    assert (state.module, state.cursor, state.enabled) == (MODULE, None, True)


def test_first_pull_is_full_follows_every_page_and_sets_the_cursor(state, peer):
    serve_two_pages(peer)
    before = timezone.now()
    result = sync.pull(state_id=state.pk)
    assert (result.complete, result.pages, result.objects) == (True, 2, 3)
    assert [o["id"] for o in INGESTED] == ["1", "2", "3"]
    assert "date_from=1970-01-01T00%3A00%3A00Z" in peer.requests[0]["path"]
    assert "limit=2" in peer.requests[0]["path"]
    state.refresh_from_db()
    assert state.cursor >= before and state.last_completed_at is not None and state.running_since is None


def test_next_pull_asks_only_for_what_changed_since_the_last_complete_pull(state, peer, settings):
    settings.PULL_OVERLAP_SECONDS = 0
    state.cursor = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    state.save()
    peer.ok("/list", [])
    sync.pull(state_id=state.pk)
    assert "date_from=2026-05-01T12%3A00%3A00Z" in peer.requests[0]["path"]


def test_an_incremental_pull_overlaps_the_previous_one_by_the_configured_margin(state, peer, settings):
    settings.PULL_OVERLAP_SECONDS = 90
    state.cursor = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    state.save()
    peer.ok("/list", [])
    sync.pull(state_id=state.pk)
    assert "date_from=2026-05-01T11%3A58%3A30Z" in peer.requests[0]["path"]


def test_a_failing_page_leaves_the_cursor_where_it_was(state, peer):
    cursor = datetime(2026, 5, 1, tzinfo=UTC)
    state.cursor = cursor
    state.save()
    peer.ok("/list", [{"id": "1"}], headers={"Link": '<{base}/list/p2>; rel="next"'})
    peer.routes["/list/p2"] = (500, {}, "boom")
    result = sync.pull(state_id=state.pk)
    assert not result.complete and result.pages == 1
    state.refresh_from_db()
    assert state.cursor == cursor
    assert "HTTP 500" in state.last_error


def test_full_resync_ignores_the_cursor(state, peer):
    state.cursor = timezone.now()
    state.save()
    sync.request_full_resync(states=SyncState.objects.filter(pk=state.pk))
    peer.ok("/list", [])
    sync.pull(state_id=state.pk)
    assert "date_from=1970-01-01" in peer.requests[0]["path"]
    state.refresh_from_db()
    assert not state.full_resync_requested


def test_an_invalid_object_is_counted_and_the_pull_completes(state, peer):
    peer.ok("/list", [{"id": "1"}, {"name": "no id"}])
    result = sync.pull(state_id=state.pk)
    assert (result.complete, result.objects, result.rejected) == (True, 1, 1)


def test_a_pull_already_running_is_not_started_twice(state, peer):
    SyncState.objects.filter(pk=state.pk).update(running_since=timezone.now())
    assert sync.pull(state_id=state.pk) is None
    assert peer.requests == []


def test_due_states_follow_each_interval(state):
    assert sync.due_states() == [state.pk]
    SyncState.objects.filter(pk=state.pk).update(last_started_at=timezone.now(), interval_seconds=600)
    assert sync.due_states() == []
    assert sync.due_states(now=timezone.now() + timedelta(seconds=601)) == [state.pk]


def test_sync_partner_command_pulls_and_reports(state, peer):
    import json
    from io import StringIO

    from django.core.management import call_command

    serve_two_pages(peer)
    out = StringIO()
    call_command("sync_partner", "emsp", "cpo", "--json", stdout=out)
    [row] = json.loads(out.getvalue())
    assert (row["module"], row["objects"], row["pages"], row["complete"]) == (MODULE, 3, 2, True)
