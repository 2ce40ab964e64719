import pytest
from django.core.exceptions import ImproperlyConfigured

from ops.settings_check import check_production_settings

DEV_KEY = "insecure-development-key"
GOOD_ENV = {
    "SECRET_KEY": "k" * 50,
    "ALLOWED_HOSTS": "roam.example.com",
    "DATABASE_URL": "postgres://db/roaming",
    "REDIS_URL": "redis://redis:6379/0",
    "OCPI_BASE_URL": "https://roam.example.com",
}


def settings_from(env: dict, debug=False) -> dict:
    return {"DEBUG": debug, "SECRET_KEY": env.get("SECRET_KEY", DEV_KEY), "_DEVELOPMENT_SECRET_KEY": DEV_KEY}


@pytest.fixture
def environment(monkeypatch):
    for name in (*GOOD_ENV, "CELERY_BROKER_URL"):
        monkeypatch.delenv(name, raising=False)

    def apply(env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return env

    return apply


def test_complete_production_settings_pass(environment):
    env = environment(GOOD_ENV)
    check_production_settings(settings_from(env), None)


@pytest.mark.parametrize("missing", list(GOOD_ENV))
def test_each_missing_setting_is_named(environment, missing):
    env = environment({k: v for k, v in GOOD_ENV.items() if k != missing})
    with pytest.raises(ImproperlyConfigured, match=missing):
        check_production_settings(settings_from(env), None)


def test_debug_on_is_refused(environment):
    env = environment(GOOD_ENV)
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        check_production_settings(settings_from(env, debug=True), None)


def test_short_secret_key_is_refused(environment):
    env = environment({**GOOD_ENV, "SECRET_KEY": "short"})
    with pytest.raises(ImproperlyConfigured, match="32 characters"):
        check_production_settings(settings_from(env), None)


def test_django_system_checks_report_nothing_not_even_a_warning():
    from django.core.management import call_command

    call_command("check", fail_level="WARNING")  # raises SystemCheckError on any finding
