-- The schema version table: one row per migration applied (sql/postgres/NNN_*.sql, in order).
-- Created before any migration runs, so it is the one table that is not itself a migration.

create table if not exists schema_version (
    version integer primary key check (version > 0),
    name text not null,
    applied_at timestamptz not null default now()
);
