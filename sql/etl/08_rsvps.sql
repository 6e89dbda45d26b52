-- rsvps: one row per rsvp_id, the latest version: latest mtime, and on a tie the one that
-- arrived last (object name, then line). Repeats are normal (18-25% of messages), and some of
-- them flip yes/no or change the guests.
--
--   duckdb data/lake/etl/state.duckdb -cmd "set variable lake_dir = 'data/lake'" -f sql/etl/08_rsvps.sql

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
            rsvp_id,
            event_id,
            member_id,
            is_yes,
            guests,
            visibility,
        from rsvp_versions
    ),

    rsvps_deduplicated as (
        select *
        from versions
        qualify row_number() over (
            partition by rsvp_id
            order by mtime_ms desc, object_key desc, line_number desc
        ) = 1
    ),

    final as (
        select
            rsvp_id,
            without_nul(event_id) as event_id,
            member_id,
            is_yes,
            guests,
            without_nul(visibility) as visibility,
            make_timestamptz(mtime_ms * 1000) as modified_at,
        from rsvps_deduplicated
    )

    select * from final
    order by rsvp_id
) to (getvariable('lake_dir') || '/3nf/rsvps.parquet') (format parquet, use_tmp_file true);
