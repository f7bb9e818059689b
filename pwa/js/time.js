// time.js: clock readings in the shapes SYNC.md wants (RFC 3339 with an offset, YYYY-MM-DD) and calendar
// keys in the user's time zone (periods are computed there, not in the phone's zone).

const pad = (n) => String(n).padStart(2, '0');

/** Now (or `date`) as RFC 3339 with the phone's own offset, e.g. 2026-11-27T09:12:03+08:00. */
export function isoWithOffset(date = new Date()) {
  const off = -date.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const abs = Math.abs(off);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:` +
    `${pad(date.getMinutes())}:${pad(date.getSeconds())}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

const dayFormats = new Map();
/** The calendar day `YYYY-MM-DD` of `date` in time zone `tz`. */
export function dayIn(tz, date = new Date()) {
  if (!dayFormats.has(tz)) {
    let format;
    try {
      format = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' });
    } catch {
      format = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit' });
    }
    dayFormats.set(tz, format);
  }
  return dayFormats.get(tz).format(date);
}

/** Period keys (CONTRACT.md) containing `day` (YYYY-MM-DD): year, quarter, month. */
export function periodsOf(day) {
  const [y, m] = day.split('-').map(Number);
  return { year: String(y), quarter: `${y}-Q${Math.ceil(m / 3)}`, month: `${y}-${pad(m)}` };
}
