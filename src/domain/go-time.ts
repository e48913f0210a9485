/** The zone timestamps are shown in: a fixed offset and the abbreviation Go prints after it. */
export interface DisplayZone {
  readonly offsetMinutes: number;
  readonly abbreviation: string;
}

export const UTC: DisplayZone = { offsetMinutes: 0, abbreviation: "UTC" };

const NAMED_ZONES: Record<string, DisplayZone> = {
  UTC,
  CST: { offsetMinutes: 8 * 60, abbreviation: "CST" },
};

/** Parses `UTC`, `CST` (China Standard Time, +0800) or an explicit `+0800 CST` / `-0530 XYZ`. */
export function parseDisplayZone(text: string): DisplayZone | undefined {
  const named = NAMED_ZONES[text];
  if (named) return named;
  const match = /^([+-])(\d{2})(\d{2}) ([A-Za-z][A-Za-z0-9+-]{0,9})$/.exec(text);
  if (!match) return undefined;
  const [, sign, hours, minutes, abbreviation] = match;
  const total = Number(hours) * 60 + Number(minutes);
  if (Number(minutes) > 59 || total > 14 * 60 || !abbreviation) return undefined;
  return { offsetMinutes: sign === "-" ? -total : total, abbreviation };
}

const pad = (value: number, width = 2) => String(value).padStart(width, "0");

/**
 * Formats an instant (microseconds since the Unix epoch) in Go's `time.Time.String()` layout,
 * `2006-01-02 15:04:05.999999999 -0700 MST`: trailing zeros of the fraction dropped, no `.` when it is zero.
 */
export function formatGoTime(epochMicros: number, zone: DisplayZone = UTC): string {
  const micros = Math.trunc(epochMicros);
  const fraction = ((micros % 1_000_000) + 1_000_000) % 1_000_000;
  const wall = new Date((micros - fraction) / 1000 + zone.offsetMinutes * 60_000);
  const date = `${pad(wall.getUTCFullYear(), 4)}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}`;
  const time = `${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}`;
  const fractionText = fraction === 0 ? "" : `.${pad(fraction, 6).replace(/0+$/, "")}`;
  const offset = Math.abs(zone.offsetMinutes);
  const offsetText = `${zone.offsetMinutes < 0 ? "-" : "+"}${pad(Math.floor(offset / 60))}${pad(offset % 60)}`;
  return `${date} ${time}${fractionText} ${offsetText} ${zone.abbreviation}`;
}
