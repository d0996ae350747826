// The segment builder's condition rows and their JSON form (docs/segments.md), and the
// positions the server reports in filter errors. Pure functions, no Vue.

import type { SegmentField, SegmentFilter, SegmentOp, SegmentPredicate, SegmentValue } from '@/api/types'

export type RowKind = 'predicate' | 'has_tag' | 'not_has_tag'

export type Combinator = 'and' | 'or'

/** One row of the condition editor. Which value fields matter depends on `op`. */
export interface ConditionRow {
  /** For v-for keys only. */
  key: number
  kind: RowKind
  field: string
  /** null: no window (every fact up to the evaluation instant). */
  windowDays: number | null
  op: SegmentOp
  /** The comparisons' value. */
  value: SegmentValue | null
  /** in / not_in, as typed. */
  values: string[]
  /** between, both ends included. */
  low: number | null
  high: number | null
  /** has_tag / not has_tag: a tag name or "group/name". */
  tag: string
}

export const COMPARISONS: readonly SegmentOp[] = ['=', '!=', '<', '<=', '>', '>=']
const ALL_OPS: readonly SegmentOp[] = [...COMPARISONS, 'in', 'not_in', 'between']
const TEXT_OPS: readonly SegmentOp[] = ['=', '!=', 'in', 'not_in']
const BOOL_OPS: readonly SegmentOp[] = ['=', '!=']

/** The operators a feature of this type takes. */
export function opsFor(type: string | undefined): readonly SegmentOp[] {
  if (type === 'text') return TEXT_OPS
  if (type === 'bool') return BOOL_OPS
  return ALL_OPS
}

const isNumeric = (type: string | undefined): boolean => type !== 'text' && type !== 'bool'

let nextKey = 1

export function newRow(kind: RowKind = 'predicate'): ConditionRow {
  return { key: nextKey++, kind, field: '', windowDays: null, op: '>=', value: null, values: [], low: null, high: null, tag: '' }
}

/**
 * Points `row` at another feature: keeps the operator when the new type takes it and the
 * values when the type is the same; drops a window the feature does not take.
 */
export function changeField(row: ConditionRow, field: SegmentField | undefined, previousType: string | undefined): void {
  const type = field?.type
  if (!opsFor(type).includes(row.op)) row.op = isNumeric(type) ? '>=' : '='
  if (type !== previousType) {
    row.value = null
    row.values = []
    row.low = null
    row.high = null
  }
  if (!field?.windowed) row.windowDays = null
}

function listValue(raw: string, type: string | undefined): SegmentValue {
  if (!isNumeric(type)) return raw
  const n = Number(raw.trim())
  // A number that does not parse goes to the server as typed, which says what is wrong.
  return raw.trim() !== '' && Number.isFinite(n) ? n : raw
}

/** The row's JSON form, or null while it is not filled in. */
export function rowToFilter(row: ConditionRow, fields: ReadonlyMap<string, SegmentField>): SegmentFilter | null {
  if (row.kind !== 'predicate') {
    const tag = row.tag.trim()
    if (!tag) return null
    return row.kind === 'has_tag' ? { has_tag: tag } : { not: { has_tag: tag } }
  }
  if (!row.field) return null
  const spec = fields.get(row.field)
  const p: SegmentPredicate = { field: row.field, op: row.op }
  if (row.windowDays !== null && row.windowDays !== undefined) p.window_days = row.windowDays
  else if (spec?.window_required) return null
  if (row.op === 'in' || row.op === 'not_in') {
    if (row.values.length === 0) return null
    p.values = row.values.map((v) => listValue(v, spec?.type))
  } else if (row.op === 'between') {
    if (row.low === null || row.low === undefined || row.high === null || row.high === undefined) return null
    p.values = [row.low, row.high]
  } else {
    if (row.value === null || row.value === undefined || row.value === '') return null
    p.value = row.value
  }
  return p
}

/**
 * The rows combined with `combinator`, or null when there are none or one is not filled
 * in. Always an and/or (of one row, too) so that error paths name the row: `filter.and[2]`.
 */
export function rowsToFilter(rows: readonly ConditionRow[], combinator: Combinator, fields: ReadonlyMap<string, SegmentField>): SegmentFilter | null {
  if (rows.length === 0) return null
  const parts: SegmentFilter[] = []
  for (const row of rows) {
    const f = rowToFilter(row, fields)
    if (!f) return null
    parts.push(f)
  }
  return combinator === 'and' ? { and: parts } : { or: parts }
}

function rowFromCondition(f: SegmentFilter): ConditionRow | null {
  if ('has_tag' in f) return { ...newRow('has_tag'), tag: f.has_tag }
  if ('not' in f) return 'has_tag' in f.not ? { ...newRow('not_has_tag'), tag: f.not.has_tag } : null
  if (!('field' in f)) return null
  const row: ConditionRow = { ...newRow(), field: f.field, op: f.op, windowDays: f.window_days ?? null }
  if (f.op === 'in' || f.op === 'not_in') {
    row.values = (f.values ?? []).map(String)
  } else if (f.op === 'between') {
    const [low, high] = f.values ?? []
    if (typeof low !== 'number' || typeof high !== 'number') return null
    row.low = low
    row.high = high
  } else {
    if (f.value === undefined) return null
    row.value = f.value
  }
  return row
}

/**
 * Rows for a filter the editor can show: one condition, or a flat and/or of comparisons,
 * has_tag and not has_tag. Null for anything else (nested groups, `not` of a comparison).
 */
export function filterToRows(filter: SegmentFilter): { rows: ConditionRow[]; combinator: Combinator } | null {
  let combinator: Combinator = 'and'
  let parts: SegmentFilter[] = [filter]
  if ('and' in filter) parts = filter.and
  else if ('or' in filter) {
    parts = filter.or
    combinator = 'or'
  }
  const rows: ConditionRow[] = []
  for (const part of parts) {
    const row = rowFromCondition(part)
    if (!row) return null
    rows.push(row)
  }
  return { rows, combinator }
}

/** The row an error path of the JSON form points into: `filter.and[2].value` → 2. */
export function rowOfErrorPath(path: string): number | null {
  const m = /^filter\.(?:and|or)\[(\d+)\]/.exec(path)
  return m ? Number(m[1]) : null
}

/** The 1-based character position a text-form error starts with: "at 23: …" → 23. */
export function errorPosition(detail: string): number | null {
  const m = /^at (\d+):/.exec(detail)
  return m ? Number(m[1]) : null
}

/**
 * Where a 1-based position in code points (as the server counts) falls in `text`: the line
 * around it, split into the part before, the character at it ('' past the end of the
 * line) and the rest; and the UTF-16 offsets a textarea selection needs.
 */
export function locate(text: string, position: number): {
  line: number
  before: string
  at: string
  after: string
  start: number
  end: number
} {
  const chars = Array.from(text)
  const index = Math.min(Math.max(position - 1, 0), chars.length)
  let lineStart = index
  while (lineStart > 0 && chars[lineStart - 1] !== '\n') lineStart--
  let lineEnd = index
  while (lineEnd < chars.length && chars[lineEnd] !== '\n') lineEnd++
  const line = chars.slice(0, index).filter((c) => c === '\n').length + 1
  const at = index < lineEnd ? chars[index] : ''
  const start = chars.slice(0, index).join('').length
  return {
    line,
    before: chars.slice(lineStart, index).join(''),
    at,
    after: chars.slice(index + (at ? 1 : 0), lineEnd).join(''),
    start,
    end: start + at.length,
  }
}
