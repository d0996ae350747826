// Display helpers shared by the pages.

const pad = (n: number): string => String(n).padStart(2, '0')

/** An RFC 3339 time as "YYYY-MM-DD HH:mm:ss" in the browser's time zone; "" for null. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  )
}

/** Splits a number of seconds into whole days, hours, minutes and seconds. */
export function splitDuration(totalSeconds: number): { days: number; hours: number; minutes: number; seconds: number } {
  const s = Math.max(0, Math.floor(totalSeconds))
  return {
    days: Math.floor(s / 86400),
    hours: Math.floor((s % 86400) / 3600),
    minutes: Math.floor((s % 3600) / 60),
    seconds: s % 60,
  }
}

/** A number with thousands separators in the given locale. */
export function formatCount(n: number, locale: string): string {
  return new Intl.NumberFormat(locale).format(n)
}

/** An RFC 3339 time as "YYYY-MM-DD" in the browser's time zone; "" for null. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

/**
 * A decimal amount in major units (as the API sends money, e.g. "123.40") with its
 * currency, in the given locale: "¥123.40". "" for null; a bad number is shown as sent.
 */
export function formatMoney(amount: string | null | undefined, currency: string | null | undefined, locale: string): string {
  if (amount === null || amount === undefined || amount === '') return ''
  const n = Number(amount)
  if (!Number.isFinite(n)) return amount
  if (!currency) return new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(n)
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(n)
  } catch {
    return `${new Intl.NumberFormat(locale, { minimumFractionDigits: 2 }).format(n)} ${currency}`
  }
}

/**
 * The local calendar day "YYYY-MM-DD" as the RFC 3339 UTC instant of its first second,
 * or (endOfDay) of its last one, so a date range picked in the browser covers whole days.
 */
export function dayBoundary(day: string, endOfDay = false): string {
  const [y, m, d] = day.split('-').map(Number)
  const local = endOfDay ? new Date(y, m - 1, d, 23, 59, 59) : new Date(y, m - 1, d, 0, 0, 0)
  return local.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** "YYYY-MM-DD", as dates are kept in URLs. */
export const isDay = (value: unknown): value is string => typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)

/** The local calendar day `n` days after (before, if negative) "YYYY-MM-DD". */
export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number)
  const date = new Date(y, m - 1, d + n)
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
}

/** The browser's calendar day today, "YYYY-MM-DD". */
export const today = (): string => formatDate(new Date().toISOString())

/**
 * Whole local days, first to last, as the half-open period [from, to) of RFC 3339 UTC
 * instants the API takes: from the start of the first day to the start of the day after
 * the last.
 */
export function periodOfDays(first: string, last: string): { from: string; to: string } {
  return { from: dayBoundary(first), to: dayBoundary(addDays(last, 1)) }
}

/** Any JSON value as short text: strings as they are, the rest as JSON. */
export function jsonText(value: unknown): string {
  if (value === null || value === undefined) return ''
  return typeof value === 'string' ? value : JSON.stringify(value)
}
