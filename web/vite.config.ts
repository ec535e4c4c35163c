import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev`: Vite serves the portal with hot reload and hands the API (and the OpenID provider's
// pages) to the server started with `npm start` (LANYARD_PORT, 8080 by default).
const api = `http://127.0.0.1:${process.env.LANYARD_PORT ?? '8080'}`;

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline assets: the CSP allows our own files only (img-src also allows data: for small SVGs).
    assetsInlineLimit: 0,
  },
  server: {
    port: 5173,
    proxy: {
      '/v1': { target: api, changeOrigin: false },
      '/oauth': { target: api, changeOrigin: false },
      '/.well-known': { target: api, changeOrigin: false },
    },
  },
});
