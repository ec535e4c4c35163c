import { i18next } from '@shared/i18n';
import en from './en.json';
import es from './es.json';

// The console's words live beside its pages (the portal never loads them) and join the shared
// catalogues, deep-merged: `admin.*`, and the error codes only staff meet under `errors.*`.
i18next.addResourceBundle('en', 'translation', en, true, false);
i18next.addResourceBundle('es', 'translation', es, true, false);
