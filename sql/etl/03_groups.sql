-- groups: one row per group, with the attributes of the latest message about it (groups get
-- renamed). A position of exactly (0, 0) is Meetup's way of saying "unknown": null here.
--
--   duckdb data/lake/etl/state.duckdb -cmd "set variable lake_dir = 'data/lake'" -f sql/etl/03_groups.sql

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
            group_id,
            group_name,
            group_urlname,
            group_city,
            group_state,
            group_country,
            group_lat,
            group_lon,
        from rsvp_versions
    ),

    groups_latest as (
        select *
        from versions
        qualify row_number() over (
            partition by group_id
            order by mtime_ms desc, object_key desc, line_number desc
        ) = 1
    ),

    final as (
        select
            group_id,
            without_nul(group_name) as group_name,
            without_nul(group_urlname) as group_urlname,
            without_nul(group_city) as city,
            without_nul(group_state) as state,
            group_country as country,
            case when not (group_lat = 0 and group_lon = 0) then group_lat::decimal(9, 6) end as lat,
            case when not (group_lat = 0 and group_lon = 0) then group_lon::decimal(9, 6) end as lon,
        from groups_latest
    )

    select * from final
    order by group_id
) to (getvariable('lake_dir') || '/3nf/groups.parquet') (format parquet, use_tmp_file true);
