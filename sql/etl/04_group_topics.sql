-- group_topics: which topics each group lists, as of the latest message about the group (a
-- group can change its topics). A topic listed twice in one message is one row.
--
--   duckdb data/lake/etl/state.duckdb -cmd "set variable lake_dir = 'data/lake'" -f sql/etl/04_group_topics.sql

set variable lake_dir = rtrim(coalesce(getvariable('lake_dir'), 'data/lake'), '/');
set TimeZone = 'UTC';

-- PostgreSQL text cannot hold NUL characters (a JSON "\u0000"): they are dropped from texts.
create or replace temp macro without_nul(value) as replace(value, chr(0), '');

copy (
    with

    versions as (
        select object_key, line_number, mtime_ms, group_id
        from rsvp_versions
    ),

    -- The window sorts narrow rows only; the topic lists (the bulk of the data) are fetched and
    -- parsed for the winners afterwards, which is several times faster than sorting them along.
    groups_latest_messages as (
        select object_key, line_number
        from versions
        qualify row_number() over (
            partition by group_id
            order by mtime_ms desc, object_key desc, line_number desc
        ) = 1
    ),

    groups_latest as (
        select
            object_key,
            line_number,
            mtime_ms,
            group_id,
            from_json(group_topics_json, '[{"urlkey": "VARCHAR", "topic_name": "VARCHAR"}]')
                as group_topics,
        from rsvp_versions
        semi join groups_latest_messages using (object_key, line_number)
    ),

    group_topic_pairs as (
        select
            group_id,
            without_nul(unnest(group_topics).urlkey) as topic_urlkey,
        from groups_latest
    ),

    final as (
        select distinct
            group_id,
            topic_urlkey,
        from group_topic_pairs
    )

    select * from final
    order by group_id, topic_urlkey
) to (getvariable('lake_dir') || '/3nf/group_topics.parquet') (format parquet, use_tmp_file true);
