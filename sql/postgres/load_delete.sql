-- Delete the rows the Parquet files no longer hold (an object removed from the raw lake, a topic
-- a group stopped listing), children before parents, inside the load's one transaction.

delete from rsvps as target
where not exists (select from stage_rsvps as staged where staged.rsvp_id = target.rsvp_id);

delete from events as target
where not exists (select from stage_events as staged where staged.event_id = target.event_id);

delete from venues as target
where not exists (select from stage_venues as staged where staged.venue_id = target.venue_id);

delete from members as target
where not exists (select from stage_members as staged where staged.member_id = target.member_id);

delete from group_topics as target
where not exists (
    select from stage_group_topics as staged
    where staged.group_id = target.group_id and staged.topic_urlkey = target.topic_urlkey
);

delete from groups as target
where not exists (select from stage_groups as staged where staged.group_id = target.group_id);

delete from topics as target
where not exists (
    select from stage_topics as staged where staged.topic_urlkey = target.topic_urlkey
);
