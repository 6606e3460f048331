import { z } from 'zod';
import { stageSettingsSchema } from './stage-settings';

/**
 * The JSON Schema of a stage file (input side: fields with defaults are optional), as the text of
 * `config/schema.json`. Cross-field rules (production profile, limit ordering) exist only in zod.
 */
export function stageSettingsJsonSchema(): string {
  const schema = z.toJSONSchema(stageSettingsSchema, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ title: 'Kong gateway stage settings', ...schema }, null, 2)}\n`;
}
