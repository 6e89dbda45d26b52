-- events: one row per event, as the latest message about it describes it: its group, its venue
-- (null when that message has none) and its start time in UTC (null when absent, about 1%).
--
--   duckdb data/lake/etl/state.duckdb -cmd "set variable lake_dir = 'data/lake'" -f sql/etl/07_events.sql

set variable lake_dir = rtrim(coalesce(getvariable('lake_dir'), 'data/lake'), '/');
set TimeZone = 'UTC';

-- PostgreSQL text cannot hold NUL characters (a JSON "\u0000"): they are dropped from texts.
create or replace temp macro without_nul(value) as replace(value, chr(0), '');

copy (
    with

    versions as (
        select
            object_key,
            line_number,
            mtime_ms,
            event_id,
            group_id,
            venue_id,
            event_name,
            event_url,
            event_time_ms,
        from rsvp_versions
    ),

    events_latest as (
        select *
        from versions
        qualify row_number() over (
            partition by event_id
            order by mtime_ms desc, object_key desc, line_number desc
        ) = 1
    ),

    final as (
        select
            without_nul(event_id) as event_id,
            group_id,
            venue_id,
            without_nul(event_name) as event_name,
            without_nul(event_url) as event_url,
            make_timestamptz(event_time_ms * 1000) as starts_at,
        from events_latest
    )

    select * from final
    order by event_id
) to (getvariable('lake_dir') || '/3nf/events.parquet') (format parquet, use_tmp_file true);
