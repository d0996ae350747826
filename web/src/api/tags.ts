import { api } from './client'
import type { Tag, TagGroup } from './types'

/** Every group with its tags (not paged: there are tens, not thousands). */
export async function listTagGroups(): Promise<TagGroup[]> {
  const body = await api.get<{ items: TagGroup[] }>('/api/v1/tag-groups')
  return body.items
}

export function createTagGroup(name: string, description: string): Promise<TagGroup> {
  return api.post<TagGroup>('/api/v1/tag-groups', { name, description })
}

export function createTag(groupId: string, name: string, description: string): Promise<Tag> {
  return api.post<Tag>('/api/v1/tags', { group_id: groupId, name, description })
}
