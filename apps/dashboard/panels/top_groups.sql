-- Which groups drew the most "yes" RSVPs (the original's "most popular group")?
with

rsvps as (
    select event_id, is_yes
    from rsvps
),

events as (
    select event_id, group_id
    from events
),

groups as (
    select group_id, group_name, city, country
    from groups
),

rsvps_per_group as (
    select
        events.group_id,
        count(*) filter (where rsvps.is_yes) as yes_rsvps,
        count(*) as rsvps,
    from rsvps
    inner join events using (event_id)
    group by events.group_id
),

final as (
    select
        groups.group_name as "group",
        groups.city || ', ' || upper(groups.country) as place,
        rsvps_per_group.yes_rsvps,
        rsvps_per_group.rsvps,
    from rsvps_per_group
    inner join groups using (group_id)
    order by yes_rsvps desc, rsvps desc, "group"
    limit 10
)

select * from final
