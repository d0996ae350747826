// What every tab of the member centre shares: the first screen's summary, reloading it,
// and the short notices ("checked in", "not enough points") shown at the top.
import { ref } from 'vue'
import type { MeSummary } from '@/api/membershipTypes'
import { MemberApiError, me } from './api'
import { memberI18n } from './i18n'

export const summary = ref<MeSummary | null>(null)
/** 'token' when the token is missing or refused; 'other' for anything else. */
export const fatal = ref<'token' | 'other' | null>(null)
export const notice = ref<{ text: string; kind: 'ok' | 'error' } | null>(null)

let noticeTimer: ReturnType<typeof setTimeout> | undefined

export function notify(text: string, kind: 'ok' | 'error' = 'ok'): void {
  notice.value = { text, kind }
  clearTimeout(noticeTimer)
  noticeTimer = setTimeout(() => (notice.value = null), 3000)
}

/** A refused token (or one naming a user the server does not know) ends the visit; other
 * failures are the caller's to show. */
export function isTokenProblem(err: unknown): boolean {
  const refused = err instanceof MemberApiError && (err.status === 401 || err.reason === 'user_not_found')
  if (refused) {
    fatal.value = 'token'
    return true
  }
  return false
}

/** Tells the member a change went through, with the medals it earned (its answer's `medals_awarded`). */
export function announce(done: string, answer: unknown, medalText: (name: string) => string): void {
  const medals = (answer as { medals_awarded?: { name: string }[] } | null)?.medals_awarded ?? []
  notify([done, ...medals.map((m) => medalText(m.name))].join(' · '))
}

/** Shows why a change failed — the reason in the member's words when there are any, else a
 * network notice; a refused token ends the visit instead. */
export function failed(err: unknown): void {
  if (isTokenProblem(err)) return
  const { t, te } = memberI18n.global
  const reason = err instanceof MemberApiError ? err.reason : ''
  notify(te(`errors.${reason}`) ? t(`errors.${reason}`) : t('errors.network'), 'error')
}

export async function reload(): Promise<void> {
  try {
    summary.value = await me.get<MeSummary>()
  } catch (err) {
    if (!isTokenProblem(err)) fatal.value = 'other'
  }
}
