-- group_topics: which topics each group lists, as of the latest message about the group (a
-- group can change its topics). A topic listed twice in one message is one row. Reads the state
-- table groups_latest_topics that 02_topics.sql writes: run that file first.
--
--   duckdb data/lake/etl/state.duckdb -cmd "set variable lake_dir = 'data/lake'" -f sql/etl/04_group_topics.sql

set variable lake_dir = rtrim(coalesce(getvariable('lake_dir'), 'data/lake'), '/');
set TimeZone = 'UTC';

-- PostgreSQL text cannot hold NUL characters (a JSON "\u0000"): they are dropped from texts.
create or replace temp macro without_nul(value) as replace(value, chr(0), '');

copy (
    with

    -- Each group's latest topic list, as 02_topics.sql left it in the state database.
    groups_latest as (
        select group_id, group_topics
        from groups_latest_topics
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
