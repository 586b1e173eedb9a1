// The event form's values and their validation. Values are what the inputs hold
// (strings); `validateEventForm` turns them into the EventInput the backend takes.
// The backend validates again: its errors are shown as well.

import { errorSentence } from '../errors';
import type { AgendaEvent, EventInput } from '../types';
import {
  addDays,
  parseDateInput,
  parseDateTimeInput,
  startOfDay,
  toDateInputValue,
  toDateTimeInputValue,
  toRfc3339,
} from './dates';

export interface EventFormValues {
  title: string;
  /** `YYYY-MM-DDTHH:mm`, or `YYYY-MM-DD` (first day) when `allDay`. */
  start: string;
  /** `YYYY-MM-DDTHH:mm`, or `YYYY-MM-DD` (last day, inclusive) when `allDay`. */
  end: string;
  allDay: boolean;
  place: string;
  theme: string;
  description: string;
}

export type FormField = 'title' | 'start' | 'end';
export type FormErrors = Partial<Record<FormField, string>>;

export type Validation = { ok: true; input: EventInput } | { ok: false; errors: FormErrors };

/** A new event: on `day` at 9:00 if given, else at the next full hour; one hour long. */
export function newEventForm(day?: Date, now: Date = new Date()): EventFormValues {
  let start: Date;
  if (day) {
    start = new Date(day.getFullYear(), day.getMonth(), day.getDate(), 9, 0);
  } else {
    start = new Date(now.getFullYear(), now.getMonth(), now.getDate(), now.getHours() + 1, 0);
  }
  const end = new Date(start.getTime() + 60 * 60 * 1000);
  return {
    title: '',
    start: toDateTimeInputValue(start),
    end: toDateTimeInputValue(end),
    allDay: false,
    place: '',
    theme: '',
    description: '',
  };
}

/** The form values that show an existing event. */
export function formFromEvent(event: AgendaEvent): EventFormValues {
  const start = new Date(event.start);
  const end = new Date(event.end);
  // All-day ends are exclusive in storage; the form shows the last day itself.
  const lastDay = addDays(startOfDay(end), -1);
  return {
    title: event.title,
    start: event.allDay ? toDateInputValue(start) : toDateTimeInputValue(start),
    end: event.allDay
      ? toDateInputValue(lastDay < startOfDay(start) ? start : lastDay)
      : toDateTimeInputValue(end),
    allDay: event.allDay,
    place: event.place,
    theme: event.theme,
    description: event.description,
  };
}

/** Converts the start and end fields when "Journée entière" is ticked or unticked. */
export function withAllDay(values: EventFormValues, allDay: boolean): EventFormValues {
  if (values.allDay === allDay) return values;
  if (allDay) {
    return { ...values, allDay, start: values.start.slice(0, 10), end: values.end.slice(0, 10) };
  }
  const startDay = values.start.slice(0, 10);
  const endDay = values.end.slice(0, 10) || startDay;
  return { ...values, allDay, start: `${startDay}T09:00`, end: `${endDay}T10:00` };
}

export function validateEventForm(values: EventFormValues): Validation {
  const errors: FormErrors = {};
  const title = values.title.trim();
  if (title === '') errors.title = errorSentence('empty_title');

  let start: Date | null;
  let end: Date | null;
  if (values.allDay) {
    start = parseDateInput(values.start);
    const lastDay = parseDateInput(values.end);
    // Stored end: midnight at the start of the day after the last day.
    end = lastDay && addDays(lastDay, 1);
  } else {
    start = parseDateTimeInput(values.start);
    end = parseDateTimeInput(values.end);
  }
  if (!start) errors.start = errorSentence('invalid_date');
  if (!end) errors.end = errorSentence('invalid_date');
  if (start && end && end.getTime() < start.getTime() + (values.allDay ? 1 : 0)) {
    errors.end = errorSentence('end_before_start');
  }

  if (Object.keys(errors).length > 0 || !start || !end) return { ok: false, errors };
  return {
    ok: true,
    input: {
      title,
      start: toRfc3339(start),
      end: toRfc3339(end),
      allDay: values.allDay,
      place: values.place.trim(),
      theme: values.theme.trim(),
      description: values.description,
    },
  };
}
