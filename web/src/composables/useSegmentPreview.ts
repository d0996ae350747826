// The live count of the segment builder: POST /api/v1/segments/preview, debounced, with only
// the newest request's answer ever shown. Each new request aborts the one in flight and bumps
// a sequence number; an answer (or error) of an older number is dropped, so a slow early
// answer can never overwrite a later one. While the index is still being built (503
// segment_index_loading) the same request is retried every second.

import { onBeforeUnmount, ref, type Ref } from 'vue'
import { ApiError } from '@/api/client'
import { previewSegment } from '@/api/segments'
import type { SegmentFilter, SegmentPreview } from '@/api/types'

/** Which form of the filter a request carried. */
export type PreviewSource = 'text' | 'editor'

export interface PreviewRequest {
  filter: string | SegmentFilter
  source: PreviewSource
  /** RFC 3339, or null for the server's now. */
  asOf: string | null
}

/**
 * idle: nothing to count; incomplete: the editor's rows are not filled in; loading: waiting
 * for the first answer of a request; ok / error: the newest request's outcome.
 */
export type PreviewStatus = 'idle' | 'incomplete' | 'loading' | 'ok' | 'error'

const RETRY_MS = 1000

export function useSegmentPreview(
  onAnswer: (preview: SegmentPreview, request: PreviewRequest) => void,
  delayMs = 250,
): {
  status: Ref<PreviewStatus>
  preview: Ref<SegmentPreview | null>
  error: Ref<ApiError | null>
  /** The request the shown preview or error belongs to. */
  request: Ref<PreviewRequest | null>
  schedule: (req: PreviewRequest, delay?: number) => void
  clear: (status?: 'idle' | 'incomplete') => void
} {
  const status = ref<PreviewStatus>('idle')
  const preview = ref<SegmentPreview | null>(null)
  const error = ref<ApiError | null>(null)
  const request = ref<PreviewRequest | null>(null)

  let seq = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  let controller: AbortController | null = null

  /** Forgets whatever is pending or in flight. */
  function cancel(): void {
    seq++
    clearTimeout(timer)
    timer = undefined
    controller?.abort()
    controller = null
  }

  async function run(req: PreviewRequest, mine: number): Promise<void> {
    controller?.abort()
    const ctrl = new AbortController()
    controller = ctrl
    try {
      const answer = await previewSegment(req.filter, req.asOf, ctrl.signal)
      if (mine !== seq) return
      preview.value = answer
      error.value = null
      request.value = req
      status.value = 'ok'
      onAnswer(answer, req)
    } catch (err) {
      if (mine !== seq || ctrl.signal.aborted) return
      const apiErr =
        err instanceof ApiError
          ? err
          : new ApiError({ type: 'about:blank', title: String(err), status: 0, detail: String(err), reason: '' })
      preview.value = null
      error.value = apiErr
      request.value = req
      status.value = 'error'
      if (apiErr.reason === 'segment_index_loading') {
        timer = setTimeout(() => void run(req, mine), RETRY_MS)
      }
    } finally {
      if (controller === ctrl) controller = null
    }
  }

  function schedule(req: PreviewRequest, delay = delayMs): void {
    cancel()
    const mine = seq
    status.value = 'loading'
    timer = setTimeout(() => void run(req, mine), delay)
  }

  function clear(next: 'idle' | 'incomplete' = 'idle'): void {
    cancel()
    preview.value = null
    error.value = null
    request.value = null
    status.value = next
  }

  onBeforeUnmount(cancel)

  return { status, preview, error, request, schedule, clear }
}
