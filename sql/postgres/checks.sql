-- Checks over the loaded tables, one row per check, named as sql/etl/09_checks.sql names them:
-- row counts, and orphan foreign keys (0 whenever the constraints hold).

select 'rows: members' as check_name, count(*) as value from members
union all select 'rows: groups', count(*) from groups
union all select 'rows: topics', count(*) from topics
union all select 'rows: group_topics', count(*) from group_topics
union all select 'rows: venues', count(*) from venues
union all select 'rows: events', count(*) from events
union all select 'rows: rsvps', count(*) from rsvps
union all
select 'orphans: group_topics.group_id', count(*)
from group_topics where not exists (select from groups where groups.group_id = group_topics.group_id)
union all
select 'orphans: group_topics.topic_urlkey', count(*)
from group_topics
where not exists (select from topics where topics.topic_urlkey = group_topics.topic_urlkey)
union all
select 'orphans: events.group_id', count(*)
from events where not exists (select from groups where groups.group_id = events.group_id)
union all
select 'orphans: events.venue_id', count(*)
from events
where events.venue_id is not null
    and not exists (select from venues where venues.venue_id = events.venue_id)
union all
select 'orphans: rsvps.event_id', count(*)
from rsvps where not exists (select from events where events.event_id = rsvps.event_id)
union all
select 'orphans: rsvps.member_id', count(*)
from rsvps where not exists (select from members where members.member_id = rsvps.member_id);
