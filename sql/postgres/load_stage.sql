-- Staging tables for one load: the Parquet rows arrive here by COPY, then load_upsert.sql merges
-- them. Temporary and dropped at commit, so a failed load leaves nothing behind. Like the
-- targets, minus the constraints that the upsert is there to keep.

create temp table stage_topics (like topics) on commit drop;
create temp table stage_groups (like groups) on commit drop;
create temp table stage_group_topics (like group_topics) on commit drop;
create temp table stage_members (like members) on commit drop;
create temp table stage_venues (like venues) on commit drop;
create temp table stage_events (like events) on commit drop;
create temp table stage_rsvps (like rsvps) on commit drop;
