/**
 * time.ts — ISO-8601 dates to epoch seconds and back, in an explicit IANA time zone.
 *
 * The port of the demo's `isotime_to_timestamp`. Python's `datetime.fromisoformat(…).timestamp()`
 * silently used the machine's zone; here the zone is always named ("US/Central" is the demo's, an
 * IANA alias of America/Chicago). A string with its own offset ("…Z", "…-05:00") keeps it.
 *
 * @example
 * isotimeToTimestamp("2022-05-01", "US/Central");                 // 1651381200
 * isotimeToTimestamp("2022-05-01 13:30", "US/Central");           // space instead of T works too
 * timestampToIsotime(1662663265.17828, "US/Central");             // "2022-09-08T13:54:25.178280"
 * timestampToIsotime(1662663265.17828, "UTC", { offset: true });  // "2022-09-08T18:54:25.178280+00:00"
 */
import { DateTime, FixedOffsetZone, IANAZone } from "luxon";
import { badInput } from "./errors.js";

/** Throw a bad-input TiledError unless `zone` is a known IANA zone name (or alias). */
export function checkZone(zone: string): void {
  if (typeof zone !== "string" || zone.trim() === "" || !IANAZone.isValidZone(zone)) {
    throw badInput(`Unknown time zone ${JSON.stringify(zone)}: expected an IANA name such as "America/Chicago" or "US/Central".`);
  }
}


/**
 * Parse an ISO-8601 date or date-time in `zone` (unless it carries an offset) and return epoch
 * seconds. Accepts "2022", "2022-05", "2022-05-01", "2022-05-01T13:30:00.123456" and the same
 * with a space instead of "T". Invalid input or an unknown zone → TiledError "bad-input".
 */
export function isotimeToTimestamp(isotime: string, zone: string): number {
  checkZone(zone);
  if (typeof isotime !== "string" || isotime.trim() === "") {
    throw badInput(`Invalid ISO-8601 date ${JSON.stringify(isotime)}: expected e.g. "2022-05-01" or "2022-05-01T13:30:00".`);
  }
  // "2022-05-01 13:30" (Python's fromisoformat and bluesky's TimeRange accept a space) → ISO "T".
  const text = isotime.trim().replace(/^(\d{4}-\d{2}-\d{2}) (?=\d)/, "$1T");
  const parsed = DateTime.fromISO(text, { zone });
  if (!parsed.isValid) {
    const why = parsed.invalidExplanation ?? "unparsable";
    throw badInput(`Invalid ISO-8601 date ${JSON.stringify(isotime)} (${why}): expected e.g. "2022-05-01" or "2022-05-01T13:30:00".`);
  }
  if (!HAS_OFFSET.test(text)) checkWallClock(isotime, text, zone);
  // Luxon keeps milliseconds only; put back the microseconds Python's datetime would keep.
  const micro = /[T ]\d{2}:\d{2}:\d{2}[.,](\d{4,6})/.exec(text);
  const extraMicros = micro ? Number(micro[1].padEnd(6, "0")) % 1000 : 0;
  // One division of an exact integer count of microseconds gives the nearest double.
  return (parsed.toMillis() * 1000 + extraMicros) / 1e6;
}

// "Z", "+05:00", "-0500" or "+05" at the end of a date-time: the text names its own instant.
const HAS_OFFSET = /T.*(Z|[+-]\d{2}(:?\d{2})?)$/i;

/**
 * Refuse a local time that a daylight-saving change makes ambiguous (it happens twice, e.g.
 * 01:15 on 2022-11-06 in New York) or impossible (it never happens, e.g. 02:30 on 2022-03-27 in
 * Berlin). Silently picking one instant, as a plain parser does, shifts a search by an hour without
 * a word; tiled's Python client raises for these too. The message names the instants to choose from.
 */
function checkWallClock(isotime: string, text: string, zoneName: string): void {
  const wall = DateTime.fromISO(text, { zone: "UTC" });
  if (!wall.isValid) return;
  const wallMs = wall.toMillis();
  const zone = IANAZone.create(zoneName);
  const offsets = new Set([zone.offset(wallMs - 86_400_000), zone.offset(wallMs), zone.offset(wallMs + 86_400_000)]);
  // Each offset the zone uses around that day gives one candidate instant; it is real only if the
  // zone indeed has that offset at that instant.
  const valid = [...offsets].filter((o) => zone.offset(wallMs - o * 60_000) === o);
  if (valid.length === 1) return;
  const local = wall.toFormat("yyyy-MM-dd'T'HH:mm:ss");
  const withOffset = (o: number) => `${local}${DateTime.fromMillis(0, { zone: FixedOffsetZone.instance(o) }).toFormat("ZZ")}`;
  const [before, after] = [Math.max(...offsets), Math.min(...offsets)];
  if (valid.length === 0) {
    throw badInput(
      `Local time ${JSON.stringify(isotime)} does not exist in ${zoneName}: the clocks skipped it for daylight saving time. ` +
        `Write the instant you mean with an explicit offset, e.g. ${JSON.stringify(withOffset(after))} or ${JSON.stringify(withOffset(before))}.`,
    );
  }
  throw badInput(
    `Local time ${JSON.stringify(isotime)} happens twice in ${zoneName} (daylight saving time ends): ` +
      `${withOffset(before)} and ${withOffset(after)}, an hour apart. Write the one you mean with its offset.`,
  );
}

export interface IsotimeOptions {
  /** Append the UTC offset ("-05:00"). Default false, like the 2022 server's summary.datetime. */
  offset?: boolean;
}

/**
 * Format epoch seconds as ISO-8601 local time in `zone`, with microseconds as Python's
 * `datetime.isoformat()` writes them (omitted when zero), no offset unless asked.
 */
export function timestampToIsotime(epoch: number, zone: string, options: IsotimeOptions = {}): string {
  checkZone(zone);
  if (typeof epoch !== "number" || !Number.isFinite(epoch)) {
    throw badInput(`Invalid epoch timestamp ${JSON.stringify(epoch)}: expected a finite number of seconds.`);
  }
  // Round to the microsecond as Python does, then split into whole milliseconds and the rest.
  const totalMicros = Math.round(epoch * 1e6);
  const millis = Math.floor(totalMicros / 1000);
  const micros = ((totalMicros % 1_000_000) + 1_000_000) % 1_000_000;
  const dt = DateTime.fromMillis(millis, { zone });
  let text = dt.toFormat("yyyy-MM-dd'T'HH:mm:ss");
  if (micros !== 0) text += `.${String(micros).padStart(6, "0")}`;
  if (options.offset) text += dt.toFormat("ZZ");
  return text;
}
