-- One checksum per 3NF table, computed exactly as sql/etl/10_checksums.sql computes it over the
-- Parquet files: each row rendered as text in a canonical form (NULL as \N, timestamps as epoch
-- milliseconds, booleans as true/false, numerics at their scale), hashed with md5, and the first
-- 60 bits of the hashes summed. Equal checksums mean the same rows, in any order.

with

rows_as_text as (
    select 'members' as table_name, concat_ws(chr(31),
        coalesce(member_id::text, '\N'), coalesce(member_name, '\N'), coalesce(photo_url, '\N')
    ) as row_text
    from members
    union all
    select 'groups', concat_ws(chr(31),
        coalesce(group_id::text, '\N'), coalesce(group_name, '\N'),
        coalesce(group_urlname, '\N'), coalesce(city, '\N'), coalesce(state, '\N'),
        coalesce(country, '\N'), coalesce(lat::text, '\N'), coalesce(lon::text, '\N')
    )
    from groups
    union all
    select 'topics', concat_ws(chr(31), coalesce(topic_urlkey, '\N'), coalesce(topic_name, '\N'))
    from topics
    union all
    select 'group_topics', concat_ws(chr(31),
        coalesce(group_id::text, '\N'), coalesce(topic_urlkey, '\N')
    )
    from group_topics
    union all
    select 'venues', concat_ws(chr(31),
        coalesce(venue_id::text, '\N'), coalesce(venue_name, '\N'),
        coalesce(lat::text, '\N'), coalesce(lon::text, '\N')
    )
    from venues
    union all
    select 'events', concat_ws(chr(31),
        coalesce(event_id, '\N'), coalesce(group_id::text, '\N'), coalesce(venue_id::text, '\N'),
        coalesce(event_name, '\N'), coalesce(event_url, '\N'),
        coalesce((extract(epoch from starts_at) * 1000)::bigint::text, '\N')
    )
    from events
    union all
    select 'rsvps', concat_ws(chr(31),
        coalesce(rsvp_id::text, '\N'), coalesce(event_id, '\N'), coalesce(member_id::text, '\N'),
        coalesce(is_yes::text, '\N'), coalesce(guests::text, '\N'), coalesce(visibility, '\N'),
        coalesce((extract(epoch from modified_at) * 1000)::bigint::text, '\N')
    )
    from rsvps
)

select
    table_name,
    count(*) as row_count,
    coalesce(sum(('x' || substr(md5(row_text), 1, 15))::bit(60)::bigint), 0)::text as checksum
from rows_as_text
group by table_name
order by table_name;
