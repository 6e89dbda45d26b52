-- Migration 1: the 3NF schema, the same tables and columns as the Parquet files under
-- <lake_dir>/3nf/ (see docs/er.md). Natural keys throughout: Meetup's own ids, and the topic
-- urlkey. Texts are `text`; coordinates are numeric(9, 6) (about 0.1 m, exact, so that Parquet
-- and PostgreSQL checksums agree to the digit); times are UTC `timestamptz`.

create table topics (
    topic_urlkey text primary key check (topic_urlkey <> ''),
    topic_name text not null
);

create table groups (
    group_id bigint primary key,
    group_name text not null,
    group_urlname text not null,
    city text not null,
    state text,
    country text not null check (country ~ '^[a-z]{2}$'),
    lat numeric(9, 6) check (lat between -90 and 90),
    lon numeric(9, 6) check (lon between -180 and 180),
    constraint groups_position_check check ((lat is null) = (lon is null))
);

create table group_topics (
    group_id bigint not null references groups (group_id),
    topic_urlkey text not null references topics (topic_urlkey),
    primary key (group_id, topic_urlkey)
);

create table members (
    member_id bigint primary key,
    member_name text not null,
    photo_url text
);

create table venues (
    venue_id bigint primary key,
    venue_name text not null,
    lat numeric(9, 6) check (lat between -90 and 90),
    lon numeric(9, 6) check (lon between -180 and 180),
    constraint venues_position_check check ((lat is null) = (lon is null))
);

create table events (
    event_id text primary key check (event_id <> ''),
    group_id bigint not null references groups (group_id),
    venue_id bigint references venues (venue_id),
    event_name text not null,
    event_url text not null,
    starts_at timestamptz
);

create table rsvps (
    rsvp_id bigint primary key,
    event_id text not null references events (event_id),
    member_id bigint not null references members (member_id),
    is_yes boolean not null,
    guests integer not null check (guests >= 0),
    visibility text not null,
    modified_at timestamptz not null
);

-- The joins the EDA questions make: RSVPs by event and by member, events by group and venue,
-- groups by topic, and recent RSVPs by time.
create index group_topics_topic_urlkey_idx on group_topics (topic_urlkey);
create index events_group_id_idx on events (group_id);
create index events_venue_id_idx on events (venue_id);
create index rsvps_event_id_idx on rsvps (event_id);
create index rsvps_member_id_idx on rsvps (member_id);
create index rsvps_modified_at_idx on rsvps (modified_at);
