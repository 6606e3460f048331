/**
 * Writes config/schema.json from the zod schema, so editors complete and check stage files.
 * `npm run schema`; a test fails when the committed file is stale.
 */
import * as fs from 'fs';
import * as path from 'path';
import { stageSettingsJsonSchema } from '../lib/settings/json-schema';

const target = path.join(__dirname, '..', 'config', 'schema.json');
fs.writeFileSync(target, stageSettingsJsonSchema());
console.log(`wrote ${path.relative(process.cwd(), target)}`);
