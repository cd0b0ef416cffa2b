"""Configuration from the environment, with safe development defaults."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


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
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "TEMPLATES_AUTO_RELOAD": development,
        "PREFERRED_URL_SCHEME": "http" if development else "https",
    }
    if overrides:
        config.update(overrides)
    return config


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
