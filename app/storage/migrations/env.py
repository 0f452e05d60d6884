"""Alembic environment: the URL comes from the caller (app.storage.database.upgrade)."""

from alembic import context

from app.callbacks import models as _callbacks  # noqa: F401
from app.conversations import models as _conversations  # noqa: F401  (register tables)
from app.qa import jobs as _qa_jobs  # noqa: F401
from app.storage.database import Base, make_engine
from app.tenants import models as _tenants  # noqa: F401
from app.webhooks import models as _webhooks  # noqa: F401

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
