from alembic import context

from persistence.models import Base

connection = context.config.attributes["connection"]


def include_object(_object, name, type_, reflected, compare_to):
    # SQLite's search tables (FTS5, migration 0015) and their shadow tables are not models.
    return not (type_ == "table" and reflected and compare_to is None and name.startswith("zoek_"))


context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  include_object=include_object)
with context.begin_transaction():
    context.run_migrations()
