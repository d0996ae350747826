import { api } from './client'
import type { SegmentField, SegmentFilter, SegmentIndexInfo, SegmentPreview } from './types'

/**
 * The count of a filter (its text or JSON form) as of `asOf` (RFC 3339; the server's now
 * when absent), with the canonical text and JSON form. Errors are not shown by the client:
 * the segment builder shows them beside the filter.
 */
export function previewSegment(filter: string | SegmentFilter, asOf: string | null, signal?: AbortSignal): Promise<SegmentPreview> {
  const body: { filter: string | SegmentFilter; as_of?: string } = { filter }
  if (asOf) body.as_of = asOf
  return api.post<SegmentPreview>('/api/v1/segments/preview', body, { silent: true, signal })
}

/** The features a filter can name, in catalog order. */
export async function listSegmentFields(): Promise<SegmentField[]> {
  const body = await api.get<{ items: SegmentField[] }>('/api/v1/segments/fields')
  return body.items
}

export function fetchSegmentIndex(): Promise<SegmentIndexInfo> {
  return api.get<SegmentIndexInfo>('/api/v1/segments/index')
}

/** Rebuilds the feature index now (operators and admins). */
export function rebuildSegmentIndex(): Promise<SegmentIndexInfo> {
  return api.post<SegmentIndexInfo>('/api/v1/segments/index/rebuild')
}
