/*
 * The stream's fast path over one raw RSVP: a strict JSON scanner that reads the few fields the
 * stream counts by, without building the JSON value. Loaded by apps/stream/rsvp_scan.ts through
 * bun:ffi (built with gcc when the machine has it, else with Bun's built-in TinyCC).
 *
 * rsvp_scan() answers either "accept" or "do not know" (-1), never "reject": the caller then
 * takes the exact path (decodeUtf8 + JSON.parse + isRsvp of modules/rsvp). It accepts only when
 * that path would accept with the same values:
 * - the whole input is one JSON object by RFC 8259 (what JSON.parse takes), in valid UTF-8 (what
 *   decodeUtf8 takes), with no byte-order mark, nesting at most MAX_DEPTH deep;
 * - no key of the top-level object, of "member" or of "event" is escaped, and none the check reads
 *   appears twice (JSON.parse keeps the last; here that means "do not know");
 * - rsvp_id and mtime are integer literals of at most 15 digits (so safe integers), guests one of
 *   at most 15 digits and no sign, response is exactly "yes" or "no", visibility a string;
 * - member is an object with an integer member_id, a string member_name, an optional string photo
 *   and, if present, other_services, an object of objects each with a string identifier;
 * - event is an object with non-empty string event_id, string event_name and event_url and an
 *   optional integer time; group (and venue, if present) is an object.
 * The group's and venue's contents are checked only as JSON: the caller reuses a profile only
 * for event, group and venue bytes equal to those of a record the exact path accepted (a JSON
 * value's meaning does not depend on what surrounds it), and takes the exact path otherwise.
 *
 * Those bytes are kept per event in a cache (rsvp_cache_new); once the event is read, a group
 * or venue equal to the cached one is passed over by one comparison instead of being scanned,
 * which is most of the saving: the group, with its topics, is half of a record.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32

typedef struct {
  const uint8_t *p;
  const uint8_t *end;
} scanner;

typedef struct {
  const uint8_t *start;
  int32_t len;
} span;

static inline int is_ws(uint8_t c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

static inline void skip_ws(scanner *s) {
  while (s->p < s->end && *s->p <= ' ' && is_ws(*s->p)) s->p++;
}

static int is_hex(uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Eight bytes have one that is '"', '\\', a control character or not ASCII. */
static int word_has_special(uint64_t w) {
  const uint64_t ones = 0x0101010101010101ULL;
  const uint64_t highs = 0x8080808080808080ULL;
  uint64_t quote = w ^ (ones * '"');
  uint64_t slash = w ^ (ones * '\\');
  uint64_t special = ((quote - ones) & ~quote) | ((slash - ones) & ~slash) | (w - ones * 0x20);
  return ((special | w) & highs) != 0;
}

/*
 * A string token at s->p (which is '"'); 0 when valid, and *escaped says whether it held an
 * escape. Checks escapes, control characters and UTF-8 (Unicode Table 3-7, as a fatal decoder).
 */
static int scan_string(scanner *s, int *escaped) {
  const uint8_t *p = s->p + 1;
  const uint8_t *end = s->end;
  *escaped = 0;
  for (;;) {
    while (end - p >= 8) {
      uint64_t w;
      memcpy(&w, p, 8);
      if (word_has_special(w)) break;
      p += 8;
    }
    if (p >= end) return -1;
    uint8_t c = *p;
    if (c == '"') {
      s->p = p + 1;
      return 0;
    }
    if (c == '\\') {
      *escaped = 1;
      if (end - p < 2) return -1;
      c = p[1];
      if (c == 'u') {
        if (end - p < 6) return -1;
        if (!is_hex(p[2]) || !is_hex(p[3]) || !is_hex(p[4]) || !is_hex(p[5])) return -1;
        p += 6;
      } else if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' ||
                 c == 'r' || c == 't') {
        p += 2;
      } else {
        return -1;
      }
      continue;
    }
    if (c < 0x20) return -1;
    if (c < 0x80) {
      p++;
      continue;
    }
    int more;
    uint8_t lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      more = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      more = 2;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      more = 3;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return -1;
    }
    if (end - p <= more) return -1;
    if (p[1] < lo || p[1] > hi) return -1;
    for (int i = 2; i <= more; i++)
      if (p[i] < 0x80 || p[i] > 0xbf) return -1;
    p += more + 1;
  }
}

/*
 * A number token at s->p; 0 when valid. *value is set, and *integer is 1, only for an integer
 * literal of at most 15 digits (so exactly a safe integer); `unsigned_only` refuses a sign.
 */
static int scan_number(scanner *s, double *value, int *integer) {
  const uint8_t *p = s->p;
  const uint8_t *end = s->end;
  int negative = 0;
  *integer = 0;
  if (p < end && *p == '-') {
    negative = 1;
    p++;
  }
  if (p >= end) return -1;
  const uint8_t *digits = p;
  if (*p == '0') {
    p++;
  } else if (*p >= '1' && *p <= '9') {
    while (p < end && *p >= '0' && *p <= '9') p++;
  } else {
    return -1;
  }
  int plain = 1;
  if (p < end && *p == '.') {
    plain = 0;
    p++;
    if (p >= end || *p < '0' || *p > '9') return -1;
    while (p < end && *p >= '0' && *p <= '9') p++;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    plain = 0;
    p++;
    if (p < end && (*p == '+' || *p == '-')) p++;
    if (p >= end || *p < '0' || *p > '9') return -1;
    while (p < end && *p >= '0' && *p <= '9') p++;
  }
  int64_t n = 0;
  if (plain && p - digits <= 15 && !(negative && *digits == '0')) {
    for (const uint8_t *d = digits; d < p; d++) n = n * 10 + (*d - '0');
    *value = negative ? (double)-n : (double)n;
    *integer = 1;
  }
  s->p = p;
  return 0;
}

static int scan_literal(scanner *s, const char *word, int len) {
  if (s->end - s->p < len || memcmp(s->p, word, len) != 0) return -1;
  s->p += len;
  return 0;
}

static int scan_value(scanner *s, int depth);
static int scan_object(scanner *s, int depth);

static int scan_array(scanner *s, int depth) {
  if (depth > MAX_DEPTH) return -1;
  s->p++;
  skip_ws(s);
  if (s->p < s->end && *s->p == ']') {
    s->p++;
    return 0;
  }
  for (;;) {
    if (scan_value(s, depth) != 0) return -1;
    skip_ws(s);
    if (s->p >= s->end) return -1;
    if (*s->p == ']') {
      s->p++;
      return 0;
    }
    if (*s->p != ',') return -1;
    s->p++;
  }
}

/* Any JSON value (leading whitespace allowed), validated and skipped. */
static int scan_value(scanner *s, int depth) {
  skip_ws(s);
  if (s->p >= s->end) return -1;
  int escaped, integer;
  double ignored;
  switch (*s->p) {
    case '{':
      return scan_object(s, depth + 1);
    case '[':
      return scan_array(s, depth + 1);
    case '"':
      return scan_string(s, &escaped);
    case 't':
      return scan_literal(s, "true", 4);
    case 'f':
      return scan_literal(s, "false", 5);
    case 'n':
      return scan_literal(s, "null", 4);
    default:
      return scan_number(s, &ignored, &integer);
  }
}

/*
 * Walks the members of the object at s->p (which is '{'), calling `on_member` with each key
 * (raw; an escaped key is "do not know" unless `escaped_keys_ok`) and the scanner at the value,
 * which the callback must consume. Returns 0 when the object is valid and every callback
 * returned 0.
 */
typedef int (*member_fn)(void *ctx, const uint8_t *key, int32_t len, scanner *s, int depth);

static int walk_any_object(scanner *s, int depth, void *ctx, member_fn on_member,
                           int escaped_keys_ok) {
  if (depth > MAX_DEPTH) return -1;
  s->p++;
  skip_ws(s);
  if (s->p < s->end && *s->p == '}') {
    s->p++;
    return 0;
  }
  for (;;) {
    int escaped;
    if (s->p >= s->end || *s->p != '"') return -1;
    const uint8_t *key = s->p + 1;
    if (scan_string(s, &escaped) != 0 || (escaped && !escaped_keys_ok)) return -1;
    int32_t len = (int32_t)(s->p - 1 - key);
    skip_ws(s);
    if (s->p >= s->end || *s->p != ':') return -1;
    s->p++;
    skip_ws(s);
    if (s->p >= s->end || on_member(ctx, key, len, s, depth) != 0) return -1;
    skip_ws(s);
    if (s->p >= s->end) return -1;
    if (*s->p == '}') {
      s->p++;
      return 0;
    }
    if (*s->p != ',') return -1;
    s->p++;
    skip_ws(s);
  }
}

/* Walks an object whose keys the caller compares: an escaped key is "do not know". */
static int walk_object(scanner *s, int depth, void *ctx, member_fn on_member) {
  return walk_any_object(s, depth, ctx, on_member, 0);
}

static int skip_member(void *ctx, const uint8_t *key, int32_t len, scanner *s, int depth) {
  (void)ctx;
  (void)key;
  (void)len;
  return scan_value(s, depth);
}

/* Any object, validated and skipped. */
static int scan_object(scanner *s, int depth) {
  return walk_any_object(s, depth, NULL, skip_member, 1);
}

static int key_is(const uint8_t *key, int32_t len, const char *name) {
  return (int32_t)strlen(name) == len && memcmp(key, name, len) == 0;
}

/* A string value at s->p, its raw token (quotes included) in *out. */
static int take_string(scanner *s, span *out, int *escaped) {
  if (*s->p != '"') return -1;
  out->start = s->p;
  if (scan_string(s, escaped) != 0) return -1;
  out->len = (int32_t)(s->p - out->start);
  return 0;
}

static int take_integer(scanner *s, double *value) {
  int integer;
  if (scan_number(s, value, &integer) != 0 || !integer) return -1;
  return 0;
}

/* An object or array value at s->p, its bytes in *out. */
static int take_object(scanner *s, int depth, span *out) {
  if (*s->p != '{') return -1;
  out->start = s->p;
  if (scan_object(s, depth + 1) != 0) return -1;
  out->len = (int32_t)(s->p - out->start);
  return 0;
}

typedef struct {
  int seen_identifier;
} service_ctx;

static int on_service_member(void *ctx, const uint8_t *key, int32_t len, scanner *s, int depth) {
  service_ctx *c = ctx;
  if (key_is(key, len, "identifier")) {
    int escaped;
    span ignored;
    if (c->seen_identifier++) return -1;
    return take_string(s, &ignored, &escaped);
  }
  return scan_value(s, depth);
}

static int on_service(void *ctx, const uint8_t *key, int32_t len, scanner *s, int depth) {
  (void)ctx;
  /* valibot's record skips these three keys; leave such a record to the exact path. */
  if (key_is(key, len, "__proto__") || key_is(key, len, "prototype") ||
      key_is(key, len, "constructor"))
    return -1;
  if (*s->p != '{') return -1;
  service_ctx service = {0};
  if (walk_object(s, depth + 1, &service, on_service_member) != 0) return -1;
  return service.seen_identifier == 1 ? 0 : -1;
}

typedef struct {
  int id, name, photo, services;
} member_ctx;

static int on_member_field(void *ctx, const uint8_t *key, int32_t len, scanner *s, int depth) {
  member_ctx *c = ctx;
  int escaped;
  span ignored;
  double number;
  if (key_is(key, len, "member_id")) {
    if (c->id++) return -1;
    return take_integer(s, &number);
  }
  if (key_is(key, len, "member_name")) {
    if (c->name++) return -1;
    return take_string(s, &ignored, &escaped);
  }
  if (key_is(key, len, "photo")) {
    if (c->photo++) return -1;
    return take_string(s, &ignored, &escaped);
  }
  if (key_is(key, len, "other_services")) {
    if (c->services++ || *s->p != '{') return -1;
    return walk_object(s, depth + 1, NULL, on_service);
  }
  return scan_value(s, depth);
}

typedef struct {
  span id, name, url;
  int time;
} event_ctx;

static int on_event_field(void *ctx, const uint8_t *key, int32_t len, scanner *s, int depth) {
  event_ctx *c = ctx;
  int escaped;
  double number;
  if (key_is(key, len, "event_id")) {
    if (c->id.start) return -1;
    if (take_string(s, &c->id, &escaped) != 0) return -1;
    return c->id.len > 2 ? 0 : -1;
  }
  if (key_is(key, len, "event_name")) {
    if (c->name.start) return -1;
    return take_string(s, &c->name, &escaped);
  }
  if (key_is(key, len, "event_url")) {
    if (c->url.start) return -1;
    return take_string(s, &c->url, &escaped);
  }
  if (key_is(key, len, "time")) {
    if (c->time++) return -1;
    return take_integer(s, &number);
  }
  return scan_value(s, depth);
}

/* One cached profile key: the event's tokens, then the group's and venue's bytes. */
typedef struct {
  uint8_t *bytes; /* event id, name, url tokens; group; venue (none when absent) */
  int32_t id_len, name_len, url_len, group_len, venue_len; /* venue_len -1: no venue */
  int32_t profile;
} entry;

/* An open-addressing table of entries by the hash of their event tokens. */
typedef struct {
  entry *slots;
  uint64_t *hashes; /* 0: empty */
  int32_t capacity; /* a power of two, at least twice the entries it may hold */
  int32_t used;
  /* Where the last scan found what a put stores, as offsets into its bytes. */
  int32_t last_id, last_id_len, last_name, last_name_len, last_url, last_url_len;
  int32_t last_group, last_group_len, last_venue, last_venue_len;
  uint64_t last_hash;
  /* The length of the record the last scan accepted without a match; -1 after any other. */
  int32_t last_len;
} cache;

typedef struct {
  double id, mtime;
  int yes;
  cache *cache;
  const entry *candidate;
  uint64_t event_hash;
  int seen_id, seen_mtime, seen_response, seen_guests, seen_visibility, seen_member, seen_event;
  int seen_group, seen_venue;
  event_ctx event;
  span group, venue;
} rsvp_ctx;

/* A 64-bit hash of `len` bytes, chained from `h` (multiply-xorshift over 8-byte words). */
static uint64_t hash_bytes(const uint8_t *p, int32_t len, uint64_t h) {
  h ^= (uint64_t)len * 0x9e3779b97f4a7c15ULL;
  int32_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
  }
  uint64_t tail = 0;
  for (int32_t j = 0; i + j < len; j++) tail |= (uint64_t)p[i + j] << (8 * j);
  h = (h ^ tail) * 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 29);
}

static uint64_t event_hash(const event_ctx *e) {
  uint64_t h = hash_bytes(e->id.start, e->id.len, 0);
  h = hash_bytes(e->name.start, e->name.len, h);
  h = hash_bytes(e->url.start, e->url.len, h);
  return h == 0 ? 1 : h;
}

static int entry_has_event(const entry *x, const event_ctx *e) {
  const uint8_t *b = x->bytes;
  return x->id_len == e->id.len && x->name_len == e->name.len && x->url_len == e->url.len &&
         memcmp(b, e->id.start, e->id.len) == 0 &&
         memcmp(b + x->id_len, e->name.start, e->name.len) == 0 &&
         memcmp(b + x->id_len + x->name_len, e->url.start, e->url.len) == 0;
}

static const uint8_t *entry_group(const entry *x) {
  return x->bytes + x->id_len + x->name_len + x->url_len;
}

static const uint8_t *entry_venue(const entry *x) { return entry_group(x) + x->group_len; }

/* The slot of the entry for this event (hash `h`), or the empty slot where it would go. */
static int32_t find_slot(const cache *c, uint64_t h, const event_ctx *e) {
  int32_t mask = c->capacity - 1;
  int32_t i = (int32_t)(h & (uint64_t)mask);
  while (c->hashes[i] != 0) {
    if (c->hashes[i] == h && entry_has_event(&c->slots[i], e)) return i;
    i = (i + 1) & mask;
  }
  return i;
}

/* A group or venue value: skipped by comparison when it equals the candidate's, else scanned. */
static int take_cached_object(scanner *s, int depth, span *out, const uint8_t *known, int32_t len) {
  if (*s->p != '{') return -1;
  if (known != NULL && s->end - s->p >= len && memcmp(s->p, known, len) == 0) {
    out->start = s->p;
    out->len = len;
    s->p += len;
    return 0;
  }
  return take_object(s, depth, out);
}

static int on_rsvp_field(void *ctx, const uint8_t *key, int32_t len, scanner *s, int depth) {
  rsvp_ctx *c = ctx;
  int escaped;
  span token;
  double number;
  if (key_is(key, len, "rsvp_id")) {
    if (c->seen_id++) return -1;
    return take_integer(s, &c->id);
  }
  if (key_is(key, len, "mtime")) {
    if (c->seen_mtime++) return -1;
    return take_integer(s, &c->mtime);
  }
  if (key_is(key, len, "response")) {
    if (c->seen_response++ || take_string(s, &token, &escaped) != 0) return -1;
    if (token.len == 5 && memcmp(token.start, "\"yes\"", 5) == 0) {
      c->yes = 1;
      return 0;
    }
    if (token.len == 4 && memcmp(token.start, "\"no\"", 4) == 0) {
      c->yes = 0;
      return 0;
    }
    return -1;
  }
  if (key_is(key, len, "guests")) {
    if (c->seen_guests++ || *s->p == '-') return -1;
    return take_integer(s, &number);
  }
  if (key_is(key, len, "visibility")) {
    if (c->seen_visibility++) return -1;
    return take_string(s, &token, &escaped);
  }
  if (key_is(key, len, "member")) {
    if (c->seen_member++ || *s->p != '{') return -1;
    member_ctx member = {0};
    if (walk_object(s, depth + 1, &member, on_member_field) != 0) return -1;
    return member.id == 1 && member.name == 1 ? 0 : -1;
  }
  if (key_is(key, len, "event")) {
    if (c->seen_event++ || *s->p != '{') return -1;
    if (walk_object(s, depth + 1, &c->event, on_event_field) != 0) return -1;
    if (!(c->event.id.start && c->event.name.start && c->event.url.start)) return -1;
    c->event_hash = event_hash(&c->event);
    int32_t slot = find_slot(c->cache, c->event_hash, &c->event);
    if (c->cache->hashes[slot] != 0) c->candidate = &c->cache->slots[slot];
    return 0;
  }
  const entry *e = c->candidate;
  if (key_is(key, len, "group")) {
    if (c->seen_group++) return -1;
    return take_cached_object(s, depth, &c->group, e ? entry_group(e) : NULL, e ? e->group_len : 0);
  }
  if (key_is(key, len, "venue")) {
    if (c->seen_venue++) return -1;
    int known = e != NULL && e->venue_len >= 0;
    return take_cached_object(s, depth, &c->venue, known ? entry_venue(e) : NULL,
                              known ? e->venue_len : 0);
  }
  return scan_value(s, depth);
}

static int same_bytes(span a, const uint8_t *b, int32_t b_len) {
  return a.len == b_len && memcmp(a.start, b, b_len) == 0;
}

/*
 * Scans one raw RSVP of `len` bytes against the cache `c`. On accept writes out[0] = rsvp_id,
 * out[1] = mtime, out[2] = 1 for "yes" else 0, out[3] = the profile of the cached entry whose
 * event, group and venue bytes equal the record's, and returns 1; returns 0 when accepted but no
 * entry matches (out[3] = -1; rsvp_cache_put() then stores this record's), -1 for "do not know".
 */
int32_t rsvp_scan(void *cache_ptr, const uint8_t *bytes, int32_t len, double *out) {
  cache *cch = cache_ptr;
  cch->last_len = -1;
  if (bytes == NULL || len <= 0) return -1;
  scanner s = {bytes, bytes + len};
  rsvp_ctx c;
  memset(&c, 0, sizeof c);
  c.cache = cch;
  skip_ws(&s);
  if (s.p >= s.end || *s.p != '{') return -1;
  if (walk_object(&s, 1, &c, on_rsvp_field) != 0) return -1;
  skip_ws(&s);
  if (s.p != s.end) return -1;
  if (!(c.seen_id && c.seen_mtime && c.seen_response && c.seen_guests && c.seen_visibility &&
        c.seen_member && c.seen_event && c.seen_group))
    return -1;
  out[0] = c.id;
  out[1] = c.mtime;
  out[2] = c.yes;
  /* The group (or venue) may have come before the event, so compare once more here. */
  const entry *e = c.candidate;
  if (e != NULL && same_bytes(c.group, entry_group(e), e->group_len) &&
      (c.seen_venue ? e->venue_len >= 0 && same_bytes(c.venue, entry_venue(e), e->venue_len)
                    : e->venue_len < 0)) {
    out[3] = e->profile;
    return 1;
  }
  out[3] = -1;
  cch->last_hash = c.event_hash;
  cch->last_id = (int32_t)(c.event.id.start - bytes);
  cch->last_id_len = c.event.id.len;
  cch->last_name = (int32_t)(c.event.name.start - bytes);
  cch->last_name_len = c.event.name.len;
  cch->last_url = (int32_t)(c.event.url.start - bytes);
  cch->last_url_len = c.event.url.len;
  cch->last_group = (int32_t)(c.group.start - bytes);
  cch->last_group_len = c.group.len;
  cch->last_venue = c.seen_venue ? (int32_t)(c.venue.start - bytes) : 0;
  cch->last_venue_len = c.seen_venue ? c.venue.len : -1;
  cch->last_len = len;
  return 0;
}

/* A cache for up to `entries` keys (at most 2^28); NULL when out of memory or too many. */
void *rsvp_cache_new(int32_t entries) {
  if (entries < 1 || entries > (1 << 28)) return NULL;
  cache *c = calloc(1, sizeof(cache));
  if (c == NULL) return NULL;
  int32_t capacity = 16;
  while (capacity < entries * 2) capacity *= 2;
  c->capacity = capacity;
  c->last_len = -1;
  c->slots = calloc((size_t)capacity, sizeof(entry));
  c->hashes = calloc((size_t)capacity, sizeof(uint64_t));
  if (c->slots == NULL || c->hashes == NULL) {
    free(c->slots);
    free(c->hashes);
    free(c);
    return NULL;
  }
  return c;
}

/* Forgets every entry. */
void rsvp_cache_clear(void *cache_ptr) {
  cache *c = cache_ptr;
  for (int32_t i = 0; i < c->capacity; i++) {
    if (c->hashes[i] != 0) free(c->slots[i].bytes);
    c->hashes[i] = 0;
  }
  c->used = 0;
}

void rsvp_cache_free(void *cache_ptr) {
  cache *c = cache_ptr;
  rsvp_cache_clear(c);
  free(c->slots);
  free(c->hashes);
  free(c);
}

/*
 * Stores the key of the record the last rsvp_scan() accepted without a match (`bytes` and `len`
 * are that record's) under `profile`, replacing the event's earlier entry. Returns the entries
 * held, or -1 when the last scan did not return 0 or was of another length, when full (clear
 * first) or out of memory.
 */
int32_t rsvp_cache_put(void *cache_ptr, const uint8_t *bytes, int32_t len, int32_t profile) {
  cache *c = cache_ptr;
  if (bytes == NULL || c->last_len < 0 || len != c->last_len) return -1;
  c->last_len = -1;
  if ((c->used + 1) * 2 > c->capacity) return -1;
  event_ctx e;
  e.id.start = bytes + c->last_id;
  e.id.len = c->last_id_len;
  e.name.start = bytes + c->last_name;
  e.name.len = c->last_name_len;
  e.url.start = bytes + c->last_url;
  e.url.len = c->last_url_len;
  int32_t venue_len = c->last_venue_len < 0 ? 0 : c->last_venue_len;
  int32_t total = e.id.len + e.name.len + e.url.len + c->last_group_len + venue_len;
  uint8_t *b = malloc((size_t)total);
  if (b == NULL) return -1;
  uint8_t *w = b;
  memcpy(w, e.id.start, e.id.len);
  w += e.id.len;
  memcpy(w, e.name.start, e.name.len);
  w += e.name.len;
  memcpy(w, e.url.start, e.url.len);
  w += e.url.len;
  memcpy(w, bytes + c->last_group, c->last_group_len);
  w += c->last_group_len;
  memcpy(w, bytes + c->last_venue, venue_len);
  int32_t slot = find_slot(c, c->last_hash, &e);
  if (c->hashes[slot] != 0) {
    free(c->slots[slot].bytes);
  } else {
    c->used++;
  }
  c->hashes[slot] = c->last_hash;
  entry *x = &c->slots[slot];
  x->bytes = b;
  x->id_len = e.id.len;
  x->name_len = e.name.len;
  x->url_len = e.url.len;
  x->group_len = c->last_group_len;
  x->venue_len = c->last_venue_len;
  x->profile = profile;
  return c->used;
}
