import { fileURLToPath, URL } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The C++ server listens on 8080 in development; it also serves dist/ in production,
// so the console only ever talks to its own origin.
const backend = process.env.SHOPCRM_BACKEND ?? 'http://127.0.0.1:8080'

export default defineConfig({
  base: '/',
  plugins: [vue()],
  resolve: {
    alias: {
      '@': fileURLToPath(new URL('./src', import.meta.url)),
    },
  },
  define: {
    // vue-i18n feature flags: Composition API only, no devtools hooks in production.
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  server: {
    proxy: {
      '/api': { target: backend },
      '/healthz': { target: backend },
      '/readyz': { target: backend },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 900,
    rollupOptions: {
      // The console, and the member centre (/m/) with its own small bundle.
      input: {
        console: fileURLToPath(new URL('./index.html', import.meta.url)),
        member: fileURLToPath(new URL('./m/index.html', import.meta.url)),
      },
      output: {
        // Keep ECharts and the Vue runtime in their own long-lived chunks. Element Plus and
        // the smaller libraries are left to Rollup's own splitting: Rollup renders every
        // module this function names, even one that tree-shaking left unreachable, so
        // naming Element Plus' modules would bundle all of its components (about 1.5 MB of
        // JavaScript in total instead of about 0.9 MB).
        manualChunks(id: string) {
          if (!id.includes('node_modules')) return undefined
          if (id.includes('echarts') || id.includes('zrender')) return 'echarts'
          if (/node_modules\/(@vue|vue|vue-router|vue-i18n|@intlify)\//.test(id)) return 'vue'
          return undefined
        },
      },
    },
  },
})
