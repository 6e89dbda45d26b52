-- Staging tables for one load: the Parquet rows arrive here by COPY, then load_changes.sql,
-- load_upsert.sql and load_delete.sql merge them. Temporary and dropped at commit, so a failed
-- load leaves nothing behind. The same columns as the targets, without their constraints: the
-- targets' constraints check the rows when they are merged.

create temp table stage_topics (like topics) on commit drop;
create temp table stage_groups (like groups) on commit drop;
create temp table stage_group_topics (like group_topics) on commit drop;
create temp table stage_members (like members) on commit drop;
create temp table stage_venues (like venues) on commit drop;
create temp table stage_events (like events) on commit drop;
create temp table stage_rsvps (like rsvps) on commit drop;
