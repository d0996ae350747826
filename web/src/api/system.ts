import { request } from './client'
import type { Readiness, SystemInfo } from './types'

/** GET /readyz. A 503 carries a readiness body too; it is returned, not thrown. */
export function fetchReadiness(): Promise<Readiness> {
  return request<Readiness>('/readyz', { silent: true, acceptStatuses: [503] })
}

export function fetchSystemInfo(): Promise<SystemInfo> {
  return request<SystemInfo>('/api/v1/system')
}
