import optimizeLocales from '@react-aria/optimize-locales-plugin';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

// `npm run dev`: Vite serves the portal with hot reload and hands the API (and the OpenID provider's
// pages) to the server started with `npm start` (LANYARD_PORT, 8080 by default).
const api = `http://127.0.0.1:${process.env.LANYARD_PORT ?? '8080'}`;

/**
 * In `npm run dev`, /admin and its client routes get the staff console's page, and /sign-in the sign-in
 * page's, as the server does.
 */
function entryPagesInDev(): Plugin {
  return {
    name: 'lanyard-entry-pages-dev',
    configureServer(server) {
      server.middlewares.use((request, _response, next) => {
        const url = request.url ?? '';
        const html = (request.headers.accept ?? '').includes('text/html');
        if (html && (url === '/admin' || url.startsWith('/admin/') || url.startsWith('/admin?'))) request.url = '/admin.html';
        else if (html && (url === '/sign-in' || url.startsWith('/sign-in?'))) request.url = '/sign-in.html';
        next();
      });
    },
  };
}

// The libraries the sign-in page must not load (its budget is 100 KiB of JavaScript, gzip; React and
// ReactDOM alone are about 67): the router, the query cache, i18next and React Aria.
const NOT_ON_SIGN_IN = /\/node_modules\/(@tanstack|i18next|react-i18next|react-aria|react-aria-components|@react-aria|@react-stately|@internationalized)\//;

/** Fails the build when the sign-in page's entry, or a chunk it loads up front, holds one of them. */
function leanSignInPage(): Plugin {
  return {
    name: 'lanyard-lean-sign-in',
    apply: 'build',
    generateBundle(_options, bundle) {
      const entry = Object.values(bundle).find((file) => file.type === 'chunk' && file.isEntry && file.name === 'sign-in');
      if (!entry || entry.type !== 'chunk') return this.error('the sign-in entry is missing from the build');
      const seen = new Set<string>();
      const visit = (fileName: string) => {
        const chunk = bundle[fileName];
        if (seen.has(fileName) || chunk?.type !== 'chunk') return;
        seen.add(fileName);
        const heavy = chunk.moduleIds.filter((id) => NOT_ON_SIGN_IN.test(id));
        if (heavy.length > 0)
          this.error(`the sign-in page loads ${fileName}, which holds ${heavy.slice(0, 3).join(', ')}${heavy.length > 3 ? ', …' : ''}`);
        for (const imported of chunk.imports) visit(imported);
      };
      visit(entry.fileName);
    },
  };
}

export default defineConfig({
  plugins: [
    react(),
    entryPagesInDev(),
    leanSignInPage(),
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
    // Three entries of one build: the portal (index.html, served at /), its sign-in page (sign-in.html,
    // served at /sign-in: React and the shared form only, see leanSignInPage) and the staff console
    // (admin.html, served at /admin). They share the client, the components and the catalogues as common
    // chunks; the portal never loads the console's code.
    rolldownOptions: { input: { index: 'index.html', 'sign-in': 'sign-in.html', admin: 'admin.html' } },
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
