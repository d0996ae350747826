// Paging through a cursor-paged list (`{items, next_cursor}`) one page at a time, with
// the cursors of the pages already seen kept so "previous" works too.

import { computed, ref, shallowRef, type Ref } from 'vue'
import type { Page } from '@/api/types'

export interface CursorPager<T> {
  items: Ref<T[]>
  loading: Ref<boolean>
  /** 1-based number of the page shown. */
  pageNumber: Readonly<Ref<number>>
  hasPrev: Readonly<Ref<boolean>>
  hasNext: Readonly<Ref<boolean>>
  /** Loads the current page again (after a change). */
  reload: () => Promise<void>
  next: () => Promise<void>
  prev: () => Promise<void>
  /** Back to the first page. */
  reset: () => Promise<void>
}

export function useCursorPager<T>(fetchPage: (cursor: string | null) => Promise<Page<T>>): CursorPager<T> {
  const items = shallowRef<T[]>([]) as Ref<T[]>
  const loading = ref(false)
  // cursors[i] opens page i; the first page has none.
  const cursors = ref<(string | null)[]>([null])
  const index = ref(0)
  const nextCursor = ref<string | null>(null)
  let generation = 0

  async function load(i: number): Promise<void> {
    const mine = ++generation
    loading.value = true
    try {
      const page = await fetchPage(cursors.value[i] ?? null)
      if (mine !== generation) return // a later request won
      if (page.items.length === 0 && i > 0) {
        // The page emptied under us (items removed): step back.
        cursors.value = cursors.value.slice(0, i)
        await load(i - 1)
        return
      }
      items.value = page.items
      index.value = i
      nextCursor.value = page.next_cursor
      cursors.value = [...cursors.value.slice(0, i + 1), ...(page.next_cursor ? [page.next_cursor] : [])]
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  return {
    items,
    loading,
    pageNumber: computed(() => index.value + 1),
    hasPrev: computed(() => index.value > 0),
    hasNext: computed(() => nextCursor.value !== null),
    reload: () => load(index.value),
    next: () => (nextCursor.value ? load(index.value + 1) : Promise.resolve()),
    prev: () => (index.value > 0 ? load(index.value - 1) : Promise.resolve()),
    reset: () => {
      cursors.value = [null]
      return load(0)
    },
  }
}
