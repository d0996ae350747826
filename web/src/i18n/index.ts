// vue-i18n set-up and the console's language choice (zh-CN by default, kept in
// localStorage). Element Plus follows through `elementLocale`, used by App.vue's
// <el-config-provider>.

import { computed } from 'vue'
import { createI18n } from 'vue-i18n'
import elZhCn from 'element-plus/es/locale/lang/zh-cn'
import elEn from 'element-plus/es/locale/lang/en'
import zhCN from './zh-CN'
import en from './en'

export const LOCALES = ['zh-CN', 'en'] as const
export type Locale = (typeof LOCALES)[number]

export const LOCALE_LABELS: Record<Locale, string> = { 'zh-CN': '中文', en: 'English' }

const STORAGE_KEY = 'shopcrm.locale'
const DEFAULT_LOCALE: Locale = 'zh-CN'

function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value)
}

function storedLocale(): Locale {
  try {
    const value = localStorage.getItem(STORAGE_KEY)
    return isLocale(value) ? value : DEFAULT_LOCALE
  } catch {
    return DEFAULT_LOCALE // storage disabled
  }
}

type MessageSchema = typeof zhCN

export const i18n = createI18n<[MessageSchema], Locale, false>({
  legacy: false,
  locale: storedLocale(),
  fallbackLocale: DEFAULT_LOCALE,
  messages: { 'zh-CN': zhCN, en },
})

const elementLocales = { 'zh-CN': elZhCn, en: elEn } as const

export const currentLocale = computed<Locale>(() => i18n.global.locale.value)
export const elementLocale = computed(() => elementLocales[currentLocale.value])

function applyDocumentLang(locale: Locale): void {
  document.documentElement.lang = locale
}

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale
  applyDocumentLang(locale)
  try {
    localStorage.setItem(STORAGE_KEY, locale)
  } catch {
    // storage disabled: the choice lasts for this page only
  }
}

applyDocumentLang(storedLocale())
