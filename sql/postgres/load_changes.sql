-- The staged rows that are new or differ from the table: only these are written, so a load of
-- unchanged data writes nothing, and the load can tell a bulk load (many changes: indexes and
-- foreign keys are set aside and rebuilt, far faster than row by row) from an incremental one.

analyze stage_topics, stage_groups, stage_group_topics, stage_members, stage_venues,
    stage_events, stage_rsvps;

create temp table changes_topics on commit drop as
select staged.*
from stage_topics as staged
left join topics as current using (topic_urlkey)
where current.topic_urlkey is null or row(current.*) is distinct from row(staged.*);

create temp table changes_groups on commit drop as
select staged.*
from stage_groups as staged
left join groups as current using (group_id)
where current.group_id is null or row(current.*) is distinct from row(staged.*);

create temp table changes_group_topics on commit drop as
select staged.*
from stage_group_topics as staged
left join group_topics as current using (group_id, topic_urlkey)
where current.group_id is null;

create temp table changes_members on commit drop as
select staged.*
from stage_members as staged
left join members as current using (member_id)
where current.member_id is null or row(current.*) is distinct from row(staged.*);

create temp table changes_venues on commit drop as
select staged.*
from stage_venues as staged
left join venues as current using (venue_id)
where current.venue_id is null or row(current.*) is distinct from row(staged.*);

create temp table changes_events on commit drop as
select staged.*
from stage_events as staged
left join events as current using (event_id)
where current.event_id is null or row(current.*) is distinct from row(staged.*);

create temp table changes_rsvps on commit drop as
select staged.*
from stage_rsvps as staged
left join rsvps as current using (rsvp_id)
where current.rsvp_id is null or row(current.*) is distinct from row(staged.*);

analyze changes_topics, changes_groups, changes_group_topics, changes_members, changes_venues,
    changes_events, changes_rsvps;
