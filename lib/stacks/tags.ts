import type { Stage } from '../settings/load';

/** Tags every taggable resource of a stage carries, beside the stage file's `defaultTags`. */
export function stageTags(stage: Stage): Record<string, string> {
  return { ...stage.settings.defaultTags, Stage: stage.name, ManagedBy: 'cdktf' };
}
