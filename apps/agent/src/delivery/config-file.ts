import { readFile } from 'node:fs/promises';
import type { z } from 'zod';

/** A delivery program's file is missing, unreadable or not what the controller renders. */
export class InvalidDeliveryFile extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

/** Reads `alias/qfleet/EXT.autoreply` or `.filter` (JSON of the schema, rendered by the controller). */
export async function readDeliveryFile<S extends z.ZodType>(file: string, schema: S): Promise<z.output<S>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new InvalidDeliveryFile(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InvalidDeliveryFile(file, `not JSON: ${(e as Error).message}`);
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new InvalidDeliveryFile(file, issues.join('; '));
  }
  return result.data;
}
