// The member centre's language: saved in this browser, else the browser's own
// (Chinese when it prefers any Chinese, English otherwise).
import { createI18n } from 'vue-i18n'
import { MEMBER_LOCALES, memberMessages, type MemberLocale, type MemberMessages } from './messages'

const LOCALE_KEY = 'shopcrm.member.locale'

function initialLocale(): MemberLocale {
  try {
    const saved = localStorage.getItem(LOCALE_KEY)
    if (saved && (MEMBER_LOCALES as readonly string[]).includes(saved)) return saved as MemberLocale
  } catch {
    // storage disabled
  }
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en'
}

export const memberI18n = createI18n<[MemberMessages], MemberLocale, false>({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'zh-CN',
  messages: memberMessages,
})

export function saveLocale(locale: MemberLocale): void {
  memberI18n.global.locale.value = locale
  document.documentElement.lang = locale
  document.title = memberI18n.global.t('title')
  try {
    localStorage.setItem(LOCALE_KEY, locale)
  } catch {
    // storage disabled
  }
}
