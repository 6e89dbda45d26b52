-- Which members RSVP'd "yes" most often (the original's "most active member")?
-- Runs over the dashboard's views of <LAKE_DIR>/3nf (or in the duckdb CLI with views created
-- the same way).
with

rsvps as (
    select member_id, is_yes
    from rsvps
),

members as (
    select member_id, member_name
    from members
),

rsvps_per_member as (
    select
        member_id,
        count(*) filter (where is_yes) as yes_rsvps,
        count(*) as rsvps,
    from rsvps
    group by member_id
),

final as (
    select
        members.member_name as member,
        rsvps_per_member.yes_rsvps,
        rsvps_per_member.rsvps,
    from rsvps_per_member
    inner join members using (member_id)
    order by yes_rsvps desc, rsvps desc, member
    limit 10
)

select * from final
