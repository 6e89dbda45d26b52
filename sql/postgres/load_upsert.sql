-- Merge the staged rows into the 3NF tables, inside the load's one transaction: inserts and
-- updates in foreign-key order (parents first), then deletes of rows the Parquet files no longer
-- hold, children first. A row that did not change is not rewritten (`is distinct from`), so a
-- second run over the same data touches nothing.

analyze stage_topics, stage_groups, stage_group_topics, stage_members, stage_venues,
    stage_events, stage_rsvps;

insert into topics as target
select * from stage_topics
on conflict (topic_urlkey) do update set
    topic_name = excluded.topic_name
where (target.topic_name) is distinct from (excluded.topic_name);

insert into groups as target
select * from stage_groups
on conflict (group_id) do update set
    group_name = excluded.group_name,
    group_urlname = excluded.group_urlname,
    city = excluded.city,
    state = excluded.state,
    country = excluded.country,
    lat = excluded.lat,
    lon = excluded.lon
where (target.group_name, target.group_urlname, target.city, target.state, target.country,
        target.lat, target.lon)
    is distinct from (excluded.group_name, excluded.group_urlname, excluded.city,
        excluded.state, excluded.country, excluded.lat, excluded.lon);

insert into group_topics
select * from stage_group_topics
on conflict (group_id, topic_urlkey) do nothing;

insert into members as target
select * from stage_members
on conflict (member_id) do update set
    member_name = excluded.member_name,
    photo_url = excluded.photo_url
where (target.member_name, target.photo_url)
    is distinct from (excluded.member_name, excluded.photo_url);

insert into venues as target
select * from stage_venues
on conflict (venue_id) do update set
    venue_name = excluded.venue_name,
    lat = excluded.lat,
    lon = excluded.lon
where (target.venue_name, target.lat, target.lon)
    is distinct from (excluded.venue_name, excluded.lat, excluded.lon);

insert into events as target
select * from stage_events
on conflict (event_id) do update set
    group_id = excluded.group_id,
    venue_id = excluded.venue_id,
    event_name = excluded.event_name,
    event_url = excluded.event_url,
    starts_at = excluded.starts_at
where (target.group_id, target.venue_id, target.event_name, target.event_url, target.starts_at)
    is distinct from (excluded.group_id, excluded.venue_id, excluded.event_name,
        excluded.event_url, excluded.starts_at);

insert into rsvps as target
select * from stage_rsvps
on conflict (rsvp_id) do update set
    event_id = excluded.event_id,
    member_id = excluded.member_id,
    is_yes = excluded.is_yes,
    guests = excluded.guests,
    visibility = excluded.visibility,
    modified_at = excluded.modified_at
where (target.event_id, target.member_id, target.is_yes, target.guests, target.visibility,
        target.modified_at)
    is distinct from (excluded.event_id, excluded.member_id, excluded.is_yes, excluded.guests,
        excluded.visibility, excluded.modified_at);

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
