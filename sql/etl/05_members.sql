-- members: one row per member, with the name and photo of the latest message about them
-- (members rename themselves).
--
--   duckdb data/lake/etl/state.duckdb -cmd "set variable lake_dir = 'data/lake'" -f sql/etl/05_members.sql

set variable lake_dir = rtrim(coalesce(getvariable('lake_dir'), 'data/lake'), '/');
set TimeZone = 'UTC';

-- PostgreSQL text cannot hold NUL characters (a JSON "\u0000"): they are dropped from texts.
create or replace temp macro without_nul(value) as replace(value, chr(0), '');

copy (
    with

    versions as (
        select object_key, line_number, mtime_ms, member_id, member_name, member_photo_url
        from rsvp_versions
    ),

    members_latest as (
        select *
        from versions
        qualify row_number() over (
            partition by member_id
            order by mtime_ms desc, object_key desc, line_number desc
        ) = 1
    ),

    final as (
        select
            member_id,
            without_nul(member_name) as member_name,
            without_nul(member_photo_url) as photo_url,
        from members_latest
    )

    select * from final
    order by member_id
) to (getvariable('lake_dir') || '/3nf/members.parquet') (format parquet, use_tmp_file true);
