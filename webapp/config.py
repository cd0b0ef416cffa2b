"""Configuration from the environment, with safe development defaults."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        raise RuntimeError(f"{name} must be a number of seconds, not {value!r}") from None


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    env = os.environ.get("APP_ENV", os.environ.get("FLASK_ENV", "development"))
    development = env == "development"
    database_url = os.environ.get("DATABASE_URL") or (
        "sqlite:///" + str(Path(instance_path) / "cloudshop.sqlite3")
    )
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    secret = os.environ.get("SECRET_KEY")
    if not secret:
        if not development:
            raise RuntimeError("SECRET_KEY must be set outside development")
        secret = _dev_secret(instance_path)
    config = {
        "APP_ENV": env,
        "DEVELOPMENT": development,
        # webhooks to localhost and private addresses: development only, unless asked (a
        # deployment whose receivers are on its own network sets WEBHOOKS_ALLOW_INSIDE=1)
        "WEBHOOKS_ALLOW_INSIDE": development or os.environ.get("WEBHOOKS_ALLOW_INSIDE") == "1",
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "DEFAULT_TENANT": os.environ.get("DEFAULT_TENANT", "reseller"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", not development),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", not development),
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session instead of a clock
        "PASSWORD_HASH_METHOD": os.environ.get("PASSWORD_HASH_METHOD", "pbkdf2:sha256:600000"),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER"),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "no-reply@cloudshop.example"),
        "OPERATIONS_EMAIL": os.environ.get("OPERATIONS_EMAIL", "operations@cloudshop.example"),
        "RATELIMIT_STORAGE_URI": ratelimit_storage(development),
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "cloudshop"),
        # public API (issue 18): calls per API key, on the limiter's storage
        "API_RATE_LIMIT": os.environ.get("API_RATE_LIMIT", "600/minute"),
        # job queue and e-mail (issue 16)
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "QUEUE_STORAGE": os.environ.get("QUEUE_STORAGE", ""),  # "memory" for tests
        "QUEUE_NAME": os.environ.get("QUEUE_NAME", "cloudshop"),  # the queue's key in Redis
        # how long a worker holds an outbox item before another may take it over
        "OUTBOX_LEASE_SECONDS": int(os.environ.get("OUTBOX_LEASE_SECONDS") or 300),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT") or 25),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        # where vendors call back (the sandbox vendor's answers), and its shared secret
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000"),
        "SANDBOX_VENDOR_SECRET": os.environ.get("SANDBOX_VENDOR_SECRET") or None,
        "TEMPLATES_AUTO_RELOAD": development,
        # anonymous catalogue and product pages shared for this long per process (issue 19,
        # webapp/page_cache.py); 0 turns it off, the default in development and tests
        "PAGE_CACHE_SECONDS": _float("PAGE_CACHE_SECONDS", 0.0 if development else 1.0),
        "PAGE_CACHE_ENTRIES": int(os.environ.get("PAGE_CACHE_ENTRIES") or 1000),
        "PREFERRED_URL_SCHEME": "http" if development else "https",
    }
    if overrides:
        config.update(overrides)
    return config


# --- sign-in throttling storage (issue 13, point 10) -------------------------------------------
PRODUCTION_REDIS_URL = "redis://127.0.0.1:6379/0"


class PerProcessThrottling(RuntimeError):
    """Production would count failed sign-ins per worker process (memory://): refused."""


def ratelimit_storage(development: bool) -> str:
    """Where failed sign-ins are counted. Development: this process's memory. Production: Redis,
    shared by every gunicorn worker; per-process memory only when RATELIMIT_ALLOW_MEMORY=1,
    because with N workers an attacker would get N times the allowed attempts."""
    explicit = os.environ.get("RATELIMIT_STORAGE_URI")
    if development:
        return explicit or "memory://"
    uri = explicit or os.environ.get("REDIS_URL") or PRODUCTION_REDIS_URL
    if uri.startswith("memory://"):
        if not _bool("RATELIMIT_ALLOW_MEMORY", False):
            raise PerProcessThrottling(
                "RATELIMIT_STORAGE_URI=memory:// counts failed sign-ins per worker process: with "
                "4 gunicorn workers 20 attempts a minute get through instead of 5. Use Redis "
                "(REDIS_URL or RATELIMIT_STORAGE_URI=redis://...), or set RATELIMIT_ALLOW_MEMORY=1 "
                "if this server runs exactly one worker process."
            )
        logging.getLogger(__name__).warning(
            "Sign-in throttling uses per-process memory (RATELIMIT_ALLOW_MEMORY=1): the limits "
            "hold only with a single worker process."
        )
    return uri


def _dev_secret(instance_path: str) -> str:
    """A random development secret kept in instance/ so sessions survive restarts."""
    path = Path(instance_path) / "dev-secret-key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_hex(32)
        path.write_text(secret)
        return secret
