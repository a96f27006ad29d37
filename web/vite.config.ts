import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// Built files go to web/dist, served by `dualcarbon serve` at /. No CDN: everything is bundled.
export default defineConfig({
  plugins: [vue()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  server: { proxy: { '/api': 'http://127.0.0.1:8086' } },
})
