-- What is each cluster of groups (by shared topics) about, and how big is it?
-- Reads the ML stage's group_clusters view (<LAKE_DIR>/ml/group_clusters.parquet:
-- group_id, cluster) beside the 3NF tables.
with

group_clusters as (
    select group_id, cluster
    from group_clusters
),

group_topics as (
    select group_id, topic_urlkey
    from group_topics
),

topics as (
    select topic_urlkey, topic_name
    from topics
),

topic_counts as (
    select
        group_clusters.cluster,
        topics.topic_name,
        count(*) as groups_with_topic,
    from group_clusters
    inner join group_topics using (group_id)
    inner join topics using (topic_urlkey)
    group by all
),

top_topics_per_cluster as (
    select
        cluster,
        string_agg(topic_name, ', ' order by groups_with_topic desc, topic_name) as top_topics,
    from (
        select *
        from topic_counts
        qualify row_number() over (
            partition by cluster order by groups_with_topic desc, topic_name
        ) <= 3
    )
    group by cluster
),

final as (
    select
        group_clusters.cluster,
        count(*) as groups,
        any_value(top_top.top_topics) as top_topics,
    from group_clusters
    left join top_topics_per_cluster as top_top using (cluster)
    group by group_clusters.cluster
    order by groups desc, cluster
)

select * from final
