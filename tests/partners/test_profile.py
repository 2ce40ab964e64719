"""The compatibility profile: one value per partner, presets, and no setting that nothing reads."""

import re
from pathlib import Path

import pytest

from partners.models import Partner
from partners.profile import PRESETS, PROFILE_FIELDS, CompatibilityFields, Profile, apply_preset, matching_preset

ROOT = Path(__file__).resolve().parents[2]


def test_profile_fields_are_the_columns_of_compatibility_fields():
    columns = {f.name for f in CompatibilityFields._meta.fields}
    assert set(PROFILE_FIELDS) == columns


def test_a_new_partner_has_the_lenient_profile():
    assert matching_preset(Partner(name="x")) == "lenient"
    assert Profile.of(Partner(name="x")) == Profile()


def test_page_limit_is_the_page_size_capped_per_module():
    profile = Profile(page_size=500, page_size_caps={"locations": 100})
    assert profile.page_limit("locations") == 100
    assert profile.page_limit("tokens") == 500
    assert Profile(page_size_caps={"cdrs": 20}).page_limit("cdrs") == 20
    assert Profile().page_limit("cdrs") is None


def test_unknown_object_answers_add_to_2003_and_404():
    strict = Profile(unknown_object_answers=())
    assert strict.means_unknown_object(http_status=200, status_code=2003)
    assert strict.means_unknown_object(http_status=404, status_code=None)
    assert not strict.means_unknown_object(http_status=200, status_code=2001)
    assert Profile(unknown_object_answers=(2001,)).means_unknown_object(http_status=200, status_code=2001)


def test_routing_headers_setting_overrides_the_version():
    assert Profile(routing_headers="ALWAYS").wants_routing_headers(False)
    assert not Profile(routing_headers="NEVER").wants_routing_headers(True)
    assert Profile().wants_routing_headers(True) and not Profile().wants_routing_headers(False)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_applying_a_preset_makes_the_partner_match_it(name):
    partner = Partner(name="x", pinned_version="2.1.1")
    apply_preset(partner, name)
    assert matching_preset(partner) == name
    assert partner.pinned_version == "2.1.1"


@pytest.mark.django_db
def test_a_preset_survives_saving(cpo_tenant):
    partner = Partner(tenant=cpo_tenant, name="hub")
    apply_preset(partner, "hub-put-only")
    partner.save()
    partner.refresh_from_db()
    assert partner.profile.put_only_modules == ("locations", "sessions", "tariffs", "tokens")
    assert partner.profile.page_limit("cdrs") == 20
    assert not partner.profile.credentials_put


def _boundary_sources() -> str:
    skip = {"partners/profile.py", "partners/admin.py"}
    texts = []
    for folder in ("roaming", "partners"):
        for path in (ROOT / folder).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if relative not in skip and "/migrations/" not in relative:
                texts.append(path.read_text())
    return "\n".join(texts)


#: Settings read through a Profile method: a call of the method reads them.
READ_THROUGH = {
    "page_size": ("page_limit",),
    "page_size_caps": ("page_limit",),
    "put_only_modules": ("takes_patch",),
    "unknown_object_answers": ("means_unknown_object",),
    "routing_headers": ("wants_routing_headers",),
    "initial_sync": ("pushes_initially", "pulls_initially"),
}


@pytest.mark.parametrize("name", PROFILE_FIELDS)
def test_every_setting_is_read_somewhere(name):
    """A setting that no code reads is a promise the platform does not keep."""
    sources = _boundary_sources()
    names = (name, *READ_THROUGH.get(name, ()))
    assert any(re.search(rf"\.{n}\b", sources) for n in names), f"no code reads the profile setting {name!r}"
