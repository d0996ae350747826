// The member centre (/m/): a phone page for one member of the mall, who arrives with a
// token the mall signed. Its own small bundle: Vue, vue-i18n and plain CSS, no console code.
import { createApp } from 'vue'
import MemberApp from './MemberApp.vue'
import { memberI18n, saveLocale } from './i18n'
import './member.css'

saveLocale(memberI18n.global.locale.value)
createApp(MemberApp).use(memberI18n).mount('#member-app')
