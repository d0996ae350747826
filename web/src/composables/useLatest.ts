// An answer that follows its request: asked again whenever the request changes, the newest
// request winning (older ones are aborted and their answers dropped), retried every second
// while the segment index is still loading. Errors are kept for the page to show; the
// request function should ask the client not to toast them (`silent`).

import { computed, onBeforeUnmount, ref, shallowRef, watch, type ComputedRef, type Ref } from 'vue'
import { ApiError } from '@/api/client'

const RETRY_MS = 1000

/** What a page shows: nothing asked yet, waiting, an answer, or an error. */
export type LoadState = 'idle' | 'loading' | 'ok' | 'error'

export interface LatestState<Req, Res> {
  result: Ref<Res | null>
  /** The request `result` answers. */
  answered: Ref<Req | null>
  loading: Ref<boolean>
  error: Ref<ApiError | null>
  state: ComputedRef<LoadState>
  /** Asks again (after "refresh"). */
  reload: () => void
}

/** `request` returns null when there is nothing to ask yet. */
export function useLatest<Req, Res>(
  request: () => Req | null,
  fetch: (req: Req, signal: AbortSignal) => Promise<Res>,
): LatestState<Req, Res> {
  const result = shallowRef<Res | null>(null)
  const answered = shallowRef<Req | null>(null)
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

  async function run(req: Req, mine: number): Promise<void> {
    const ctrl = new AbortController()
    controller = ctrl
    loading.value = true
    try {
      const answer = await fetch(req, ctrl.signal)
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

  const state = computed<LoadState>(() => (loading.value ? 'loading' : error.value ? 'error' : result.value ? 'ok' : 'idle'))

  return { result, answered, loading, error, state, reload }
}
