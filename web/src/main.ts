import { createApp } from 'vue'
import 'element-plus/dist/index.css'
import './styles.css'
import App from './App.vue'
import { i18n } from './i18n'
import { router, redirectToLogin } from './router'
import { setUnauthorizedHandler } from './api/client'
import { dropSession } from './stores/session'

// Any API call answering 401 means the session cookie is gone: back to the login page.
setUnauthorizedHandler(() => {
  dropSession()
  redirectToLogin()
})

createApp(App).use(i18n).use(router).mount('#app')
