"""Settings of the roaming platform: one module, every value read through django-environ.

With no environment at all the platform runs embedded (SQLite and a filesystem Celery broker);
DATABASE_URL and REDIS_URL switch it to PostgreSQL and Redis.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# "production" turns on the checks at the end of this module and HTTPS-only cookies.
ENVIRONMENT = env.str("ENVIRONMENT", default="development")
PRODUCTION = ENVIRONMENT == "production"

DEBUG = env.bool("DEBUG", default=False)
_DEVELOPMENT_SECRET_KEY = "insecure-development-key-change-me-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "partners",
    "roaming",
    "tariffs",
    "ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "roaming.ocpi.headers.RequestIdMiddleware",
    "ops.metrics.MetricsMiddleware",
    # Sessions, CSRF, users and messages as Django's own, skipped by OCPI requests (config.middleware).
    "config.middleware.BrowserSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "config.middleware.BrowserCsrfViewMiddleware",
    "config.middleware.BrowserAuthenticationMiddleware",
    "config.middleware.BrowserMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Headers on every response (SecurityMiddleware, XFrameOptionsMiddleware): answers are never sniffed into
# another type, framed, or sent on with a Referer to another origin. Not "no-referrer": browsers then send
# Origin: null with the admin's forms, which Django's CSRF check refuses.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
# Check a persistent connection before a request or task reuses it: after a database restart the first
# query then reconnects instead of failing.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DB_CONN_HEALTH_CHECKS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "ops.postgresql"  # the same, with a health check without a round trip
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The embedded default has web and worker writing to one file: wait for the lock instead of
    # failing, and take it when a transaction starts so two writers never deadlock on an upgrade.
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}
# Hot-path statements (token lookup, status PATCH, outbox) are prepared once per connection on PostgreSQL
# (partners.rows.prepared_cursor). Turn off behind a pooler in transaction mode that cannot keep them.
DB_PREPARED_STATEMENTS = env.bool("DB_PREPARED_STATEMENTS", default=True)
if DB_PREPARED_STATEMENTS and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # psycopg prepares only when a threshold is set; the ORM's client-side-binding cursors never prepare.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)
# The suite's database is named after the configured one, so two checkouts on one server never share it.
_TEST_NAME = f"test_{Path(str(DATABASES['default'].get('NAME') or 'roaming')).name}"
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default=_TEST_NAME)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(VAR_DIR / "static"))
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
# WhiteNoise serves static files in every process, DEBUG or not (runserver's own static view needs DEBUG). In
# production they come from STATIC_ROOT, filled by `collectstatic` at release with hashed, compressed names;
# elsewhere straight from the apps' static folders, so `make run` needs no collectstatic and is never stale.
WHITENOISE_USE_FINDERS = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_ids": {"()": "roaming.ocpi.headers.RequestIdLogFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s corr=%(correlation_id)s] %(message)s"
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_ids"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}

# Django REST framework: OCPI envelope, token authentication and errors are the protocol layer's.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["roaming.ocpi.auth.OcpiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["roaming.ocpi.auth.IsPartner"],
    "DEFAULT_RENDERER_CLASSES": ["roaming.ocpi.envelope.OcpiJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["roaming.ocpi.parsers.OcpiJSONParser"],
    "EXCEPTION_HANDLER": "roaming.ocpi.errors.ocpi_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["roaming.ocpi.throttling.PartnerRateThrottle"],
    "UNAUTHENTICATED_USER": None,
}

# The address partners reach this deployment at; OCPI URLs handed to partners start with it.
OCPI_BASE_URL = env.str("OCPI_BASE_URL", default="http://127.0.0.1:8000")
# Requests one partner may make per second/minute/hour/day (e.g. "50/second"); empty turns the limit off.
OCPI_RATE_LIMIT = env.str("OCPI_RATE_LIMIT", default="50/second")
# Largest request body an OCPI endpoint reads (bytes); a larger one is refused unread with HTTP 413.
OCPI_MAX_BODY_BYTES = env.int("OCPI_MAX_BODY_BYTES", default=1024 * 1024)
# Largest page a sender list endpoint serves, whatever `limit` asks for.
OCPI_MAX_PAGE_SIZE = env.int("OCPI_MAX_PAGE_SIZE", default=1000)
# Page size when the caller gives no `limit`.
OCPI_DEFAULT_PAGE_SIZE = env.int("OCPI_DEFAULT_PAGE_SIZE", default=100)
# How long a served page remembers where the next offset starts, for clients that walk by offset (seconds).
OCPI_PAGE_BOUNDARY_SECONDS = env.int("OCPI_PAGE_BOUNDARY_SECONDS", default=600)
# Real-time authorization (eMSP side): rules tried in order, the first verdict wins, else ALLOWED.
TOKEN_AUTHORIZATION_RULES = env.list("TOKEN_AUTHORIZATION_RULES", default=["roaming.services.tokens.token_is_valid"])
# Answer 2002 to an authorization request without LocationReferences.
TOKEN_AUTHORIZATION_REQUIRES_LOCATION = env.bool("TOKEN_AUTHORIZATION_REQUIRES_LOCATION", default=False)
# Seconds a CPO waits for an eMSP's authorization before falling back to the whitelist.
TOKEN_AUTHORIZATION_TIMEOUT = env.float("TOKEN_AUTHORIZATION_TIMEOUT", default=3.0)
# A location's rendered JSON is kept for later pages once it has not changed for this long.
WIRE_CACHE_MIN_AGE_SECONDS = env.int("WIRE_CACHE_MIN_AGE_SECONDS", default=300)
# Seconds the outgoing client waits to connect to, and to hear back from, a partner.
OCPI_CLIENT_CONNECT_TIMEOUT = env.float("OCPI_CLIENT_CONNECT_TIMEOUT", default=5.0)
OCPI_CLIENT_READ_TIMEOUT = env.float("OCPI_CLIENT_READ_TIMEOUT", default=30.0)
# Connection attempts the outgoing client retries (connection errors only, never a sent request).
OCPI_CLIENT_CONNECT_RETRIES = env.int("OCPI_CLIENT_CONNECT_RETRIES", default=2)
# Pages of each list a partner diagnosis walks at most.
DIAGNOSE_MAX_PAGES = env.int("DIAGNOSE_MAX_PAGES", default=10)

# Celery: Redis when REDIS_URL is set, else a broker on the filesystem that needs no server.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# Deliveries and pulls may get queues (and workers) of their own; by default everything shares one.
PUSH_QUEUE = env.str("PUSH_QUEUE", default="")
PULL_QUEUE = env.str("PULL_QUEUE", default="")
CELERY_TASK_ROUTES = {
    **(
        {
            "roaming.tasks.deliver_task": {"queue": PUSH_QUEUE},
            "roaming.tasks.drain_task": {"queue": PUSH_QUEUE},
            "roaming.tasks.drain_many_task": {"queue": PUSH_QUEUE},
            "roaming.tasks.sweep_task": {"queue": PUSH_QUEUE},
        }
        if PUSH_QUEUE
        else {}
    ),
    **(
        {"roaming.tasks.pull_task": {"queue": PULL_QUEUE}, "roaming.tasks.schedule_pulls_task": {"queue": PULL_QUEUE}}
        if PULL_QUEUE
        else {}
    ),
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Celery closes a task's database connections after it unless told to reuse them (for this many tasks):
# reconnecting costs more than a drain's claim. config.celery checks a reused one as a request would.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=500)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers reconnect to a broker that restarts instead of exiting (see config.celery.Consumer).
CELERY_WORKER_CONSUMER = "config.celery:Consumer"
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT = "config.broker:Transport"  # kombu's Redis transport, one client per channel
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# The cache holds the rate limit's counters: Redis when REDIS_URL is set, so every web process shares them.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "roaming",
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Push: retries back off exponentially from PUSH_RETRY_BASE_SECONDS up to PUSH_RETRY_MAX_SECONDS
# between attempts, and stop once a delivery is PUSH_RETRY_HORIZON_SECONDS old.
PUSH_RETRY_BASE_SECONDS = env.float("PUSH_RETRY_BASE_SECONDS", default=5.0)
PUSH_RETRY_MAX_SECONDS = env.float("PUSH_RETRY_MAX_SECONDS", default=3600.0)
PUSH_RETRY_HORIZON_SECONDS = env.float("PUSH_RETRY_HORIZON_SECONDS", default=24 * 3600.0)
# On PostgreSQL a change records its deliveries in one SQL statement; off, it takes the portable ORM path.
OUTBOX_SQL_UPSERT = env.bool("OUTBOX_SQL_UPSERT", default=True)
# A delivery still marked sending after this long belonged to a worker that died.
PUSH_SENDING_TIMEOUT_SECONDS = env.float("PUSH_SENDING_TIMEOUT_SECONDS", default=300.0)
# How often beat re-queues due deliveries.
PUSH_SWEEP_SECONDS = env.float("PUSH_SWEEP_SECONDS", default=10.0)
# A partner's due deliveries are claimed PUSH_BATCH_SIZE at a time by up to PUSH_PARTNER_DRAINS worker processes,
# with PUSH_PARTNER_CONCURRENCY requests in flight to it at once between them (the pace asked of one partner, and
# the most a worker killed mid-push can send twice); a drain hands over to a new task after PUSH_DRAIN_SECONDS.
PUSH_BATCH_SIZE = env.int("PUSH_BATCH_SIZE", default=200)
PUSH_PARTNER_DRAINS = env.int("PUSH_PARTNER_DRAINS", default=2)
PUSH_PARTNER_CONCURRENCY = env.int("PUSH_PARTNER_CONCURRENCY", default=2)
PUSH_DRAIN_SECONDS = env.float("PUSH_DRAIN_SECONDS", default=60.0)
# A change owed to many partners is drained for up to PUSH_DRAIN_PARTNERS of them in one task, their requests sent
# side by side by PUSH_FANOUT_THREADS threads of the worker process (one at a time to each partner).
PUSH_DRAIN_PARTNERS = env.int("PUSH_DRAIN_PARTNERS", default=50)
PUSH_FANOUT_THREADS = env.int("PUSH_FANOUT_THREADS", default=16)
# A partner's circuit breaker (roaming.services.outbox.breaker) opens after this many batches in a row found it
# unreachable, timing out or overloaded; while half-open, at most PUSH_PROBE_SLOTS worker processes probe
# partners at once, whatever the number of partners in trouble.
PUSH_BREAKER_FAILURES = env.int("PUSH_BREAKER_FAILURES", default=1)
PUSH_PROBE_SLOTS = env.int("PUSH_PROBE_SLOTS", default=1)
# Live changes: sent by a drain of each partner woken by the change (on), or by a task per delivery (off).
PUSH_LIVE_DRAINS = env.bool("PUSH_LIVE_DRAINS", default=True)

# A partner that registered with us (or PUT its credentials) stores our answer only once it has it: its initial
# sync (push of our objects, full pull of theirs) waits this many seconds. One we registered with gets it at once.
INITIAL_SYNC_DELAY_SECONDS = env.float("INITIAL_SYNC_DELAY_SECONDS", default=3.0)
# How often beat looks for partner pulls that are due (each pull has its own interval).
SYNC_SCHEDULE_SECONDS = env.float("SYNC_SCHEDULE_SECONDS", default=30.0)
# An incremental pull asks from this many seconds before the previous pull started (partners' clocks drift).
PULL_OVERLAP_SECONDS = env.int("PULL_OVERLAP_SECONDS", default=300)

# Delivered deliveries are kept this many days, then pruned by beat (failed ones stay).
DELIVERY_RETENTION_DAYS = env.int("DELIVERY_RETENTION_DAYS", default=14)
# Finished handshake logs are kept this many days (a partner's latest one always stays).
HANDSHAKE_RETENTION_DAYS = env.int("HANDSHAKE_RETENTION_DAYS", default=90)
# Commands and charging profile requests: seconds a charge point's result may take (the timeout we answer
# as CPO, and what we wait for when a CPO names none), and how often beat marks those past it as timed out.
COMMAND_RESULT_TIMEOUT_SECONDS = env.int("COMMAND_RESULT_TIMEOUT_SECONDS", default=60)
# A sender setting charging profiles for one session more often than this is answered TOO_OFTEN (0: no limit).
CHARGING_PROFILE_MIN_INTERVAL_SECONDS = env.int("CHARGING_PROFILE_MIN_INTERVAL_SECONDS", default=5)
COMMAND_TIMEOUT_SWEEP_SECONDS = env.float("COMMAND_TIMEOUT_SWEEP_SECONDS", default=15.0)
# The class that hands received commands to charge points (see docs/operations.md, Commands).
CHARGE_POINT_BACKEND = env.str("CHARGE_POINT_BACKEND", default="roaming.services.chargepoint.SimulatorBackend")
# The simulator answers every command with this CommandResultType (or NO_ANSWER) after this delay.
CHARGE_POINT_SIMULATOR_RESULT = env.str("CHARGE_POINT_SIMULATOR_RESULT", default="ACCEPTED")
CHARGE_POINT_SIMULATOR_DELAY_SECONDS = env.float("CHARGE_POINT_SIMULATOR_DELAY_SECONDS", default=2.0)
# The demo's charge points (ops.simulator): every SIMULATOR_INTERVAL_SECONDS some EVSEs of the demo CPO change
# status and sessions start and end. On by default only in the embedded demo (no DATABASE_URL, not production).
CHARGE_POINT_SIMULATOR_ENABLED = env.bool(
    "CHARGE_POINT_SIMULATOR_ENABLED", default=DATABASES["default"]["ENGINE"].endswith("sqlite3") and not PRODUCTION
)
SIMULATOR_INTERVAL_SECONDS = env.float("SIMULATOR_INTERVAL_SECONDS", default=5.0)
# Bearer token that /metrics requires when set.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

CELERY_BEAT_SCHEDULE = {
    "prune": {"task": "ops.tasks.prune_task", "schedule": 3600.0},
    "sweep-deliveries": {"task": "roaming.tasks.sweep_task", "schedule": PUSH_SWEEP_SECONDS},
    "settle-initial-syncs": {"task": "roaming.tasks.settle_initial_syncs_task", "schedule": PUSH_SWEEP_SECONDS},
    "schedule-pulls": {"task": "roaming.tasks.schedule_pulls_task", "schedule": SYNC_SCHEDULE_SECONDS},
    "expire-commands": {"task": "roaming.tasks.expire_commands_task", "schedule": COMMAND_TIMEOUT_SWEEP_SECONDS},
    "expire-charging-profiles": {
        "task": "roaming.tasks.expire_charging_profiles_task",
        "schedule": COMMAND_TIMEOUT_SWEEP_SECONDS,
    },
}
if CHARGE_POINT_SIMULATOR_ENABLED:
    CELERY_BEAT_SCHEDULE["simulate-charge-points"] = {
        "task": "ops.tasks.simulate_charge_points_task",
        "schedule": SIMULATOR_INTERVAL_SECONDS,
    }

# Production: HTTPS-only cookies behind a TLS-terminating proxy, and refuse to start half-configured.
if PRODUCTION:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^health/"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=3600)

    from ops.settings_check import check_production_settings

    check_production_settings(globals(), env)
