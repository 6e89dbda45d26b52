-- venues: one row per venue, as the latest message that mentions it describes it. A position of
-- exactly (0, 0) is Meetup's way of saying "unknown": null here. Messages without a venue (about
-- a fifth) contribute nothing.
--
--   duckdb data/lake/etl/state.duckdb -cmd "set variable lake_dir = 'data/lake'" -f sql/etl/06_venues.sql

set variable lake_dir = rtrim(coalesce(getvariable('lake_dir'), 'data/lake'), '/');
set TimeZone = 'UTC';

-- PostgreSQL text cannot hold NUL characters (a JSON "\u0000"): they are dropped from texts.
create or replace temp macro without_nul(value) as replace(value, chr(0), '');

copy (
    with

    versions as (
        select object_key, line_number, mtime_ms, venue_id, venue_name, venue_lat, venue_lon
        from rsvp_versions
        where venue_id is not null
    ),

    venues_latest as (
        select *
        from versions
        qualify row_number() over (
            partition by venue_id
            order by mtime_ms desc, object_key desc, line_number desc
        ) = 1
    ),

    final as (
        select
            venue_id,
            without_nul(venue_name) as venue_name,
            case when not (venue_lat = 0 and venue_lon = 0) then venue_lat::decimal(9, 6) end as lat,
            case when not (venue_lat = 0 and venue_lon = 0) then venue_lon::decimal(9, 6) end as lon,
        from venues_latest
    )

    select * from final
    order by venue_id
) to (getvariable('lake_dir') || '/3nf/venues.parquet') (format parquet, use_tmp_file true);
