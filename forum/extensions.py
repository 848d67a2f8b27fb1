"""Flask extensions, created unbound here and initialised in create_app()."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from forum.core.db import Model

db = SQLAlchemy(model_class=Model)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def _client_address() -> str:
    """The client address, honouring only the configured number of trusted proxy hops."""
    from flask import request
    return request.remote_addr or "unknown"


limiter = Limiter(key_func=_client_address, default_limits=[])
