import { api } from './client'
import type {
  Page,
  PivotRequest,
  PivotResult,
  SavedSegment,
  SegmentExplain,
  SegmentField,
  SegmentFilter,
  SegmentIndexInfo,
  SegmentMember,
  SegmentOverlap,
  SegmentPreview,
} from './types'

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

// --- saved segments ------------------------------------------------------------------------

const segmentPath = (id: string): string => `/api/v1/segments/${encodeURIComponent(id)}`

/** Every saved segment, newest first, each with its count. */
export async function listSavedSegments(): Promise<SavedSegment[]> {
  const body = await api.get<{ items: SavedSegment[] }>('/api/v1/segments')
  return body.items
}

export function fetchSavedSegment(id: string): Promise<SavedSegment> {
  return api.get<SavedSegment>(segmentPath(id))
}

/** Saves a dynamic segment; 409 segment_name_taken, 400 invalid_filter. */
export function createSavedSegment(name: string, description: string, filter: string): Promise<SavedSegment> {
  return api.post<SavedSegment>('/api/v1/segments', { name, description, filter })
}

/** Changes a segment's filter; 409 segment_is_snapshot, 400 invalid_filter (shown by the caller). */
export function updateSavedSegmentFilter(id: string, filter: string): Promise<SavedSegment> {
  return api.patch<SavedSegment>(segmentPath(id), { filter }, { silent: true })
}

export function deleteSavedSegment(id: string): Promise<void> {
  return api.delete(segmentPath(id))
}

/** Stores the dynamic segment's members now as a new snapshot segment. */
export function snapshotSavedSegment(id: string, name: string): Promise<SavedSegment> {
  return api.post<SavedSegment>(`${segmentPath(id)}/snapshot`, { name })
}

/** A page of members, ascending by user id; `cursor` is the previous page's next_cursor. */
export function listSegmentMembers(id: string, cursor: string | null, limit = 50): Promise<Page<SegmentMember>> {
  return api.get<Page<SegmentMember>>(`${segmentPath(id)}/members`, { limit, cursor })
}

/** Every member as CSV; a plain link works, the session cookie authenticates GETs. */
export function segmentMembersCsvUrl(id: string): string {
  return `${segmentPath(id)}/members.csv`
}

// --- analyses --------------------------------------------------------------------------------

/** The users left after each condition; errors are shown by the caller. */
export function explainSegment(filter: string, asOf: string | null, signal?: AbortSignal): Promise<SegmentExplain> {
  const body: { filter: string; as_of?: string } = { filter }
  if (asOf) body.as_of = asOf
  return api.post<SegmentExplain>('/api/v1/segments/explain', body, { silent: true, signal })
}

/** How two saved segments overlap (now). */
export function overlapSegments(a: string, b: string): Promise<SegmentOverlap> {
  return api.post<SegmentOverlap>('/api/v1/segments/overlap', { a, b })
}

/**
 * Users (and a sum) by one or two dimensions. Errors are not shown by the client: the
 * analytics pages show a bad filter beside it.
 */
export function pivotSegments(req: PivotRequest, signal?: AbortSignal): Promise<PivotResult> {
  return api.post<PivotResult>('/api/v1/segments/pivot', req, { silent: true, signal })
}
