// The analytics scope (a filter, an "as of") and what the analytics tabs share: pivots over
// the scope (POST /api/v1/segments/pivot) that follow their request (useLatest: the newest
// wins, retried while the index loads), a bad filter reported to the analytics page (shown
// beside the filter box; the client does not toast it), and counts and yuan in the
// current language.

import { watch, type Ref } from 'vue'
import { useI18n } from 'vue-i18n'
import type { ApiError } from '@/api/client'
import { pivotSegments } from '@/api/segments'
import type { PivotRequest, PivotResult } from '@/api/types'
import { useLatest, type LatestState } from '@/composables/useLatest'
import { formatCount, formatMoney } from '@/utils/format'
import { fenToYuan } from '@/utils/pivot'

/** What the analytics pages look at: everyone or a filter's users, now or as of an instant. */
export interface AnalyticsScope {
  /** A filter in the text form, or null for every user. */
  filter: string | null
  /** RFC 3339, or null for the server's now. */
  asOf: string | null
}

/** A pivot request over the scope. */
export function scopedPivot(scope: AnalyticsScope, dimensions: string[], sum?: string | null): PivotRequest {
  const req: PivotRequest = { dimensions }
  if (sum) req.sum = sum
  if (scope.filter) req.filter = scope.filter
  if (scope.asOf) req.as_of = scope.asOf
  return req
}

/** A bad filter (400 invalid_filter), which the analytics page shows beside the filter box. */
export const isFilterError = (err: ApiError | null): boolean => err?.status === 400 && err.reason === 'invalid_filter'

/** How a tab tells the analytics page about a bad filter (its `scope-error` event). */
export type ScopeErrorEmit = (event: 'scope-error', error: ApiError | null) => void

/** Reports a bad filter among `error` to the analytics page, and clears it with the next answer. */
export function reportScopeErrors(error: Ref<ApiError | null>, emit: ScopeErrorEmit): void {
  watch(error, (e) => emit('scope-error', isFilterError(e) ? e : null))
}

export type PivotState = LatestState<PivotRequest, PivotResult>

/** A pivot that follows `request` (null: nothing to ask yet). */
export function usePivot(request: () => PivotRequest | null): PivotState {
  return useLatest(request, pivotSegments)
}

/** A tab's pivot over the scope, a bad filter reported to the analytics page. */
export function useScopedPivot(request: () => PivotRequest | null, emit: ScopeErrorEmit): PivotState {
  const pivot = usePivot(request)
  reportScopeErrors(pivot.error, emit)
  return pivot
}

/** Counts and money (fen, shown as yuan) in the current language. */
export function useFigures() {
  const { locale } = useI18n()
  return {
    count: (n: number): string => formatCount(n, locale.value),
    yuan: (fen: number): string => formatMoney(fenToYuan(fen).toFixed(2), null, locale.value),
  }
}
