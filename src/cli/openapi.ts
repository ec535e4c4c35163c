import fs from 'node:fs';
import path from 'node:path';
import { generateDocument, OPENAPI_FILE } from '../http/openapi-file.js';

// `npm run openapi`: writes openapi/lanyard.json from the real wiring. Run it after changing a route or a
// schema and commit the result; src/http/openapi.test.ts fails while the two differ.
const document = await generateDocument();
fs.mkdirSync(path.dirname(OPENAPI_FILE), { recursive: true });
fs.writeFileSync(OPENAPI_FILE, document);
console.log(`wrote ${path.relative(process.cwd(), OPENAPI_FILE)}`);
