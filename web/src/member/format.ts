// Numbers, money and dates as the member reads them, in the page's language.
import type { StoredValueAccount } from '@/api/membershipTypes'

export function formatPoints(n: number, locale: string): string {
  return new Intl.NumberFormat(locale).format(n)
}

/** A decimal string in major units ("12.30") with the currency's sign. */
export function formatMoney(amount: string, currency: string, locale: string): string {
  const n = Number(amount)
  if (!Number.isFinite(n)) return amount
  return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(n)
}

export function formatBalance(a: StoredValueAccount, locale: string): string {
  return formatMoney(a.balance, a.currency, locale)
}

export function formatDate(iso: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', day: 'numeric' }).format(new Date(iso))
}

/** A calendar day ("2026-11-03") as written in `locale`, whatever the browser's time zone. */
export function formatDay(day: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(
    new Date(`${day}T00:00:00Z`),
  )
}

export function formatDateTime(iso: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(iso))
}

/** A signed change: "+5" or "-10". */
export function signed(n: number, locale: string): string {
  return (n > 0 ? '+' : '') + formatPoints(n, locale)
}
