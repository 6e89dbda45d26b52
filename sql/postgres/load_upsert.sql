-- Write the changed rows (load_changes.sql) into the 3NF tables in foreign-key order, parents
-- first, inside the load's one transaction: per table, an upsert of the rows whose values
-- changed, then an insert of the rows with new keys. The table lock taken in load_changes.sql
-- guarantees those keys are still new, so they skip ON CONFLICT's speculative insertion, which
-- makes a large insert about three times slower.

insert into topics as target
select * from updates_topics
on conflict (topic_urlkey) do update set
    topic_name = excluded.topic_name;

insert into topics
select * from inserts_topics;

insert into groups as target
select * from updates_groups
on conflict (group_id) do update set
    group_name = excluded.group_name,
    group_urlname = excluded.group_urlname,
    city = excluded.city,
    state = excluded.state,
    country = excluded.country,
    lat = excluded.lat,
    lon = excluded.lon;

insert into groups
select * from inserts_groups;

insert into group_topics
select * from inserts_group_topics;

insert into members as target
select * from updates_members
on conflict (member_id) do update set
    member_name = excluded.member_name,
    photo_url = excluded.photo_url;

insert into members
select * from inserts_members;

insert into venues as target
select * from updates_venues
on conflict (venue_id) do update set
    venue_name = excluded.venue_name,
    lat = excluded.lat,
    lon = excluded.lon;

insert into venues
select * from inserts_venues;

insert into events as target
select * from updates_events
on conflict (event_id) do update set
    group_id = excluded.group_id,
    venue_id = excluded.venue_id,
    event_name = excluded.event_name,
    event_url = excluded.event_url,
    starts_at = excluded.starts_at;

insert into events
select * from inserts_events;

insert into rsvps as target
select * from updates_rsvps
on conflict (rsvp_id) do update set
    event_id = excluded.event_id,
    member_id = excluded.member_id,
    is_yes = excluded.is_yes,
    guests = excluded.guests,
    visibility = excluded.visibility,
    modified_at = excluded.modified_at;

insert into rsvps
select * from inserts_rsvps;
