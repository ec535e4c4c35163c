// The sign-in page's entry (sign-in.html): React alone, no router, no query cache, no i18next, no React
// Aria, so that the first page most people load stays within its 100 KiB of JavaScript (gzip).
import '@shared/ui/tokens.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { SignInPage } from './page';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SignInPage />
  </StrictMode>,
);
