// A pipeline's stages (S:pipeline-coupling), in the order apps are listed and promoted.

export const STAGES = ['test', 'review', 'development', 'staging', 'production'] as const;
export type Stage = (typeof STAGES)[number];

export function isStage(value: string): value is Stage {
  return (STAGES as readonly string[]).includes(value);
}
