import { api } from './client'
import type { ApiKey, CreatedApiKey, Page, Role } from './types'

export function listApiKeys(cursor: string | null, limit = 50): Promise<Page<ApiKey>> {
  return api.get<Page<ApiKey>>('/api/v1/api-keys', { limit, cursor })
}

export function createApiKey(name: string, role: Role): Promise<CreatedApiKey> {
  // A 422 problem names the bad fields; the caller shows them beside the form items.
  return api.post<CreatedApiKey>('/api/v1/api-keys', { name, role })
}

export function revokeApiKey(id: string): Promise<void> {
  return api.delete(`/api/v1/api-keys/${encodeURIComponent(id)}`)
}
