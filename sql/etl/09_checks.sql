-- Checks after every run, one row per check: `value` must equal `expected`. Row counts per
-- table, no duplicate primary keys, no orphan foreign keys, and exactly one rsvps row for every
-- distinct rsvp_id among the valid raw lines.
--
--   duckdb data/lake/etl/state.duckdb -cmd "set variable lake_dir = 'data/lake'" -f sql/etl/09_checks.sql

set variable lake_dir = rtrim(coalesce(getvariable('lake_dir'), 'data/lake'), '/');
set variable tables_dir = getvariable('lake_dir') || '/3nf/';

with

members as (select * from read_parquet(getvariable('tables_dir') || 'members.parquet')),
groups as (select * from read_parquet(getvariable('tables_dir') || 'groups.parquet')),
topics as (select * from read_parquet(getvariable('tables_dir') || 'topics.parquet')),
group_topics as (select * from read_parquet(getvariable('tables_dir') || 'group_topics.parquet')),
venues as (select * from read_parquet(getvariable('tables_dir') || 'venues.parquet')),
events as (select * from read_parquet(getvariable('tables_dir') || 'events.parquet')),
rsvps as (select * from read_parquet(getvariable('tables_dir') || 'rsvps.parquet')),

row_counts as (
    select 'rows: members' as check_name, count(*) as value, null as expected from members
    union all select 'rows: groups', count(*), null from groups
    union all select 'rows: topics', count(*), null from topics
    union all select 'rows: group_topics', count(*), null from group_topics
    union all select 'rows: venues', count(*), null from venues
    union all select 'rows: events', count(*), null from events
    union all select 'rows: rsvps', count(*), null from rsvps
),

duplicate_keys as (
    select 'duplicate keys: members' as check_name, count(*) - count(distinct member_id) as value, 0 as expected from members
    union all select 'duplicate keys: groups', count(*) - count(distinct group_id), 0 from groups
    union all select 'duplicate keys: topics', count(*) - count(distinct topic_urlkey), 0 from topics
    union all select 'duplicate keys: group_topics', count(*) - count(distinct (group_id, topic_urlkey)), 0 from group_topics
    union all select 'duplicate keys: venues', count(*) - count(distinct venue_id), 0 from venues
    union all select 'duplicate keys: events', count(*) - count(distinct event_id), 0 from events
    union all select 'duplicate keys: rsvps', count(*) - count(distinct rsvp_id), 0 from rsvps
),

orphan_keys as (
    select 'orphans: group_topics.group_id' as check_name, count(*) as value, 0 as expected
    from group_topics anti join groups using (group_id)
    union all
    select 'orphans: group_topics.topic_urlkey', count(*), 0
    from group_topics anti join topics using (topic_urlkey)
    union all
    select 'orphans: events.group_id', count(*), 0
    from events anti join groups using (group_id)
    union all
    select 'orphans: events.venue_id', count(*), 0
    from events anti join venues using (venue_id)
    where events.venue_id is not null
    union all
    select 'orphans: rsvps.event_id', count(*), 0
    from rsvps anti join events using (event_id)
    union all
    select 'orphans: rsvps.member_id', count(*), 0
    from rsvps anti join members using (member_id)
),

raw_lake as (
    select 'raw: objects' as check_name, count(*) as value, null as expected from raw_objects
    union all select 'raw: lines', coalesce(sum(lines_total), 0), null from raw_objects
    union all select 'raw: lines rejected', coalesce(sum(lines_rejected), 0), null from raw_objects
    union all
    select 'raw: distinct rsvp_ids = rsvps rows', count(distinct rsvp_id), (select count(*) from rsvps)
    from rsvp_versions
),

final as (
    select * from row_counts
    union all select * from duplicate_keys
    union all select * from orphan_keys
    union all select * from raw_lake
)

select
    check_name,
    value::bigint as value,
    expected::bigint as expected,
    expected is null or value = expected as is_ok,
from final;
