-- Which topics do the groups with the most "yes" RSVPs share?
with

rsvps as (
    select event_id, is_yes
    from rsvps
),

events as (
    select event_id, group_id
    from events
),

group_topics as (
    select group_id, topic_urlkey
    from group_topics
),

topics as (
    select topic_urlkey, topic_name
    from topics
),

yes_rsvps_per_group as (
    select
        events.group_id,
        count(*) filter (where rsvps.is_yes) as yes_rsvps,
    from rsvps
    inner join events using (event_id)
    group by events.group_id
),

topics_ranked as (
    select
        group_topics.topic_urlkey,
        count(*) as groups,
        coalesce(sum(yes_rsvps_per_group.yes_rsvps), 0) as yes_rsvps,
    from group_topics
    left join yes_rsvps_per_group using (group_id)
    group by group_topics.topic_urlkey
),

final as (
    select
        topics.topic_name as topic,
        topics_ranked.groups,
        topics_ranked.yes_rsvps,
    from topics_ranked
    inner join topics using (topic_urlkey)
    order by yes_rsvps desc, groups desc, topic
    limit 10
)

select * from final
