-- One checksum per 3NF table, computed exactly as sql/postgres/checksums.sql computes it over
-- PostgreSQL: each row is rendered as text in a canonical form (NULL as \N, timestamps as epoch
-- milliseconds, booleans as true/false, decimals at their scale), hashed with md5, and the first
-- 60 bits of the hashes are summed. Equal checksums mean the same rows, in any order.
--
--   duckdb data/lake/etl/state.duckdb -cmd "set variable lake_dir = 'data/lake'" -f sql/etl/10_checksums.sql

set variable lake_dir = rtrim(coalesce(getvariable('lake_dir'), 'data/lake'), '/');
set variable tables_dir = getvariable('lake_dir') || '/3nf/';

create or replace temp macro canonical(value) as coalesce(value::varchar, '\N');
create or replace temp macro canonical_ms(value) as coalesce(epoch_ms(value)::varchar, '\N');
create or replace temp macro hash60(row_text) as ('0x' || substr(md5(row_text), 1, 15))::bigint;

with

rows_as_text as (
    select 'members' as table_name, concat_ws(chr(31),
        canonical(member_id), canonical(member_name), canonical(photo_url)
    ) as row_text
    from read_parquet(getvariable('tables_dir') || 'members.parquet')
    union all
    select 'groups', concat_ws(chr(31),
        canonical(group_id), canonical(group_name), canonical(group_urlname), canonical(city),
        canonical(state), canonical(country), canonical(lat), canonical(lon)
    )
    from read_parquet(getvariable('tables_dir') || 'groups.parquet')
    union all
    select 'topics', concat_ws(chr(31), canonical(topic_urlkey), canonical(topic_name))
    from read_parquet(getvariable('tables_dir') || 'topics.parquet')
    union all
    select 'group_topics', concat_ws(chr(31), canonical(group_id), canonical(topic_urlkey))
    from read_parquet(getvariable('tables_dir') || 'group_topics.parquet')
    union all
    select 'venues', concat_ws(chr(31),
        canonical(venue_id), canonical(venue_name), canonical(lat), canonical(lon)
    )
    from read_parquet(getvariable('tables_dir') || 'venues.parquet')
    union all
    select 'events', concat_ws(chr(31),
        canonical(event_id), canonical(group_id), canonical(venue_id), canonical(event_name),
        canonical(event_url), canonical_ms(starts_at)
    )
    from read_parquet(getvariable('tables_dir') || 'events.parquet')
    union all
    select 'rsvps', concat_ws(chr(31),
        canonical(rsvp_id), canonical(event_id), canonical(member_id), canonical(is_yes),
        canonical(guests), canonical(visibility), canonical_ms(modified_at)
    )
    from read_parquet(getvariable('tables_dir') || 'rsvps.parquet')
),

final as (
    select
        table_name,
        count(*) as row_count,
        coalesce(sum(hash60(row_text)), 0)::varchar as checksum,
    from rows_as_text
    group by table_name
)

select * from final
order by table_name;
