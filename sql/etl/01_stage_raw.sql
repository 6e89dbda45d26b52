-- Stage the raw lake: every new or changed object under <lake_dir>/raw/ is split into lines,
-- each line is parsed against an explicitly declared structure (never schema inference), and
-- lands either in `rsvp_versions` (typed, one row per valid line) or in `raw_rejects` (the line,
-- where it was and why it was refused). `raw_objects` remembers what was staged, so the next
-- run only parses objects it has not seen; an object that changed or disappeared has its old
-- rows replaced or removed, which keeps an incremental run equal to one run over everything.
--
-- One run stages at most `stage_bytes_max` of objects (at least one object), which bounds its
-- memory; the last row says how many objects are still pending, and the runner repeats the file
-- until none are.
--
-- Runs against the ETL state database (<lake_dir>/etl/state.duckdb):
--   duckdb data/lake/etl/state.duckdb -cmd "set variable lake_dir = 'data/lake'" -f sql/etl/01_stage_raw.sql

set variable lake_dir = rtrim(coalesce(getvariable('lake_dir'), 'data/lake'), '/');
set variable stage_bytes_max = coalesce(getvariable('stage_bytes_max'), 512 * 1024 * 1024);
set TimeZone = 'UTC';
-- Staged rows carry their own order (object_key, line_number), so inserts may run on every
-- thread in any order: about twice as fast as keeping insertion order. Reset at the end.
set preserve_insertion_order = false;

-- The state's layout version: the runner rebuilds a state database of another version from raw/
-- (it is a cache of raw/); the CLI stops here with a message instead.
create table if not exists state_version as select 2 as version;
create or replace temp table state_version_checked as
select error('The ETL state database ' || current_database()
    || ' has layout version ' || version || ', not 2: delete it, and the next run rebuilds it from raw/')
from state_version
where version <> 2;

create table if not exists raw_objects (
    object_key varchar primary key,
    size_bytes bigint not null,
    modified_at timestamptz not null,
    lines_total bigint not null,
    lines_rejected bigint not null
);

create table if not exists rsvp_versions (
    object_key varchar not null,
    line_number bigint not null,
    rsvp_id bigint not null,
    mtime_ms bigint not null,
    is_yes boolean not null,
    guests integer not null,
    visibility varchar not null,
    member_id bigint not null,
    member_name varchar not null,
    member_photo_url varchar,
    event_id varchar not null,
    event_name varchar not null,
    event_url varchar not null,
    event_time_ms bigint,
    group_id bigint not null,
    group_name varchar not null,
    group_urlname varchar not null,
    group_city varchar not null,
    group_state varchar,
    group_country varchar not null,
    group_lat double not null,
    group_lon double not null,
    -- The topic list as JSON text: only each group's latest list is ever read, and keeping the
    -- text instead of a list of structs halves the cost of staging.
    group_topics_json varchar not null,
    venue_id bigint,
    venue_name varchar,
    venue_lat double,
    venue_lon double,
);

create table if not exists raw_rejects (
    object_key varchar not null,
    line_number bigint not null,
    reason varchar not null,
    line varchar not null,
);

-- An integer as JSON writes it (text extraction keeps "1.5" from being rounded into 2).
create or replace temp macro is_integer_text(value) as coalesce(regexp_full_match(value, '-?[0-9]{1,18}'), false);

-- Epoch milliseconds between 1970 and 9999, the range both DuckDB and PostgreSQL timestamps hold.
create or replace temp macro is_epoch_ms_text(value) as
    is_integer_text(value) and try_cast(value as bigint) between 0 and 253402300799999;

-- Objects whose name starts with "." or "_", or ends in ".tmp", are writes still in progress.
set variable raw_files = (
    select coalesce(list(file order by file), [])
    from glob(getvariable('lake_dir') || '/raw/**')
    where not regexp_matches(file, '(^|/)[._][^/]*$|\.tmp$')
);

create or replace temp table raw_listing as
select
    filename as object_path,
    substr(filename, length(getvariable('lake_dir')) + 2) as object_key,
    size as size_bytes,
    last_modified as modified_at,
from read_blob(getvariable('raw_files'));

-- New objects, and objects rewritten since they were staged (another size or modification time).
create or replace temp table objects_new as
select listing.*
from raw_listing as listing
left join raw_objects as staged
    on staged.object_key = listing.object_key
    and staged.size_bytes = listing.size_bytes
    and staged.modified_at = listing.modified_at
where staged.object_key is null;

-- This run's batch: the first objects in key order up to stage_bytes_max, and at least one.
create or replace temp table objects_to_stage as
with

objects_numbered as (
    select
        *,
        sum(size_bytes) over (order by object_key rows unbounded preceding) - size_bytes
            as bytes_before,
    from objects_new
)

select object_path, object_key, size_bytes, modified_at
from objects_numbered
where bytes_before < getvariable('stage_bytes_max');

set variable files_to_stage = (
    select coalesce(list(object_path order by object_key), []) from objects_to_stage
);

-- One row per line of every object to stage, numbered from 1 as an editor would. (A lateral
-- `unnest ... with ordinality` would copy the whole object into every line's row; and the lines
-- are materialised because parsing a table runs on every thread, parsing a file scan does not.)
create or replace temp table raw_lines as
with

objects as (
    select
        filename as object_path,
        string_split(try(decode(content)), chr(10)) as lines,
    from read_blob(getvariable('files_to_stage'))
),

lines as (
    select
        object_path,
        unnest(lines) as line_text,
        generate_subscripts(lines, 1) as line_number,
    from objects
)

select
    substr(object_path, length(getvariable('lake_dir')) + 2) as object_key,
    line_number::bigint as line_number,
    line_text,
    null::varchar as escaped_line,
from lines;

-- An object that is not UTF-8 has no lines above. It is split from its escaped form instead:
-- cast to text, a BLOB writes every byte outside printable ASCII as \xNN (a newline is \x0A),
-- and each escaped piece casts back to its exact bytes, so its valid lines survive and only the
-- broken ones are rejected.
set variable files_not_utf8 = (
    select coalesce(list(object_path), [])
    from objects_to_stage
    where object_key not in (select object_key from raw_lines)
);

insert into raw_lines
with

objects as (
    select
        filename as object_path,
        string_split(content::varchar, '\x0A') as lines,
    from read_blob(getvariable('files_not_utf8'))
),

pieces as (
    select
        object_path,
        unnest(lines) as escaped_line,
        generate_subscripts(lines, 1) as line_number,
    from objects
)

select
    substr(object_path, length(getvariable('lake_dir')) + 2) as object_key,
    line_number::bigint as line_number,
    try(decode(escaped_line::blob)) as line_text,
    escaped_line,
from pieces;

-- Parse each line once into the declared structure (never inferred). Integers are taken as
-- their JSON text so that their form can be checked: DuckDB would round 1.5 into a BIGINT.
-- The first rule a line breaks is its reason; a line that breaks none is an RSVP. Blank lines
-- (after a file's last newline, a stray CRLF) carry no message: skipped, not rejected.
create or replace temp table raw_lines_checked as
with

lines as (
    select *
    from raw_lines
    where line_text is null or not regexp_full_match(line_text, '[ \t\r]*')
),

lines_parsed as (
    select
        object_key,
        line_number,
        line_text,
        escaped_line,
        try(from_json(line_text, '{
            "rsvp_id": "VARCHAR",
            "mtime": "VARCHAR",
            "response": "VARCHAR",
            "guests": "VARCHAR",
            "visibility": "VARCHAR",
            "member": {"member_id": "VARCHAR", "member_name": "VARCHAR", "photo": "VARCHAR"},
            "event": {"event_id": "VARCHAR", "event_name": "VARCHAR", "event_url": "VARCHAR", "time": "VARCHAR"},
            "group": {
                "group_id": "VARCHAR",
                "group_name": "VARCHAR",
                "group_urlname": "VARCHAR",
                "group_city": "VARCHAR",
                "group_state": "VARCHAR",
                "group_country": "VARCHAR",
                "group_lat": "DOUBLE",
                "group_lon": "DOUBLE",
                "group_topics": "JSON"
            },
            "venue": {"venue_id": "VARCHAR", "venue_name": "VARCHAR", "lat": "DOUBLE", "lon": "DOUBLE"}
        }')) as message,
    from lines
),

lines_checked as (
    select
        *,
        case
            when line_text is null then 'not-utf8'
            when message is null then 'not-json'
            -- Anything but an object parses into a structure of nulls: name it as what it is.
            when message.rsvp_id is null then case
                when json_type(line_text) <> 'OBJECT' then 'not-object'
                else 'schema: rsvp_id is missing'
            end
            when not is_integer_text(message.rsvp_id) then 'schema: rsvp_id is not an integer'
            when not is_epoch_ms_text(message.mtime)
                then 'schema: mtime is missing or not epoch milliseconds'
            when message.response is null or message.response not in ('yes', 'no')
                then 'schema: response is not "yes" or "no"'
            when not (is_integer_text(message.guests) and try_cast(message.guests as bigint) between 0 and 2147483647)
                then 'schema: guests is missing or not a count'
            when message.visibility is null then 'schema: visibility is missing'
            when not is_integer_text(message.member.member_id)
                then 'schema: member.member_id is missing or not an integer'
            when message.member.member_name is null then 'schema: member.member_name is missing'
            when coalesce(message.event.event_id, '') = ''
                then 'schema: event.event_id is missing or empty'
            when message.event.event_name is null then 'schema: event.event_name is missing'
            when message.event.event_url is null then 'schema: event.event_url is missing'
            when message.event.time is not null and not is_epoch_ms_text(message.event.time)
                then 'schema: event.time is not epoch milliseconds'
            when not is_integer_text(message.group.group_id)
                then 'schema: group.group_id is missing or not an integer'
            when message.group.group_name is null then 'schema: group.group_name is missing'
            when message.group.group_urlname is null then 'schema: group.group_urlname is missing'
            when message.group.group_city is null then 'schema: group.group_city is missing'
            when not coalesce(regexp_full_match(message.group.group_country, '[a-z]{2}'), false)
                then 'schema: group.group_country is not a lower-case ISO-2 code'
            when not coalesce(message.group.group_lat between -90 and 90, false)
                then 'schema: group.group_lat is missing or not a latitude'
            when not coalesce(message.group.group_lon between -180 and 180, false)
                then 'schema: group.group_lon is missing or not a longitude'
            when coalesce(json_type(message.group.group_topics), '') <> 'ARRAY'
                then 'schema: group.group_topics is missing or not an array'
            when not coalesce(list_bool_and(list_transform(
                    from_json(message.group.group_topics, '[{"urlkey": "VARCHAR", "topic_name": "VARCHAR"}]'),
                    lambda topic: coalesce(topic.urlkey <> '' and topic.topic_name is not null, false)
                )), true)
                then 'schema: group.group_topics has an entry without urlkey or topic_name'
            when message.venue is null then null
            when not is_integer_text(message.venue.venue_id)
                then 'schema: venue.venue_id is missing or not an integer'
            when message.venue.venue_name is null then 'schema: venue.venue_name is missing'
            when not coalesce(message.venue.lat between -90 and 90, false)
                then 'schema: venue.lat is missing or not a latitude'
            when not coalesce(message.venue.lon between -180 and 180, false)
                then 'schema: venue.lon is missing or not a longitude'
        end as reject_reason,
    from lines_parsed
)

select
    object_key,
    line_number,
    reject_reason,
    case when reject_reason is null then message end as message,
    case when reject_reason is not null then coalesce(line_text, escaped_line) end as rejected_line,
from lines_checked;

-- Replace what changed in one transaction: a reader of the state never sees half a run.
begin transaction;

delete from rsvp_versions
where object_key in (select object_key from objects_to_stage)
    or object_key not in (select object_key from raw_listing);

delete from raw_rejects
where object_key in (select object_key from objects_to_stage)
    or object_key not in (select object_key from raw_listing);

delete from raw_objects
where object_key in (select object_key from objects_to_stage)
    or object_key not in (select object_key from raw_listing);

insert into rsvp_versions
select
    object_key,
    line_number,
    message.rsvp_id::bigint as rsvp_id,
    message.mtime::bigint as mtime_ms,
    message.response = 'yes' as is_yes,
    message.guests::integer as guests,
    message.visibility as visibility,
    message.member.member_id::bigint as member_id,
    message.member.member_name as member_name,
    message.member.photo as member_photo_url,
    message.event.event_id as event_id,
    message.event.event_name as event_name,
    message.event.event_url as event_url,
    message.event.time::bigint as event_time_ms,
    message.group.group_id::bigint as group_id,
    message.group.group_name as group_name,
    message.group.group_urlname as group_urlname,
    message.group.group_city as group_city,
    message.group.group_state as group_state,
    message.group.group_country as group_country,
    message.group.group_lat as group_lat,
    message.group.group_lon as group_lon,
    message.group.group_topics::varchar as group_topics_json,
    message.venue.venue_id::bigint as venue_id,
    message.venue.venue_name as venue_name,
    message.venue.lat as venue_lat,
    message.venue.lon as venue_lon,
from raw_lines_checked
where reject_reason is null;

insert into raw_rejects
select
    object_key,
    line_number,
    reject_reason as reason,
    rejected_line as line,
from raw_lines_checked
where reject_reason is not null;

insert into raw_objects
select
    objects.object_key,
    objects.size_bytes,
    objects.modified_at,
    count(lines.line_number) as lines_total,
    count(lines.line_number) filter (where lines.reject_reason is not null) as lines_rejected,
from objects_to_stage as objects
left join raw_lines_checked as lines using (object_key)
group by all;

commit;

-- The quarantine, for people: every rejected line with its place and reason, replaced whole.
copy (
    select object_key, line_number, reason, line
    from raw_rejects
    order by object_key, line_number
) to (getvariable('lake_dir') || '/etl/rejects.jsonl') (format json, use_tmp_file true);

reset preserve_insertion_order;

select
    (select count(*) from objects_to_stage) as objects_staged,
    (select count(*) from raw_lines_checked) as lines_staged,
    (select count(*) from raw_lines_checked where reject_reason is not null) as lines_rejected,
    (select count(*) from raw_objects) as objects_total,
    (select count(*) from objects_new) - (select count(*) from objects_to_stage) as objects_pending;
