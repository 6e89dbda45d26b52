-- topics: one row per topic urlkey that some group lists as of its latest message, named as
-- the most recent of those messages names it. (Built from each group's latest topic list, so
-- it holds exactly the topics group_topics references.) Also writes the state table
-- groups_latest_topics, which 04_group_topics.sql reads: run this file first.
--
--   duckdb data/lake/etl/state.duckdb -cmd "set variable lake_dir = 'data/lake'" -f sql/etl/02_topics.sql

set variable lake_dir = rtrim(coalesce(getvariable('lake_dir'), 'data/lake'), '/');
set TimeZone = 'UTC';

-- PostgreSQL text cannot hold NUL characters (a JSON "\u0000"): they are dropped from texts.
create or replace temp macro without_nul(value) as replace(value, chr(0), '');

-- Each group's latest message and topic list, kept in the state database because
-- 04_group_topics.sql reads it too: the window over every version runs once per ETL run.
create or replace table groups_latest_topics as
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

final as (
    select
        object_key,
        line_number,
        mtime_ms,
        group_id,
        from_json(group_topics_json, '[{"urlkey": "VARCHAR", "topic_name": "VARCHAR"}]')
            as group_topics,
    from rsvp_versions
    semi join groups_latest_messages using (object_key, line_number)
)

select * from final;

copy (
    with

    groups_latest as (
        select object_key, line_number, mtime_ms, group_topics
        from groups_latest_topics
    ),

    topic_mentions as (
        select
            object_key,
            line_number,
            mtime_ms,
            unnest(group_topics, recursive := true),
        from groups_latest
    ),

    topics_latest as (
        select *
        from topic_mentions
        qualify row_number() over (
            partition by urlkey
            order by mtime_ms desc, object_key desc, line_number desc
        ) = 1
    ),

    final as (
        select
            without_nul(urlkey) as topic_urlkey,
            without_nul(topic_name) as topic_name,
        from topics_latest
    )

    select * from final
    order by topic_urlkey
) to (getvariable('lake_dir') || '/3nf/topics.parquet') (format parquet, use_tmp_file true);
