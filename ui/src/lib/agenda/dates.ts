// Local dates and times for the agenda. The backend speaks RFC 3339 with an offset;
// the form speaks the values of <input type="datetime-local"> ("2026-12-01T14:00")
// and <input type="date"> ("2026-12-01"), both in the computer's time zone.

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** `+01:00` style offset of the local zone at that instant. */
export function offsetOf(date: Date): string {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes >= 0 ? '+' : '-';
  const abs = Math.abs(minutes);
  return `${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

/** RFC 3339 in local time with its offset, e.g. `2026-12-01T14:00:00+01:00`. */
export function toRfc3339(date: Date): string {
  return `${toDateInputValue(date)}T${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}${offsetOf(date)}`;
}

/** `YYYY-MM-DD` of the local day. */
export function toDateInputValue(date: Date): string {
  return `${String(date.getFullYear()).padStart(4, '0')}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}`;
}

/** `YYYY-MM-DDTHH:mm` in local time. */
export function toDateTimeInputValue(date: Date): string {
  return `${toDateInputValue(date)}T${pad2(date.getHours())}:${pad2(date.getMinutes())}`;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;

/** Local midnight of a `YYYY-MM-DD` value, or null if it is not a real date. */
export function parseDateInput(value: string): Date | null {
  const m = DATE_RE.exec(value.trim());
  if (!m) return null;
  return checked(+m[1], +m[2], +m[3], 0, 0, 0);
}

/** The local instant of a `YYYY-MM-DDTHH:mm[:ss]` value, or null if it is not valid. */
export function parseDateTimeInput(value: string): Date | null {
  const m = DATE_TIME_RE.exec(value.trim());
  if (!m) return null;
  return checked(+m[1], +m[2], +m[3], +m[4], +m[5], m[6] ? +m[6] : 0);
}

function checked(y: number, mo: number, d: number, h: number, mi: number, s: number): Date | null {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return null;
  const date = new Date(y, mo - 1, d, h, mi, s);
  // Reject 2026-02-30 and the like, which Date would roll over into March.
  if (date.getFullYear() !== y || date.getMonth() !== mo - 1 || date.getDate() !== d) return null;
  return date;
}

/** The same local time of day, `days` later (calendar days, safe across DST). */
export function addDays(date: Date, days: number): Date {
  return new Date(
    date.getFullYear(),
    date.getMonth(),
    date.getDate() + days,
    date.getHours(),
    date.getMinutes(),
    date.getSeconds(),
  );
}

export function startOfDay(date: Date): Date {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate());
}

/** Local-day key (`YYYY-MM-DD`) of an RFC 3339 instant. */
export function dayKey(iso: string): string {
  return toDateInputValue(new Date(iso));
}

const dayHeading = new Intl.DateTimeFormat('fr-FR', {
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
});
const shortDay = new Intl.DateTimeFormat('fr-FR', { weekday: 'short', day: 'numeric', month: 'short' });
const timeOfDay = new Intl.DateTimeFormat('fr-FR', { hour: '2-digit', minute: '2-digit' });
const dateAndTime = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'short', timeStyle: 'short' });

/** `mardi 1 décembre 2026`. */
export function formatDayHeading(date: Date): string {
  return dayHeading.format(date);
}

/** `14:00`. */
export function formatTime(date: Date): string {
  return timeOfDay.format(date);
}

/** `01/12/2026 14:05`. */
export function formatDateTime(date: Date): string {
  return dateAndTime.format(date);
}

/** When an event happens, as a list row shows it beside its day heading. */
export function formatWhen(event: { start: string; end: string; allDay: boolean }): string {
  const start = new Date(event.start);
  const end = new Date(event.end);
  if (event.allDay) {
    const lastDay = addDays(startOfDay(end), -1);
    if (lastDay.getTime() <= startOfDay(start).getTime()) return 'Journée entière';
    return `Jusqu’au ${shortDay.format(lastDay)} inclus`;
  }
  if (toDateInputValue(start) === toDateInputValue(end)) {
    return `${formatTime(start)} – ${formatTime(end)}`;
  }
  return `${formatTime(start)} – ${shortDay.format(end)} ${formatTime(end)}`;
}
