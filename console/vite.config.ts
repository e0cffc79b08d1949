import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/** Built into console/dist, which the control plane serves at `/`; `npm run dev -w console` proxies the API to a running plane. */
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: { proxy: { '/api': process.env.EDGEFLEET_API ?? 'http://localhost:8080' } },
});
