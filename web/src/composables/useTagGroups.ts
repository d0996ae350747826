// The tag groups with their tags (GET /api/v1/tag-groups), for the Tags page and the tag
// pickers. A failed load keeps the groups already shown; the client shows why.

import { ref, type Ref } from 'vue'
import { listTagGroups } from '@/api/tags'
import type { TagGroup } from '@/api/types'

export function useTagGroups(): { groups: Ref<TagGroup[]>; loading: Ref<boolean>; load: () => Promise<void> } {
  const groups = ref<TagGroup[]>([])
  const loading = ref(false)

  async function load(): Promise<void> {
    loading.value = true
    try {
      groups.value = await listTagGroups()
    } catch {
      // shown by the client
    } finally {
      loading.value = false
    }
  }

  return { groups, loading, load }
}
