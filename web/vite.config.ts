import optimizeLocales from '@react-aria/optimize-locales-plugin';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

// `npm run dev`: Vite serves the portal with hot reload and hands the API (and the OpenID provider's
// pages) to the server started with `npm start` (LANYARD_PORT, 8080 by default).
const api = `http://127.0.0.1:${process.env.LANYARD_PORT ?? '8080'}`;

/** In `npm run dev`, /admin and its client routes get the staff console's page, as the server does. */
function staffConsoleInDev(): Plugin {
  return {
    name: 'lanyard-staff-console-dev',
    configureServer(server) {
      server.middlewares.use((request, _response, next) => {
        const url = request.url ?? '';
        if ((url === '/admin' || url.startsWith('/admin/') || url.startsWith('/admin?')) && (request.headers.accept ?? '').includes('text/html')) request.url = '/admin.html';
        next();
      });
    },
  };
}

export default defineConfig({
  plugins: [
    react(),
    staffConsoleInDev(),
    // React Aria ships its own strings (close buttons, live announcements) in ~30 locales; the portal speaks
    // English and Spanish only (every regional variant of both kept).
    optimizeLocales.vite({ locales: ['en', 'es'] }),
  ],
  // `@shared/…` is the web's own src/shared (as in web/tsconfig.json), not a folder outside the project.
  resolve: { alias: { '@shared': fileURLToPath(new URL('./src/shared', import.meta.url)) } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline assets: the CSP allows our own files only (img-src also allows data: for small SVGs).
    assetsInlineLimit: 0,
    // Two entries of one build: the portal (index.html, served at /) and the staff console (admin.html,
    // served at /admin). They share the client, the components and the catalogues as common chunks; the
    // portal never loads the console's code.
    rolldownOptions: { input: { index: 'index.html', admin: 'admin.html' } },
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
