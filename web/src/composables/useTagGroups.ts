// The tag groups with their tags (GET /api/v1/tag-groups), for the Tags page and the tag
// pickers: manual groups first, then the system groups in model order (utils/systemTags).
// A failed load keeps the groups already shown; the client shows why.

import { ref, type Ref } from 'vue'
import { listTagGroups } from '@/api/tags'
import type { TagGroup } from '@/api/types'
import { orderTagGroups } from '@/utils/systemTags'

export function useTagGroups(): { groups: Ref<TagGroup[]>; loading: Ref<boolean>; load: () => Promise<void> } {
  const groups = ref<TagGroup[]>([])
  const loading = ref(false)

  async function load(): Promise<void> {
    loading.value = true
    try {
      groups.value = orderTagGroups(await listTagGroups())
    } catch {
      // shown by the client
    } finally {
      loading.value = false
    }
  }

  return { groups, loading, load }
}
