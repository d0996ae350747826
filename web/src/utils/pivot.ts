// Helpers for the answers of POST /api/v1/segments/pivot: the order values of a dimension
// are shown in, one- and two-dimensional tables, the measures offered and money from fen.

import type { PivotCell, PivotResult } from '@/api/types'

/** Lifecycle stages in the order a user moves through them (docs/analytics.md). */
export const LIFECYCLE_STAGES = ['potential', 'new', 'rising', 'mature', 'declining', 'silent', 'churned'] as const

/** A colour per lifecycle stage, for bars, swatches and flows. */
const LIFECYCLE_COLORS: Record<string, string> = {
  potential: '#909399',
  new: '#79bbff',
  rising: '#67c23a',
  mature: '#409eff',
  declining: '#e6a23c',
  silent: '#f3b760',
  churned: '#f56c6c',
}

/** A stage's colour; grey for no stage or one the console does not know. */
export const stageColor = (stage: string | null): string => LIFECYCLE_COLORS[stage ?? ''] ?? '#b1b3b8'

/** The eight RFM cells as the grid shows them: important first, then by R and F. */
export const RFM_CELLS = [
  'important_value',
  'important_development',
  'important_retention',
  'important_recall',
  'general_value',
  'general_development',
  'general_retention',
  'general_recall',
] as const

/** R, F and M of each cell: true is high (at least the mean score). */
export const RFM_LEVELS: Record<(typeof RFM_CELLS)[number], { r: boolean; f: boolean; m: boolean }> = {
  important_value: { r: true, f: true, m: true },
  important_development: { r: true, f: false, m: true },
  important_retention: { r: false, f: true, m: true },
  important_recall: { r: false, f: false, m: true },
  general_value: { r: true, f: true, m: false },
  general_development: { r: true, f: false, m: false },
  general_retention: { r: false, f: true, m: false },
  general_recall: { r: false, f: false, m: false },
}

export const PARETO_TIERS = ['head', 'waist', 'tail'] as const

/** The AIDEES path in order, attention first (docs/analytics.md). */
export const AIDEES_STAGES = ['attention', 'interest', 'desire', 'experience', 'enthusiasm', 'share'] as const

/** A colour per AIDEES stage: deeper blue further along the path. */
const AIDEES_COLORS: Record<string, string> = {
  attention: '#c6e2ff',
  interest: '#a0cfff',
  desire: '#79bbff',
  experience: '#409eff',
  enthusiasm: '#337ecc',
  share: '#67c23a',
}

/** An AIDEES stage's colour; grey for none. */
export const aideesColor = (stage: string | null): string => AIDEES_COLORS[stage ?? ''] ?? '#b1b3b8'

/** New or repeat customer (the `sys:customer` tags, the user models' `customer`). */
export const CUSTOMER_KINDS = ['new_customer', 'repeat_customer'] as const

/** Member or not (the `sys:member` tags, the user models' `member`). */
export const MEMBER_KINDS = ['member', 'non_member'] as const

/** The consumption values (the `sys:motivation` tags, the user models' `motivations`). */
export const MOTIVATIONS = ['functional', 'social', 'emotional', 'epistemic', 'conditional'] as const

/** Dimensions whose values are a known set, shown in that order rather than by size. */
export const KNOWN_ORDER: Record<string, readonly string[]> = {
  lifecycle: LIFECYCLE_STAGES,
  rfm_cell: RFM_CELLS,
  pareto_tier: PARETO_TIERS,
  aidees: AIDEES_STAGES,
  customer: CUSTOMER_KINDS,
  member: MEMBER_KINDS,
  motivation: MOTIVATIONS,
  gender: ['male', 'female', 'unknown'],
}

/** A measure the pivot view offers: a numeric feature with its window. */
export interface Measure {
  /** The `sum` of the request: "spend(365d)". */
  value: string
  /** Money: the sums are in fen and shown in yuan. */
  money: boolean
}

export const MEASURES: readonly Measure[] = [
  { value: 'spend(365d)', money: true },
  { value: 'spend(90d)', money: true },
  { value: 'spend', money: true },
  { value: 'orders(365d)', money: false },
  { value: 'orders(90d)', money: false },
  { value: 'orders', money: false },
  { value: 'visits(30d)', money: false },
  { value: 'cart_adds(30d)', money: false },
]

export const isMoneyMeasure = (sum: string | null | undefined): boolean =>
  !!sum && (MEASURES.find((m) => m.value === sum)?.money ?? /^(spend|aov)\b/.test(sum))

/** A sum in fen as yuan. */
export const fenToYuan = (fen: number): number => fen / 100

/** The cells' keys as one JSON string, for maps and data-key attributes. */
export const keyOf = (key: readonly (string | null)[]): string => JSON.stringify(key)

/**
 * The distinct values of dimension `d` among the cells, in display order: a known order for
 * enumerations (unknown values after it), else most users first; "no value" (null) last.
 */
export function dimensionValues(cells: readonly PivotCell[], d: number, dimension: string): (string | null)[] {
  const users = new Map<string | null, number>()
  for (const c of cells) users.set(c.key[d] ?? null, (users.get(c.key[d] ?? null) ?? 0) + c.users)
  const known = KNOWN_ORDER[dimension] ?? []
  const rank = (v: string): number => {
    const i = known.indexOf(v)
    return i < 0 ? known.length : i
  }
  const values = [...users.keys()].filter((v): v is string => v !== null)
  values.sort((a, b) => rank(a) - rank(b) || (users.get(b) ?? 0) - (users.get(a) ?? 0) || a.localeCompare(b))
  return users.has(null) ? [...values, null] : values
}

/** Enumerations always show every value, with 0 where the answer has none. */
export function withKnownValues(values: (string | null)[], dimension: string): (string | null)[] {
  const known = KNOWN_ORDER[dimension]
  if (!known || dimension === 'gender') return values
  const extra = values.filter((v) => v === null || !known.includes(v))
  return [...known, ...extra]
}

export interface PivotTotals {
  users: number
  sum: number
}

/** Users and sum over every cell. */
export function totalsOf(cells: readonly PivotCell[]): PivotTotals {
  return cells.reduce((t, c) => ({ users: t.users + c.users, sum: t.sum + (c.sum ?? 0) }), { users: 0, sum: 0 })
}

/** One-dimensional answers by value (null: no value). */
export function byValue(result: PivotResult | null): Map<string | null, PivotCell> {
  const out = new Map<string | null, PivotCell>()
  for (const c of result?.cells ?? []) out.set(c.key[0] ?? null, c)
  return out
}

/** A cross table of a two-dimensional answer: rows by the first dimension, columns by the second. */
export interface CrossTable {
  rows: (string | null)[]
  cols: (string | null)[]
  /** keyOf([row, col]) → cell */
  cells: Map<string, PivotCell>
  rowTotals: Map<string | null, PivotTotals>
  colTotals: Map<string | null, PivotTotals>
  total: PivotTotals
}

export function crossTable(result: PivotResult): CrossTable {
  const [d0, d1] = result.dimensions
  const cells = new Map<string, PivotCell>()
  const rowTotals = new Map<string | null, PivotTotals>()
  const colTotals = new Map<string | null, PivotTotals>()
  const add = (m: Map<string | null, PivotTotals>, k: string | null, c: PivotCell): void => {
    const t = m.get(k) ?? { users: 0, sum: 0 }
    m.set(k, { users: t.users + c.users, sum: t.sum + (c.sum ?? 0) })
  }
  for (const c of result.cells) {
    const row = c.key[0] ?? null
    const col = c.key[1] ?? null
    cells.set(keyOf([row, col]), c)
    add(rowTotals, row, c)
    add(colTotals, col, c)
  }
  return {
    rows: dimensionValues(result.cells, 0, d0),
    cols: dimensionValues(result.cells, 1, d1),
    cells,
    rowTotals,
    colTotals,
    total: totalsOf(result.cells),
  }
}

/** A share in percent with one decimal; 0 when the whole is 0. */
export const percentOf = (part: number, whole: number): number => (whole > 0 ? Math.round((part / whole) * 1000) / 10 : 0)
