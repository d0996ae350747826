// One pivot (POST /api/v1/segments/pivot) that follows its request: asked again whenever the
// request changes, the newest request winning (older ones are aborted and their answers
// dropped), retried every second while the index is still loading. Errors are kept for the
// page to show (a bad filter beside the filter); the client does not toast them.

import { onBeforeUnmount, ref, shallowRef, watch, type Ref } from 'vue'
import { ApiError } from '@/api/client'
import { pivotSegments } from '@/api/segments'
import type { PivotRequest, PivotResult } from '@/api/types'

const RETRY_MS = 1000

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

export interface PivotState {
  result: Ref<PivotResult | null>
  /** The request `result` answers. */
  answered: Ref<PivotRequest | null>
  loading: Ref<boolean>
  error: Ref<ApiError | null>
  /** Asks again (after "refresh"). */
  reload: () => void
}

/** `request` returns null when there is nothing to ask yet. */
export function usePivot(request: () => PivotRequest | null): PivotState {
  const result = shallowRef<PivotResult | null>(null)
  const answered = shallowRef<PivotRequest | null>(null)
  const loading = ref(false)
  const error = shallowRef<ApiError | null>(null)

  let seq = 0
  let controller: AbortController | null = null
  let timer: ReturnType<typeof setTimeout> | undefined

  function cancel(): void {
    seq++
    clearTimeout(timer)
    controller?.abort()
    controller = null
  }

  async function run(req: PivotRequest, mine: number): Promise<void> {
    const ctrl = new AbortController()
    controller = ctrl
    loading.value = true
    try {
      const answer = await pivotSegments(req, ctrl.signal)
      if (mine !== seq) return
      result.value = answer
      answered.value = req
      error.value = null
      loading.value = false
    } catch (err) {
      if (mine !== seq || ctrl.signal.aborted) return
      const apiErr =
        err instanceof ApiError
          ? err
          : new ApiError({ type: 'about:blank', title: String(err), status: 0, detail: String(err), reason: '' })
      error.value = apiErr
      if (apiErr.reason === 'segment_index_loading') {
        timer = setTimeout(() => void run(req, mine), RETRY_MS)
        return
      }
      result.value = null
      answered.value = null
      loading.value = false
    }
  }

  function reload(): void {
    cancel()
    const req = request()
    if (!req) {
      result.value = null
      answered.value = null
      error.value = null
      loading.value = false
      return
    }
    void run(req, seq)
  }

  // Compared as JSON: a request rebuilt with the same content is not asked again.
  watch(() => JSON.stringify(request()), reload, { immediate: true })
  onBeforeUnmount(cancel)

  return { result, answered, loading, error, reload }
}
