-- The staged rows that are new or differ from the table, in two sets per table: `inserts_*`
-- (keys the table lacks) and `updates_*` (keys it has, with other values). Only these are
-- written, so a load of unchanged data writes nothing, and the load can tell a bulk load (many
-- changes: indexes and foreign keys are set aside and rebuilt, far faster than row by row) from
-- an incremental one.
--
-- The lock keeps other writers out until the load commits (readers are not blocked): no one can
-- add a key between these anti-joins and the inserts that rely on them.

lock table topics, groups, group_topics, members, venues, events, rsvps in share row exclusive mode;

analyze stage_topics, stage_groups, stage_group_topics, stage_members, stage_venues,
    stage_events, stage_rsvps;

create temp table inserts_topics on commit drop as
select staged.*
from stage_topics as staged
left join topics as current using (topic_urlkey)
where current.topic_urlkey is null;

create temp table updates_topics on commit drop as
select staged.*
from stage_topics as staged
inner join topics as current using (topic_urlkey)
where row(current.*) is distinct from row(staged.*);

create temp table inserts_groups on commit drop as
select staged.*
from stage_groups as staged
left join groups as current using (group_id)
where current.group_id is null;

create temp table updates_groups on commit drop as
select staged.*
from stage_groups as staged
inner join groups as current using (group_id)
where row(current.*) is distinct from row(staged.*);

create temp table inserts_group_topics on commit drop as
select staged.*
from stage_group_topics as staged
left join group_topics as current using (group_id, topic_urlkey)
where current.group_id is null;

-- Every column is part of the key: a row is there or it is not, never changed.
create temp table updates_group_topics on commit drop as
select * from stage_group_topics where false;

create temp table inserts_members on commit drop as
select staged.*
from stage_members as staged
left join members as current using (member_id)
where current.member_id is null;

create temp table updates_members on commit drop as
select staged.*
from stage_members as staged
inner join members as current using (member_id)
where row(current.*) is distinct from row(staged.*);

create temp table inserts_venues on commit drop as
select staged.*
from stage_venues as staged
left join venues as current using (venue_id)
where current.venue_id is null;

create temp table updates_venues on commit drop as
select staged.*
from stage_venues as staged
inner join venues as current using (venue_id)
where row(current.*) is distinct from row(staged.*);

create temp table inserts_events on commit drop as
select staged.*
from stage_events as staged
left join events as current using (event_id)
where current.event_id is null;

create temp table updates_events on commit drop as
select staged.*
from stage_events as staged
inner join events as current using (event_id)
where row(current.*) is distinct from row(staged.*);

create temp table inserts_rsvps on commit drop as
select staged.*
from stage_rsvps as staged
left join rsvps as current using (rsvp_id)
where current.rsvp_id is null;

create temp table updates_rsvps on commit drop as
select staged.*
from stage_rsvps as staged
inner join rsvps as current using (rsvp_id)
where row(current.*) is distinct from row(staged.*);
