import * as v from "valibot";

/**
 * The RSVP message exactly as the Meetup stream sent it. Optional fields are absent, never null
 * (see `../shared/data/rsvps/README.md`); unknown keys are ignored, so a new field upstream does
 * not reject a message.
 */
const int = v.pipe(v.number(), v.safeInteger());
const coordinate = v.pipe(v.number(), v.finite());

const topicSchema = v.object({
  urlkey: v.string(),
  topic_name: v.string(),
});

const otherServiceSchema = v.object({ identifier: v.string() });

export const memberSchema = v.object({
  member_id: int,
  member_name: v.string(),
  photo: v.optional(v.string()),
  other_services: v.optional(v.record(v.string(), otherServiceSchema)),
});

export const eventSchema = v.object({
  event_id: v.pipe(v.string(), v.minLength(1)),
  event_name: v.string(),
  event_url: v.string(),
  time: v.optional(int),
});

export const groupSchema = v.object({
  group_id: int,
  group_name: v.string(),
  group_city: v.string(),
  group_country: v.pipe(v.string(), v.regex(/^[a-z]{2}$/, "lower-case ISO-2 country")),
  group_state: v.optional(v.string()),
  group_urlname: v.string(),
  group_lat: coordinate,
  group_lon: coordinate,
  group_topics: v.array(topicSchema),
});

export const venueSchema = v.object({
  venue_id: int,
  venue_name: v.string(),
  lat: coordinate,
  lon: coordinate,
});

export const rsvpSchema = v.object({
  rsvp_id: int,
  mtime: int,
  response: v.picklist(["yes", "no"]),
  guests: v.pipe(int, v.minValue(0)),
  visibility: v.string(),
  member: memberSchema,
  event: eventSchema,
  group: groupSchema,
  venue: v.optional(venueSchema),
});

/** One RSVP, typed. */
export type Rsvp = v.InferOutput<typeof rsvpSchema>;
export type Member = v.InferOutput<typeof memberSchema>;
export type MeetupEvent = v.InferOutput<typeof eventSchema>;
export type Group = v.InferOutput<typeof groupSchema>;
export type Venue = v.InferOutput<typeof venueSchema>;
export type GroupTopic = v.InferOutput<typeof topicSchema>;
