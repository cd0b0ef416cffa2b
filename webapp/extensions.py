"""Unbound extensions, bound to an app in :func:`webapp.factory.create_app`."""

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from core.db import Base

db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()

from flask_limiter import Limiter  # noqa: E402
from flask_limiter.util import get_remote_address  # noqa: E402

# storage from RATELIMIT_STORAGE_URI: memory in development, Redis shared by gunicorn workers
limiter = Limiter(get_remote_address, strategy="moving-window")
