import { api } from './client'
import type { ImportRun, ImportRunDetail, Page } from './types'

/** Newest first. */
export function listImports(cursor: string | null, limit = 20): Promise<Page<ImportRun>> {
  return api.get<Page<ImportRun>>('/api/v1/imports', { limit, cursor })
}

export function fetchImport(id: string): Promise<ImportRunDetail> {
  return api.get<ImportRunDetail>(`/api/v1/imports/${encodeURIComponent(id)}`)
}
