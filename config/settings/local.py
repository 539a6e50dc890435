"""Local development: `make run`. DEBUG on, SQLite unless DATABASE_URL says otherwise."""
from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
