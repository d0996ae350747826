import { api } from './client'
import type { AuditEntry, Page } from './types'

export function listAuditLog(cursor: string | null, limit = 50): Promise<Page<AuditEntry>> {
  return api.get<Page<AuditEntry>>('/api/v1/audit-log', { limit, cursor })
}
