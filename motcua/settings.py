"""Django settings. Everything a deployment changes comes from the environment (see README)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("MOTCUA_DEBUG", False)
# Secrets only from the environment. The fallback is for a laptop demo: outside ``motcua demo`` the
# start-up checks (motcua.ops.checks) refuse it.
DEMO_SECRET_KEY = "insecure-demo-key-set-MOTCUA_SECRET_KEY-in-production"
SECRET_KEY = env("MOTCUA_SECRET_KEY") or DEMO_SECRET_KEY
ALLOWED_HOSTS = [h for h in env("MOTCUA_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env("MOTCUA_CSRF_TRUSTED_ORIGINS").split(",") if o]

INSTALLED_APPS = [
    # Django's admin with the province administrator's site: superusers only, login throttled.
    "motcua.desk.admin_site.ProvinceAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "motcua.dossiers",
    "motcua.messaging",
    "motcua.callbacks",
    "motcua.lookup",
    "motcua.desk",
    "motcua.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "motcua.ops.middleware.PrivateResponsesMiddleware",
    "motcua.ops.middleware.ApiErrorMiddleware",
    "motcua.ops.middleware.NulRejectMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "motcua.desk.middleware.DeskLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "motcua.urls"
WSGI_APPLICATION = "motcua.wsgi.application"

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
            ]
        },
    }
]

# DATABASE_URL selects the database; unset means an SQLite file in the working directory.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or f"sqlite:///{Path.cwd() / 'motcua.sqlite3'}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the web process and one worker share the file without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tests use a file, not SQLite's shared-cache memory database: that one has table locks which ignore
    # the busy timeout, so concurrent requests (live_server) would fail where production would wait.
    DATABASES["default"]["TEST"] = {
        "NAME": env("MOTCUA_TEST_DB_NAME") or str(Path(tempfile.gettempdir()) / f"motcua-test-{os.getpid()}.sqlite3")
    }
else:
    # A test database per test process, so several test runs (and engineers) can share one PostgreSQL.
    DATABASES["default"]["TEST"] = {
        "NAME": env("MOTCUA_TEST_DB_NAME") or f"test_{DATABASES['default']['NAME']}_{os.getpid()}"
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env("MOTCUA_STATIC_ROOT") or str(Path.cwd() / "staticfiles")

LOGIN_URL = "desk:login"

# Django's password rules for every account (desk and admin share the user table).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- HTTPS behind the reverse proxy (docs/DEPLOY.md, "Production settings") ----------------------
# Cookies only over HTTPS; the session and CSRF cookies are never readable by page scripts.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("MOTCUA_SECURE_COOKIES", False)
SESSION_COOKIE_HTTPONLY = True
# A desk session lasts a working day (MOTCUA_SESSION_HOURS, default 10) and ends when the browser closes:
# desks share PCs, and a session left open for two weeks would outlive the person's shift.
SESSION_COOKIE_AGE = int(float(env("MOTCUA_SESSION_HOURS", "10")) * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# HSTS: browsers refuse plain HTTP for this many seconds once they have seen the site over HTTPS.
SECURE_HSTS_SECONDS = int(env("MOTCUA_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("MOTCUA_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("MOTCUA_HSTS_PRELOAD", False)
# "X-Forwarded-Proto": the header the proxy sets to "https" (the proxy must overwrite any the client sent).
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + env("MOTCUA_PROXY_SSL_HEADER").upper().replace("-", "_"), "https")
    if env("MOTCUA_PROXY_SSL_HEADER")
    else None
)
SECURE_SSL_REDIRECT = env_bool("MOTCUA_SSL_REDIRECT", False)
# Kannel and the probes call over the private network in plain HTTP: never redirect them.
SECURE_REDIRECT_EXEMPT = [r"^sms/", r"^healthz$", r"^metrics$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "kv": {"()": "motcua.ops.logs.KeyValueFormatter"},  # key=value lines for log shippers
    },
    # Request lines are logged without their query string: /sms/* carries the gateway token and phone
    # numbers, /tra-cuu and /api/v1/lookup the access code.
    "filters": {"no_query": {"()": "motcua.ops.logs.NoQueryStringFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env("MOTCUA_LOG_FORMAT", "plain"),
            "filters": ["no_query"],
        }
    },
    "root": {"handlers": ["console"], "level": env("MOTCUA_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # runserver's access log (motcua serve/demo): same console, same filter.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# --- motcua settings (README lists them all) -------------------------------------------------
MOTCUA = {
    # One or more SMS connections, separated by whitespace or commas. sim:// is the built-in phone simulator.
    "SMS_URL": env("MOTCUA_SMS_URL", "sim://"),
    # Lookup by SMS: keyword, short code and the price of one MO message in VND.
    "KEYWORD": env("MOTCUA_KEYWORD", "MCKH"),
    "SHORT_CODE": env("MOTCUA_SHORT_CODE", "8083"),
    "MO_PRICE": int(env("MOTCUA_MO_PRICE", "1000")),
    # Estimated price we pay per MT SMS part (VND), for cost reports.
    "PRICE_PER_PART": int(env("MOTCUA_PRICE_PER_PART", "800")),
    # Default text policy for agencies that do not choose: "accented" (UCS-2) or "unaccented" (GSM).
    "ENCODING_POLICY": env("MOTCUA_ENCODING_POLICY", "accented"),
    # Quiet hours: messages created inside wait until the end. Empty disables.
    "QUIET_HOURS": env("MOTCUA_QUIET_HOURS", "21:00-07:00"),
    # The daily apology batch (local time) and the latest time it may still catch up.
    "BATCH_TIME": env("MOTCUA_BATCH_TIME", "17:30"),
    "BATCH_CUTOFF": env("MOTCUA_BATCH_CUTOFF", "20:00"),
    # Receipt codes we issue. Fields: {agency} {yy} {yyyy} {serial:05d}.
    "RECEIPT_CODE_FORMAT": env("MOTCUA_RECEIPT_CODE_FORMAT", "{agency}{yy}{serial:05d}"),
    # Temporary send failures are retried with exponential backoff up to this many attempts.
    "MAX_ATTEMPTS": int(env("MOTCUA_MAX_ATTEMPTS", "8")),
    # A message accepted by the SMSC without a final receipt after this many seconds becomes "expired".
    "RECEIPT_TIMEOUT": int(env("MOTCUA_RECEIPT_TIMEOUT", str(48 * 3600))),
    # A message left in "sending" this long (a worker died) is put back in the queue.
    "STUCK_AFTER": int(env("MOTCUA_STUCK_AFTER", "120")),
    # Public base URL, used in Kannel dlr-url and the QR code on receipts.
    "PUBLIC_URL": env("MOTCUA_PUBLIC_URL", "http://127.0.0.1:8000"),
    # Desk login throttling: failures allowed per (username, address) within the window (seconds).
    "LOGIN_FAILURE_LIMIT": int(env("MOTCUA_LOGIN_FAILURE_LIMIT", "5")),
    "LOGIN_FAILURE_WINDOW": int(env("MOTCUA_LOGIN_FAILURE_WINDOW", "900")),
    # ... from one address for any usernames (password spraying), and for one username from any address.
    "LOGIN_ADDRESS_FAILURE_LIMIT": int(env("MOTCUA_LOGIN_ADDRESS_FAILURE_LIMIT", "20")),
    "LOGIN_USER_FAILURE_LIMIT": int(env("MOTCUA_LOGIN_USER_FAILURE_LIMIT", "50")),
    # Names, phones and SMS texts are blanked this many days after the dossier/message/MO is final.
    "RETENTION_DAYS": int(env("MOTCUA_RETENTION_DAYS", "365")),
    # Reverse proxies whose X-Forwarded-For is believed (comma-separated addresses, e.g. 127.0.0.1 for an
    # nginx on the same machine): rate limits then count the client, not the proxy.
    "TRUSTED_PROXIES": frozenset(a.strip() for a in env("MOTCUA_TRUSTED_PROXIES").split(",") if a.strip()),
    # Optional bearer token for /metrics ("" = open; then restrict /metrics at the reverse proxy). It
    # also opens the details of /healthz, which anonymous callers see as up/down only.
    "METRICS_TOKEN": env("MOTCUA_METRICS_TOKEN"),
    # Shared secret the gateway (Kannel) sends as ``token=`` to /sms/mo and /sms/dlr. Without it both
    # endpoints are closed, and a kannel:// connection is refused at start-up.
    "GATEWAY_TOKEN": env("MOTCUA_GATEWAY_TOKEN"),
    # Allow sim:// as the only SMS connection outside `motcua demo` (a training installation).
    "ALLOW_SIMULATOR": env_bool("MOTCUA_ALLOW_SIMULATOR", False),
    # Set by `motcua demo` only: the production start-up checks do not apply to the laptop demo.
    "DEMO": False,
}

# --- callbacks to one-stop software (motcua.callbacks, `motcua callbacks`; README lists them) -------
MOTCUA |= {
    # Each POST gives up after this many seconds (connecting and answering together).
    "CALLBACK_TIMEOUT": float(env("MOTCUA_CALLBACK_TIMEOUT", "5")),
    # Requests in flight at once, in all, and to one callback address.
    "CALLBACK_IN_FLIGHT": int(env("MOTCUA_CALLBACK_IN_FLIGHT", "16")),
    "CALLBACK_IN_FLIGHT_PER_URL": int(env("MOTCUA_CALLBACK_IN_FLIGHT_PER_URL", "4")),
    # An event not accepted this long after it happened is given up (shown in the desk, can be retried).
    "CALLBACK_GIVE_UP_AFTER": int(env("MOTCUA_CALLBACK_GIVE_UP_AFTER", str(24 * 3600))),
    # An event left "sending" this long (the sender was killed) is sent again.
    "CALLBACK_STUCK_AFTER": int(env("MOTCUA_CALLBACK_STUCK_AFTER", "60")),
    # Events delivered or given up are deleted after this many days.
    "CALLBACK_KEEP_DAYS": int(env("MOTCUA_CALLBACK_KEEP_DAYS", "30")),
    # Allow http:// callback addresses beyond this machine (a closed network); otherwise https:// only.
    "CALLBACK_ALLOW_HTTP": env_bool("MOTCUA_CALLBACK_ALLOW_HTTP", False),
}

# --- Zalo ZNS (a zns:// connection in MOTCUA_SMS_URL; docs/INTEGRATION.md) -----------------------------
MOTCUA |= {
    # The Zalo app linked to the agencies' Official Account, and the OA's secret key (webhook signature).
    "ZNS_APP_ID": env("MOTCUA_ZNS_APP_ID"),
    "ZNS_APP_SECRET": env("MOTCUA_ZNS_APP_SECRET"),
    "ZNS_OA_SECRET_KEY": env("MOTCUA_ZNS_OA_SECRET_KEY"),
    # Seeds the token row once; afterwards the database holds the rotated pair.
    "ZNS_REFRESH_TOKEN": env("MOTCUA_ZNS_REFRESH_TOKEN"),
    # Seconds without user_received_message after ZNS accepted a notice, after which the SMS goes.
    "ZNS_FALLBACK_AFTER": int(env("MOTCUA_ZNS_FALLBACK_AFTER", "600")),
    # What one ZNS message costs (VND), for the reports.
    "ZNS_PRICE": int(env("MOTCUA_ZNS_PRICE", "300")),
}

# One cache for every web process on every machine: the public lookup's rate limit and the desk's
# login throttle count there, and a per-process cache would let a client try N times as often
# against N web server processes. The table lives in the application's database (migration
# ops.0002), so ``migrate`` is the only setup step.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "motcua_cache"}}

# --- the public face: front page, lookup, receipt, error pages (README lists them) -----------------
# Another province deploys the same code as its own by setting these.
MOTCUA |= {
    "PROVINCE_NAME": env("MOTCUA_PROVINCE_NAME", "tỉnh Khánh Hòa"),
    # The place name of the receipt's "<place>, ngày … tháng … năm …" line.
    "PLACE_NAME": env("MOTCUA_PLACE_NAME", "Khánh Hòa"),
    # An image address (absolute, or under /static/); empty: the built-in emblem.
    "PROVINCE_LOGO_URL": env("MOTCUA_PROVINCE_LOGO_URL"),
    "PROVINCE_ADDRESS": env("MOTCUA_PROVINCE_ADDRESS"),
    "PROVINCE_HOTLINE": env("MOTCUA_PROVINCE_HOTLINE"),
    "PROVINCE_EMAIL": env("MOTCUA_PROVINCE_EMAIL"),
}
TEMPLATES[0]["OPTIONS"]["context_processors"].append("motcua.lookup.context.province")
# Static files (favicon, the API docs' Swagger UI) are served by the application itself through
# WhiteNoise, so a plain `motcua serve` behind no web server — and an offline intranet — has them.
# With finders on, no `collectstatic` step is needed.
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "motcua.common.staticfiles.StaticFilesMiddleware")
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# django-ninja serves its own copy of Swagger UI from the package's static files when it is an installed
# app; otherwise /api/docs loads it from a CDN and is blank on an offline intranet.
INSTALLED_APPS.append("ninja")
# --- bounds on one API key (motcua.dossiers.limits, docs/INTEGRATION.md) -----------------------------
MOTCUA_LIMITS = {
    # Records in one POST /api/v1/dvcqg (more: 413).
    "SYNC_MAX_RECORDS": int(env("MOTCUA_SYNC_MAX_RECORDS", "500")),
    # New dossiers one key may create per minute, by sync and by POST /api/v1/dossiers (more: 429).
    "NEW_DOSSIERS_PER_MINUTE": int(env("MOTCUA_NEW_DOSSIERS_PER_MINUTE", "1000")),
    # How far in the past an event's "at" may lie (days); further: 422. The timeline shows both times.
    "EVENT_BACKDATE_DAYS": int(env("MOTCUA_EVENT_BACKDATE_DAYS", "7")),
    # Test sends ("Gửi thử") one desk user may queue in 24 hours: each is a real, billed SMS, to a number
    # the user typed in their own profile.
    "TEST_SENDS_PER_DAY": int(env("MOTCUA_TEST_SENDS_PER_DAY", "10")),
}
