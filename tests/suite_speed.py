"""What keeps a fresh app and a clean database per test cheap (the suite builds ~1,500 of each).

Every test still gets its own app and an empty database; these only stop the suite from
paying again for work whose result cannot differ between tests:
- werkzeug compiles a URL builder per route per app (two `compile()` calls of generated code,
  ~0.1 s an app for our ~230 routes); the builder is a function of the rule alone, so one
  compiled per rule serves every app;
- Jinja compiles each template again in each new app; the bytecode is a function of the
  template source, so one in-memory bytecode cache serves every app (keyed by a checksum of
  the source, so an edited template is compiled afresh);
- an empty SQLite database is a copy of one made once by `create_all` and seeded with the
  managed space kinds;
- on PostgreSQL, `DELETE` of a few rows per table is ~20 times cheaper than `TRUNCATE` (which
  makes new files for every table); the identity sequences restart as TRUNCATE's RESTART
  IDENTITY would."""
from __future__ import annotations

from jinja2 import BytecodeCache
from sqlalchemy import text
from werkzeug.routing.rules import Rule


def cache_route_builders() -> None:
    original = Rule._compile_builder
    if getattr(original, "cached", False):
        return
    builders: dict[tuple, object] = {}

    def _compile_builder(self, append_unknown: bool = True):
        defaults = tuple(sorted((k, repr(v)) for k, v in (self.defaults or {}).items()))
        key = (self.rule, self.subdomain, self.host, tuple(self._trace), defaults, append_unknown)
        if key not in builders:
            builders[key] = original(self, append_unknown)
        return builders[key]

    _compile_builder.cached = True
    Rule._compile_builder = _compile_builder


class SharedBytecodeCache(BytecodeCache):
    """Template bytecode kept in this process for every app the suite creates."""

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        code = self._store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()


BYTECODE = SharedBytecodeCache()


def empty_postgresql_tables(engine, metadata) -> None:
    """Every table emptied and every identity restarted at 1, in one transaction."""
    tables = metadata.sorted_tables
    with engine.begin() as conn:
        for table in reversed(tables):
            conn.execute(text(f'DELETE FROM "{table.name}"'))
        sequences = conn.execute(text(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) FROM pg_sequences "
            "WHERE schemaname = current_schema() AND last_value IS NOT NULL")).scalars().all()
        for sequence in sequences:
            conn.execute(text(f"ALTER SEQUENCE {sequence} RESTART"))
