import type { Profile } from "./profile.ts";

/**
 * One key of one dimension, interned per partition worker. It carries what stage one needs
 * per key without a hash lookup per use: a scratch counter for summing a slot's deltas, and
 * the label last sent for the key.
 */
export class KeyState {
  readonly key: string;
  /** Which summation `count` belongs to (see {@linkcode InternedKeys.stamp}). */
  stamp = 0;
  count = 0;
  /**
   * Which label pass `labelOf` belongs to: the profile whose label the key gets, the RSVP order
   * it was chosen by and, for a topic, the topic's index in the profile.
   */
  labelStamp = 0;
  labelSeq = 0;
  labelOf: Profile | undefined = undefined;
  labelIndex = -1;
  /** The label last sent: its slot and parts. */
  sentSlot = Number.NEGATIVE_INFINITY;
  a = "";
  b = "";
  c = "";
  d = "";

  constructor(key: string) {
    this.key = key;
  }

  /**
   * Whether the label `a..d` must travel with `slot`: it was not sent in the last
   * `resendSlots` slots, or not with this text. Remembers it as sent when it must.
   */
  mustSend(slot: number, resendSlots: number, a: string, b = "", c = "", d = ""): boolean {
    const same = this.a === a && this.b === b && this.c === c && this.d === d;
    if (same && this.sentSlot > slot - resendSlots) return false;
    this.sentSlot = slot;
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    return true;
  }
}

/** A profile's keys, interned: one {@linkcode KeyState} per dimension (topics: one each). */
export interface ProfileKeys {
  /** The table and generation that interned them. */
  owner: InternedKeys;
  generation: number;
  event: KeyState;
  topics: KeyState[];
  group: KeyState;
  country: KeyState;
  city: KeyState;
}

/**
 * Interned keys a worker holds before it starts over (a new generation): about 40 MB at
 * most. The synthetic 1M-RSVP benchmark holds about 100,000 per worker; the live stream, a
 * few thousand a day.
 */
const KEYS_MAX = 1 << 18;

/**
 * A partition worker's interned keys, by dimension. A profile is interned once (its
 * {@linkcode ProfileKeys} kept on it), so summing a slot's keyed deltas and choosing its labels
 * touch fields instead of hash maps. Bounded: past `KEYS_MAX` keys the table starts a new
 * generation, and profiles from an older one are interned again when next used, so no key
 * ever has two live states (the cost is that every label is sent once more).
 */
export class InternedKeys {
  #maps: Map<string, KeyState>[] = [new Map(), new Map(), new Map(), new Map(), new Map()];
  #max: number;
  #size = 0;
  #generation = 0;
  #stamp = 0;

  /** `max`: keys held before a new generation starts (tests use a few). */
  constructor(max = KEYS_MAX) {
    this.#max = max;
  }

  /**
   * A fresh stamp, at the start of a pass over a slot: counters and label choices with another
   * stamp are stale. A full table starts its new generation here, never within a pass.
   */
  stamp(): number {
    if (this.#size >= this.#max) {
      for (const map of this.#maps) map.clear();
      this.#size = 0;
      this.#generation++;
    }
    return ++this.#stamp;
  }

  /** The interned keys of `p`, interning them when they are missing or from an old generation. */
  of(p: Profile): ProfileKeys {
    const known = p.keys;
    if (known?.owner === this && known.generation === this.#generation) return known;
    const keys: ProfileKeys = {
      owner: this,
      generation: this.#generation,
      event: this.#intern(0, p.eventId),
      topics: p.topicKeys.map((key) => this.#intern(1, key)),
      group: this.#intern(2, p.groupKey),
      country: this.#intern(3, p.country),
      city: this.#intern(4, p.cityKey),
    };
    p.keys = keys;
    return keys;
  }

  #intern(dim: number, key: string): KeyState {
    const map = this.#maps[dim] as Map<string, KeyState>;
    let state = map.get(key);
    if (state === undefined) {
      state = new KeyState(key);
      map.set(key, state);
      this.#size++;
    }
    return state;
  }
}
